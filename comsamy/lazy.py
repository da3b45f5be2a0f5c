"""The one lazy-import mechanism of ComsAmy's packages (PEP 562 module ``__getattr__``).

A package lists what it exports once, as ``{name: module}``, and imports the same names under
``typing.TYPE_CHECKING`` so that mypy, IDEs and documentation tools see real symbols while nothing heavy is imported
at run time until a name is first used::

    from typing import TYPE_CHECKING
    from comsamy.lazy import lazy_exports

    if TYPE_CHECKING:
        from comsamy.submission.writer import ArchiveWriter

    __getattr__, __dir__ = lazy_exports(__name__, {"ArchiveWriter": "comsamy.submission.writer"})
    __all__ = ["ArchiveWriter", ...]

``tests/test_lazy.py`` checks for every package that uses it that each name resolves and that the
``TYPE_CHECKING`` imports and the mapping agree.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build the ``__getattr__`` and ``__dir__`` of a package whose exports load on first use.

    The package still writes its ``__all__`` out (so that linters read it); ``tests/test_lazy.py`` checks that it
    lists every lazy name.

    Args:
        package: the package's ``__name__``.
        exports: public name → the module that defines it.

    Returns:
        ``(__getattr__, __dir__)`` to assign at the package's top level; ``__dir__`` lists the package's own names
        and the lazy ones.

    >>> getattr_, dir_ = lazy_exports("math", {"dumps": "json"})
    >>> getattr_("dumps")([1]), "sqrt" in dir_() and "dumps" in dir_()
    ('[1]', True)
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__


__all__ = ["lazy_exports"]
