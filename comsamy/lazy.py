"""The one lazy-import mechanism of ComsAmy's packages (PEP 562 module ``__getattr__``).

A package lists what it exports once, as ``{name: module}``, and imports the same names under
``typing.TYPE_CHECKING`` so that mypy, IDEs and documentation tools see real symbols while nothing heavy is imported
at run time until a name is first used::

    from typing import TYPE_CHECKING
    from comsamy.lazy import lazy_exports

    if TYPE_CHECKING:
        from comsamy.submission.writer import ArchiveWriter

    __getattr__, __dir__, __all__ = lazy_exports(__name__, {"ArchiveWriter": "comsamy.submission.writer"})

``tests/test_lazy.py`` checks for every package that uses it that each name resolves and that the
``TYPE_CHECKING`` imports and the mapping agree.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], *, eager: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Build the ``__getattr__``, ``__dir__`` and ``__all__`` of a package whose exports load on first use.

    Args:
        package: the package's ``__name__``.
        exports: public name → the module that defines it.
        eager: names the package defines itself (listed in ``__all__`` too).

    Returns:
        ``(__getattr__, __dir__, __all__)`` to assign at the package's top level.

    >>> getattr_, dir_, all_ = lazy_exports("demo", {"sqrt": "math"})
    >>> getattr_("sqrt")(9.0), all_
    (3.0, ['sqrt'])
    """
    names = sorted({*exports, *eager})

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return list(names)

    return __getattr__, __dir__, names


__all__ = ["lazy_exports"]
