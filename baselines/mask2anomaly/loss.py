"""Mask2Anomaly losses: Mask2Former's mask and class terms plus an anomaly term (paper Eq. 10).

``L = L_masks + lambda_ce * L_ce + lambda * L_anomaly`` with ``lambda_ce = 1`` and ``lambda = 0.05``, where

- ``L_masks`` and ``L_ce`` are ``transformers``' Mask2Former loss (Hungarian matching, point-sampled sigmoid BCE
  and dice on masks, cross-entropy on classes with no-object weight 0.1), summed over the last decoder layer and
  every auxiliary layer, each already weighted by Mask2Former's own weights (mask 5, dice 5, class 2). Targets are
  one binary mask per inlier class present in the label map (:func:`semantic_to_mask_targets`); anomaly and void
  pixels belong to no target mask.
- ``L_anomaly`` is, for ``mask2anomaly_diffeel``, the EEL loss (Eq. 7, :func:`baselines.losses.eel_loss`) on the
  mask-wise per-pixel logits ``y = softmax(cls)[:C]^T . sigmoid(masks)`` (Eq. 6); for plain ``mask2anomaly``, the
  mask contrastive loss below.

Mask contrastive loss (our simple, documented version of Mask2Anomaly's). With ``s = -max_c y_c`` (the negative
largest mask-wise class score; ``y`` as above)::

    L_cl = mean_{inlier} relu(s + 1)^2 + mean_{anomaly} relu((margin - 1) - s)^2,   margin = 0.75

Inlier pixels are pushed to a largest class score of at least 1 (one confident query covering them); anomaly
pixels to at most ``1 - margin`` = 0.25, i.e. at least ``margin`` below the inlier target. Both sides are squared
hinges, averaged separately (so a small pasted object weighs as much as the rest of the image); void is ignored.
Mask2Anomaly's released code also squares a hinge of ``-max_c y_c`` with margin 0.75 on anomalies, but pulls the
inlier score towards 0 (``s^2``), which lowers the class scores of inliers and fights the cross-entropy; we
instead put the inlier hinge at the score an ideal inlier reaches (1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from baselines.losses import anomaly_mask_from_labels, eel_loss, masked_mean
from baselines.scores import maskwise_logits
from comsamy.errors import UsageError

if TYPE_CHECKING:
    from baselines.mask2anomaly.config import Mask2AnomalyConfig

__all__ = [
    "check_labels",
    "compose_loss",
    "mask_contrastive_loss",
    "pixel_logits",
    "semantic_to_mask_targets",
]


def check_labels(
    labels: torch.Tensor, *, num_classes: int, anomaly_id: int, void_label: int, shape: tuple[int, ...] | None = None
) -> None:
    """Raise :class:`UsageError` unless ``labels`` is an integer (N, H, W) map of train ids, anomaly id and void."""
    if labels.dim() != 3 or labels.is_floating_point():
        raise UsageError(
            f"expected labels as an integer tensor (N, H, W), got dtype {labels.dtype} and shape {tuple(labels.shape)}"
        )
    if shape is not None and tuple(labels.shape) != shape:
        raise UsageError(f"expected labels of shape {shape} (images' N, H, W), got {tuple(labels.shape)}")
    ok = ((labels >= 0) & (labels < num_classes)) | (labels == anomaly_id) | (labels == void_label)
    if not bool(ok.all()):
        bad = sorted(labels[~ok].unique().tolist())[:5]
        raise UsageError(
            f"expected labels in [0, {num_classes}) or anomaly id {anomaly_id} or void {void_label}, got {bad}"
        )


def semantic_to_mask_targets(
    labels: torch.Tensor, *, num_classes: int, anomaly_id: int, void_label: int
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Mask2Former targets from a semantic label map: one binary mask per inlier class present.

    Args:
        labels: (N, H, W) int train ids, ``anomaly_id`` on anomalies, ``void_label`` on void.

    Returns:
        ``(mask_labels, class_labels)``: per image a float (K, H, W) tensor of 0/1 masks and a long (K,) tensor of
        their classes, K = number of inlier classes present (possibly 0). Anomaly and void pixels are in no mask.

    >>> m, c = semantic_to_mask_targets(torch.tensor([[[0, 0], [3, 255]]]), num_classes=19, anomaly_id=254,
    ...                                 void_label=255)
    >>> c[0].tolist(), m[0].sum().item()
    ([0, 3], 3.0)
    """
    check_labels(labels, num_classes=num_classes, anomaly_id=anomaly_id, void_label=void_label)
    mask_labels: list[torch.Tensor] = []
    class_labels: list[torch.Tensor] = []
    for label in labels:
        present = label.unique()
        present = present[(present >= 0) & (present < num_classes)]
        mask_labels.append((label[None] == present[:, None, None]).to(torch.float32))
        class_labels.append(present.to(torch.long))
    return mask_labels, class_labels


