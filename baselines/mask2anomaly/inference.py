"""Mask2Anomaly's inference: mask-wise scores, the confident-mask refinement, horizontal-flip averaging.

Pure functions of the model's outputs, so that each step can be tested on hand-made tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from baselines.base import SCORE_NAMES
from baselines.scores import score_by_name
from comsamy.errors import UsageError

__all__ = [
    "confident_non_road",
    "confident_region",
    "fill_value_for",
    "flip_average",
    "maskwise_score",
    "refine_scores",
]

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


def confident_region(
    class_logits: torch.Tensor,
    mask_logits: torch.Tensor,
    *,
    classes: Sequence[int],
    threshold: float = 0.95,
    weighted: bool = True,
) -> torch.Tensor:
    """Boolean (N, H, W): pixels inside the mask of a query confidently classified as one of ``classes``.

    A query is confident when its largest class probability (softmax over the C + 1 classes, "no object"
    included) exceeds ``threshold`` and that class is in ``classes``. Its mask is ``p * sigmoid(mask) >= 0.5``
    with ``weighted`` (the official Mask2Anomaly test, ``p`` the query's class probability), else
    ``sigmoid(mask) > 0.5``.

    Args:
        class_logits: (N, Q, C + 1).
        mask_logits: (N, Q, H, W) at the resolution of the scores.
        classes: train ids whose confident masks count (official: 2..10).
    """
    probs = torch.softmax(class_logits.float(), dim=-1)
    top, cls = probs.max(dim=-1)  # over C + 1: a query whose best guess is "no object" is never confident
    wanted = torch.zeros(probs.shape[-1], dtype=torch.bool, device=probs.device)
    wanted[torch.as_tensor([int(c) for c in classes], dtype=torch.long, device=probs.device)] = True
    confident = (top > threshold) & wanted[cls]  # (N, Q)
    if weighted:
        inside = top[:, :, None, None] * torch.sigmoid(mask_logits.float()) >= 0.5
    else:
        inside = mask_logits > 0  # sigmoid > 0.5
    return (inside & confident[:, :, None, None]).any(dim=1)


def confident_non_road(
    class_logits: torch.Tensor, mask_logits: torch.Tensor, *, threshold: float = 0.95, road_id: int = 0
) -> torch.Tensor:
    """Our earlier rule: confident masks of every inlier class but ``road_id``, mask where ``sigmoid > 0.5``."""
    num_classes = class_logits.shape[-1] - 1
    classes = [c for c in range(num_classes) if c != road_id]
    return confident_region(class_logits, mask_logits, classes=classes, threshold=threshold, weighted=False)


def refine_scores(
    scores: torch.Tensor,
    class_logits: torch.Tensor,
    mask_logits: torch.Tensor,
    *,
    threshold: float = 0.95,
    road_id: int = 0,
    classes: Sequence[int] | None = None,
    weighted: bool = False,
    fill_value: float | None = 0.0,
) -> torch.Tensor:
    """Mask2Anomaly's refinement: no anomaly inside confident inlier masks.

    Args:
        scores: (N, H, W) anomaly scores; mask_logits must be at the same (H, W).
        classes: the train ids whose confident masks count; ``None`` = every class but ``road_id`` (ours).
        weighted: the official mask test (``p * sigmoid >= 0.5``), see :func:`confident_region`.
        fill_value: the value put there; 0 as in the paper (the floor of MSP-like and entropy scores), or ``None``
            for the smallest score of each image (for unbounded scores such as energy and EEL, where 0 can be
            *above* the inlier scores).

    Returns:
        A new (N, H, W) tensor.
    """
    if scores.dim() != 3 or tuple(mask_logits.shape[-2:]) != tuple(scores.shape[-2:]):
        raise UsageError(
            f"expected scores (N, H, W) at the masks' resolution, got {tuple(scores.shape)} and masks "
            f"{tuple(mask_logits.shape)}"
        )
    if classes is None:
        classes = [c for c in range(class_logits.shape[-1] - 1) if c != road_id]
    region = confident_region(class_logits, mask_logits, classes=classes, threshold=threshold, weighted=weighted)
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
