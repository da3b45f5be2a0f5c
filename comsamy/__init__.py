"""ComsAmy: road-scene anomaly segmentation under complex open-set conditions.

``import comsamy`` is cheap: heavy modules (``datasets``, ``numpy`` workers) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from comsamy.errors import (
    ArchiveError,
    ComsamyError,
    ConfigError,
    DataNotAvailableError,
    DataValidationError,
    MetricInputError,
    MissingDependencyError,
    UsageError,
)
from comsamy.lazy import lazy_exports


def _installed_version() -> str:
    """The version of the installed distribution: defined once, in pyproject.toml."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("comsamy")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


__version__ = _installed_version()

if TYPE_CHECKING:  # for static tools; at run time the names below load on first use (comsamy.lazy)
    from comsamy.submission.writer import ArchiveWriter

__getattr__, __dir__ = lazy_exports(__name__, {"ArchiveWriter": "comsamy.submission.writer"})


def load_dataset(name: str = "comsamy", config: str | None = None, split: str | None = None, **kwargs: Any) -> Any:
    """Load the ComsAmy benchmark (or the bundled ``"sample"``) as ``datasets`` objects.

    See :func:`comsamy.data.loading.load_dataset` for how ``name`` is resolved.
    """
    from comsamy.data.loading import load_dataset as _load

    return _load(name, config=config, split=split, **kwargs)


__all__ = [
    "ArchiveError",
    "ArchiveWriter",
    "ComsamyError",
    "ConfigError",
    "DataNotAvailableError",
    "DataValidationError",
    "MetricInputError",
    "MissingDependencyError",
    "UsageError",
    "__version__",
    "load_dataset",
]
