"""Mask2Anomaly's inference: mask-wise scores, the confident-mask refinement, horizontal-flip averaging.

Pure functions of the model's outputs, so that each step can be tested on hand-made tensors.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from baselines.base import SCORE_NAMES
from baselines.scores import score_by_name
from comsamy.errors import UsageError

__all__ = ["confident_non_road", "fill_value_for", "flip_average", "maskwise_score", "refine_scores"]

LOWER_BOUNDED_AT_ZERO = ("entropy",)
"""Scores whose smallest (most inlier) value is 0, so that the paper's "set to zero" is exactly the floor."""


def maskwise_score(logits: torch.Tensor, score: str, *, alpha: float = 1.0) -> torch.Tensor:
    """One anomaly score (N, H, W) of a mask-classification model from its mask-wise per-pixel logits.

    Args:
        logits: (N, C, H, W) ``y = softmax(cls)[:C]^T . sigmoid(masks)`` (:func:`baselines.scores.maskwise_logits`).
        score: one of :data:`baselines.base.SCORE_NAMES`. ``"msp"`` is the paper's mask-wise MSP (Eq. 3),
            ``1 - max_c y_c`` (no second softmax); the others are the pixel-wise formulas applied to ``y``
            (``"eel"``: Eq. 6, ``alpha * H(y) - E(y)``).
    """
    if score not in SCORE_NAMES:
        raise UsageError(f"expected score in {SCORE_NAMES}, got {score!r}")
    if score == "msp":
        return 1.0 - logits.amax(dim=1)
    return score_by_name(score, logits, alpha=alpha)


def confident_non_road(class_logits: torch.Tensor, mask_logits: torch.Tensor, *, threshold: float = 0.95,
                       road_id: int = 0) -> torch.Tensor:
    """Boolean (N, H, W): pixels inside the mask of a query confidently classified as an inlier class other than road.

    A query is confident when its largest inlier-class softmax probability (over C + 1 classes, no-object included
    in the normalisation) exceeds ``threshold`` and that class is not ``road_id``; its mask is where
    ``sigmoid(mask) > 0.5``.
    """
    probs = torch.softmax(class_logits, dim=-1)[..., :-1]
    top, cls = probs.max(dim=-1)
    confident = (top > threshold) & (cls != road_id)  # (N, Q)
    inside = mask_logits > 0  # sigmoid > 0.5
    return (inside & confident[:, :, None, None]).any(dim=1)


def refine_scores(scores: torch.Tensor, class_logits: torch.Tensor, mask_logits: torch.Tensor, *,
                  threshold: float = 0.95, road_id: int = 0, fill_value: float | None = 0.0) -> torch.Tensor:
    """Mask2Anomaly's refinement: no anomaly inside confident non-road masks.

    Args:
        scores: (N, H, W) anomaly scores; mask_logits must be at the same (H, W).
        fill_value: the value put there; 0 as in the paper (the floor of MSP-like and entropy scores), or ``None``
            for the smallest score of each image (for unbounded scores such as energy and EEL, where 0 can be
            *above* the inlier scores).

    Returns:
        A new (N, H, W) tensor.
    """
    if scores.dim() != 3 or tuple(mask_logits.shape[-2:]) != tuple(scores.shape[-2:]):
        raise UsageError(f"expected scores (N, H, W) at the masks' resolution, got {tuple(scores.shape)} and masks "
                         f"{tuple(mask_logits.shape)}")
    region = confident_non_road(class_logits, mask_logits, threshold=threshold, road_id=road_id)
    if fill_value is None:
        floor = scores.flatten(1).amin(dim=1)[:, None, None].expand_as(scores)
    else:
        floor = torch.full_like(scores, fill_value)
    return torch.where(region, floor, scores)


def fill_value_for(score: str) -> float | None:
    """The refinement's fill value for a score: 0 for MSP (as the paper) and entropy, the image minimum otherwise."""
    return 0.0 if score == "msp" or score in LOWER_BOUNDED_AT_ZERO else None


def flip_average(score_fn: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor) -> torch.Tensor:
    """``(score_fn(x) + flip(score_fn(flip(x)))) / 2`` with a horizontal flip; (N, 3, H, W) -> (N, H, W).

    Flip-equivariant by construction: ``flip_average(f, flip(x)) == flip(flip_average(f, x))``.
    """
    direct = score_fn(images)
    mirrored = score_fn(torch.flip(images, dims=[-1])).flip(dims=[-1])
    return (direct + mirrored) / 2
