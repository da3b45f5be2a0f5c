"""Build any baseline by name: ``create_baseline("rpl_eel", width=0.0625)``.

========================  =================================================================
name                      model
========================  =================================================================
``inlier_segmenter``      DeepLabV3+ / WiderResNet38 trained with cross-entropy on inliers
``rpl_energy``            RPL residual block + RPL's plain (linear) energy loss
``rpl_eel``               RPL + DiffEEL: consistency loss + lambda * EEL loss (Eq. 8)
``mask2anomaly``          Mask2Anomaly (``baselines.mask2anomaly``), its own losses
``mask2anomaly_diffeel``  Mask2Anomaly + DiffEEL (Eq. 10)
========================  =================================================================

Models outside this package are imported lazily from a ``"module:function"`` string, the function being called
as ``function(diffeel=<bool>, **config)`` and returning an :class:`baselines.base.AnomalySegmenter`.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from comsamy.errors import ConfigError

__all__ = ["BASELINES", "available_baselines", "create_baseline"]

_MASK2ANOMALY = "baselines.mask2anomaly.model:build_mask2anomaly"

BASELINES: dict[str, tuple[str, dict[str, Any]]] = {
    "inlier_segmenter": ("inlier", {}),
    "rpl_energy": ("rpl", {"anomaly_loss": "energy"}),
    "rpl_eel": ("rpl", {"anomaly_loss": "eel"}),
    "mask2anomaly": (_MASK2ANOMALY, {"diffeel": False}),
    "mask2anomaly_diffeel": (_MASK2ANOMALY, {"diffeel": True}),
}
"""name -> (builder, fixed keyword arguments). Aliases: ``rpl_diffeel`` = ``rpl_eel``, ``rpl`` = ``rpl_energy``."""

_ALIASES = {"rpl_diffeel": "rpl_eel", "rpl": "rpl_energy", "m2a": "mask2anomaly", "m2a_diffeel": "mask2anomaly_diffeel"}


def available_baselines() -> list[str]:
    """The registered names."""
    return sorted(BASELINES)


def _dataclass_config(cls: type, name: str, config: dict[str, Any]) -> Any:
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(config) - fields)
    if unknown:
        raise ConfigError(f"expected config keys of {name!r} among {sorted(fields)}, got unknown {unknown}")
    from baselines.train_config import parse_dataclass  # typed: model_config.width=abc is one line naming the key

    return parse_dataclass(cls, config, prefix="model_config.", source=f"the config of {name!r}")


def create_baseline(name: str, **config: Any) -> Any:
    """Build the baseline called ``name`` from keyword ``config`` (see each model's config dataclass).

    Raises:
        ConfigError: unknown name, unknown config key or bad value.
    """
    key = _ALIASES.get(name, name)
    if key not in BASELINES:
        raise ConfigError(f"expected a baseline name in {available_baselines()}, got {name!r}")
    builder, fixed = BASELINES[key]
    clash = sorted(set(config) & set(fixed))
    if clash:
        raise ConfigError(f"expected no {clash} in the config of {key!r}: the name fixes them to {fixed}")
    if builder == "inlier":
        from baselines.rpl.model import InlierSegmenter, SegmenterConfig

        return InlierSegmenter(_dataclass_config(SegmenterConfig, key, config))
    if builder == "rpl":
        from baselines.rpl.model import RPLConfig, RPLSegmenter

        return RPLSegmenter(_dataclass_config(RPLConfig, key, {**config, **fixed}))
    module_name, _, func_name = builder.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"baseline {key!r} needs module {module_name!r}, which failed to import: {exc}") from exc
    return getattr(module, func_name)(**fixed, **config)
