"""ComsAmy: road-scene anomaly segmentation under complex open-set conditions.

``import comsamy`` is cheap: heavy modules (``datasets``, ``numpy`` workers) load on first use.
"""

from __future__ import annotations

from typing import Any

from comsamy.errors import (
    ArchiveError,
    ComsamyError,
    ConfigError,
    DataNotAvailableError,
    DataValidationError,
    MetricInputError,
    UsageError,
)

__version__ = "0.1.0"


def load_dataset(name: str = "comsamy", config: str | None = None, split: str | None = None, **kwargs: Any) -> Any:
    """Load the ComsAmy benchmark (or the bundled ``"sample"``) as ``datasets`` objects.

    See :func:`comsamy.data.loading.load_dataset` for how ``name`` is resolved.
    """
    from comsamy.data.loading import load_dataset as _load

    return _load(name, config=config, split=split, **kwargs)


__all__ = [
    "ArchiveError",
    "ComsamyError",
    "ConfigError",
    "DataNotAvailableError",
    "DataValidationError",
    "MetricInputError",
    "UsageError",
    "__version__",
    "load_dataset",
]
