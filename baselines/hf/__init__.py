"""Zero-shot anomaly scores from any ``transformers`` semantic-segmentation model (imported lazily).

- :func:`load_hf_segmenter`: a Hub id or ``save_pretrained`` folder -> :class:`HFSegmenter`.
- :class:`HFSegmenter`: ``class_scores(images, out_size)`` (logits or mask-wise ``y``) and
  ``anomaly_scores(images, score, out_size)``.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["HFSegmenter", "load_hf_segmenter"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("baselines.hf.segmenter"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
