"""Mask2Anomaly (+ DiffEEL) on ``transformers``' Mask2Former (paper Section IV, Eq. 3, 6, 7, 10).

Public API (imported lazily, so that ``import baselines.mask2anomaly`` loads neither torch nor transformers):

- :func:`build_mask2anomaly`, :func:`build_mask2anomaly_diffeel`: registry factories.
- :class:`Mask2Anomaly`: the :class:`~baselines.base.AnomalySegmenter` (``forward``, ``training_loss``,
  ``anomaly_scores``, ``param_groups``, ``save_pretrained`` / ``from_pretrained``).
- :class:`Mask2AnomalyConfig`: its frozen configuration (``preset("paper" | "tiny")``, ``to_dict()``).
- :class:`GlobalMaskedCrossAttention`: the foreground + background masked cross-attention.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "GlobalMaskedCrossAttention",
    "Mask2Anomaly",
    "Mask2AnomalyConfig",
    "build_mask2anomaly",
    "build_mask2anomaly_diffeel",
]

_WHERE = {
    "GlobalMaskedCrossAttention": "baselines.mask2anomaly.attention",
    "Mask2Anomaly": "baselines.mask2anomaly.model",
    "Mask2AnomalyConfig": "baselines.mask2anomaly.config",
    "build_mask2anomaly": "baselines.mask2anomaly.model",
    "build_mask2anomaly_diffeel": "baselines.mask2anomaly.model",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
