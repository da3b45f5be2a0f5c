"""Mask2Anomaly (+ DiffEEL) on ``transformers``' Mask2Former (paper Section IV, Eq. 3, 6, 7, 10).

Public API (imported lazily, so that ``import baselines.mask2anomaly`` loads neither torch nor transformers):

- :func:`build_mask2anomaly`, :func:`build_mask2anomaly_diffeel`: registry factories.
- :class:`Mask2Anomaly`: the :class:`~baselines.base.AnomalySegmenter` (``forward``, ``training_loss``,
  ``anomaly_scores``, ``param_groups``, ``save_pretrained`` / ``from_pretrained``).
- :class:`Mask2AnomalyConfig`: its frozen configuration (``preset("paper" | "tiny")``, ``to_dict()``).
- :class:`GlobalMaskedCrossAttention`: the foreground + background masked cross-attention.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comsamy.lazy import lazy_exports

if TYPE_CHECKING:  # for static tools; at run time the names load on first use (comsamy.lazy)
    from baselines.mask2anomaly.attention import GlobalMaskedCrossAttention
    from baselines.mask2anomaly.config import Mask2AnomalyConfig
    from baselines.mask2anomaly.model import Mask2Anomaly, build_mask2anomaly, build_mask2anomaly_diffeel

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "GlobalMaskedCrossAttention": "baselines.mask2anomaly.attention",
        "Mask2Anomaly": "baselines.mask2anomaly.model",
        "Mask2AnomalyConfig": "baselines.mask2anomaly.config",
        "build_mask2anomaly": "baselines.mask2anomaly.model",
        "build_mask2anomaly_diffeel": "baselines.mask2anomaly.model",
    },
)

__all__ = [
    "GlobalMaskedCrossAttention",
    "Mask2Anomaly",
    "Mask2AnomalyConfig",
    "build_mask2anomaly",
    "build_mask2anomaly_diffeel",
]