def pixel_logits(class_logits: torch.Tensor, mask_logits: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
    """Mask-wise per-pixel logits ``y`` (N, C, H, W) at ``size``: masks upsampled bilinearly, then Eq. 6's ``y``."""
    if tuple(mask_logits.shape[-2:]) != tuple(size):
        mask_logits = F.interpolate(mask_logits, size=size, mode="bilinear", align_corners=False)
    return maskwise_logits(class_logits, mask_logits)


def mask_contrastive_loss(
    logits: torch.Tensor, anomaly_mask: torch.Tensor, *, margin: float = 0.75, void_label: int = 255
) -> torch.Tensor:
    """Squared-hinge contrastive loss on ``s = -max_c y_c`` (see the module docstring), a scalar.

    Args:
        logits: (N, C, H, W) mask-wise per-pixel scores ``y`` (each in [0, Q]).
        anomaly_mask: (N, H, W) 1 anomaly, 0 inlier, ``void_label`` ignored.
        margin: how far below the inlier target 1 the anomalies' largest class score must fall.
    """
    if logits.dim() != 4 or anomaly_mask.shape != (logits.shape[0], *logits.shape[2:]):
        raise UsageError(
            f"expected logits (N, C, H, W) and anomaly_mask (N, H, W), got {tuple(logits.shape)} and "
            f"{tuple(anomaly_mask.shape)}"
        )
    s = -logits.amax(dim=1)
    inlier = masked_mean(F.relu(s + 1.0) ** 2, anomaly_mask == 0)
    anomalous = masked_mean(F.relu((margin - 1.0) - s) ** 2, anomaly_mask == 1)
    return inlier + anomalous


def compose_loss(
    mask2former_losses: dict[str, torch.Tensor],
    logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    anomaly_id: int,
    config: Mask2AnomalyConfig,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. 10 from ``transformers``' weighted Mask2Former loss dict and the mask-wise per-pixel logits.

    Args:
        mask2former_losses: ``Mask2FormerForUniversalSegmentation.get_loss_dict`` output: ``loss_mask*``,
            ``loss_dice*`` and ``loss_cross_entropy*`` entries (last layer and auxiliary layers), already weighted.
        logits: (N, C, H, W) mask-wise per-pixel logits at the labels' resolution.
        labels: (N, H, W) train ids with ``anomaly_id`` on anomalies and void.

    Returns:
        The scalar loss and its parts as floats: ``loss_masks``, ``loss_ce``, ``loss_eel`` or
        ``loss_contrastive`` (unweighted), and ``loss`` (the total).
    """
    masks_keys = [k for k in mask2former_losses if k.startswith(("loss_mask", "loss_dice"))]
    ce_keys = [k for k in mask2former_losses if k.startswith("loss_cross_entropy")]
    if not masks_keys or not ce_keys:
        raise UsageError(
            f"expected Mask2Former loss keys loss_mask*, loss_dice*, loss_cross_entropy*, got "
            f"{sorted(mask2former_losses)}"
        )
    loss_masks = torch.stack([mask2former_losses[k] for k in masks_keys]).sum()
    loss_ce = torch.stack([mask2former_losses[k] for k in ce_keys]).sum()
    anomaly_mask = anomaly_mask_from_labels(labels, anomaly_id=anomaly_id, void_label=config.void_label)
    if config.anomaly_loss == "eel":
        name = "loss_eel"
        loss_anomaly = eel_loss(logits, anomaly_mask, alpha=config.eel_alpha, void_label=config.void_label)
    else:
        name = "loss_contrastive"
        loss_anomaly = mask_contrastive_loss(
            logits, anomaly_mask, margin=config.contrastive_margin, void_label=config.void_label
        )
    total = loss_masks + config.lambda_ce * loss_ce + config.lambda_anomaly * loss_anomaly
    parts = {
        "loss": float(total.detach()),
        "loss_masks": float(loss_masks.detach()),
        "loss_ce": float(loss_ce.detach()),
        name: float(loss_anomaly.detach()),
    }
    return total, parts
