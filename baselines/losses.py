"""Anomaly losses on per-pixel logits: the EEL loss (paper Eq. 7) and RPL's plain energy loss.

Both take ``logits`` (N, C, H, W) and an ``anomaly_mask`` (N, H, W) with 1 = anomaly, 0 = inlier and
``void_label`` (255) = ignored; :func:`anomaly_mask_from_labels` builds that mask from training labels
(train ids with the anomaly id on pasted objects).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comsamy.constants import IGNORE_INDEX
from comsamy.errors import UsageError

if TYPE_CHECKING:
    import torch

__all__ = ["anomaly_mask_from_labels", "eel_loss", "energy_hinge_loss", "masked_mean"]


def anomaly_mask_from_labels(labels: torch.Tensor, *, anomaly_id: int, void_label: int = IGNORE_INDEX) -> torch.Tensor:
    """Map training labels (N, H, W) to an anomaly mask: ``anomaly_id`` -> 1, void -> void, else 0."""
    import torch

    mask = torch.zeros_like(labels)
    mask[labels == anomaly_id] = 1
    mask[labels == void_label] = void_label
    return mask


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` where ``mask`` is true; 0 (kept in the graph) when the mask is empty."""
    sel = values[mask]
    if sel.numel() == 0:
        return values.sum() * 0.0
    return sel.mean()


def _check(logits: torch.Tensor, anomaly_mask: torch.Tensor, void_label: int) -> None:
    if logits.dim() != 4:
        raise UsageError(f"expected logits of shape (N, C, H, W), got shape {tuple(logits.shape)}")
    if anomaly_mask.shape != (logits.shape[0], *logits.shape[2:]):
        raise UsageError(
            f"expected anomaly_mask of shape {(logits.shape[0], *logits.shape[2:])}, got {tuple(anomaly_mask.shape)}"
        )
    bad = (anomaly_mask != 0) & (anomaly_mask != 1) & (anomaly_mask != void_label)
    if bool(bad.any()):
        raise UsageError(
            f"expected anomaly_mask values in {{0, 1, {void_label}}}, got {sorted(anomaly_mask[bad].unique().tolist())[:5]}"
        )


def eel_loss(
    logits: torch.Tensor, anomaly_mask: torch.Tensor, *, alpha: float = 1.0, void_label: int = IGNORE_INDEX
) -> torch.Tensor:
    """Energy-entropy learning loss (paper Eq. 7), a scalar.

    With ``E = logsumexp_c y_c`` and ``H`` the softmax entropy::

        L = mean_{m=1} [softplus(E) - alpha*H] + mean_{m=0} [softplus(-E) + alpha*H]

    i.e. binary cross-entropy on the anomaly probability ``sigmoid(-E)`` (``-log sigmoid(-E) = softplus(E)``,
    ``-log(1 - sigmoid(-E)) = softplus(-E)``) plus the entropy term. Void pixels are excluded; an empty side
    contributes 0.

    Sign note: Eq. 7 as printed, once its outer minus is distributed, gives ``-alpha*H`` on inliers too, which
    would *raise* the anomaly score ``S = alpha*H - E`` of inliers. We treat that as a typo and use ``+alpha*H``
    on inliers (entropy down on inliers, up on anomalies), as the text and Eq. 6 require (shared spec).

    Args:
        logits: (N, C, H, W) inlier-class logits.
        anomaly_mask: (N, H, W) integer mask, 1 anomaly, 0 inlier, ``void_label`` ignored.
        alpha: weight of the entropy term (paper: 1).
        void_label: value of ignored pixels in ``anomaly_mask``.
    """
    import torch
    import torch.nn.functional as F

    _check(logits, anomaly_mask, void_label)
    e = torch.logsumexp(logits, dim=1)
    log_p = torch.log_softmax(logits, dim=1)
    h = -(log_p.exp() * log_p).sum(dim=1)
    anomalous = anomaly_mask == 1
    inlier = anomaly_mask == 0
    outlier_term = masked_mean(F.softplus(e) - alpha * h, anomalous)
    inlier_term = masked_mean(F.softplus(-e) + alpha * h, inlier)
    return outlier_term + inlier_term


def energy_hinge_loss(
    logits: torch.Tensor, anomaly_mask: torch.Tensor, *, margin: float = 0.0, void_label: int = IGNORE_INDEX
) -> torch.Tensor:
    """RPL's energy loss on anomaly pixels: ``mean_{m=1} relu(E - margin)``, ``E = logsumexp_c y_c``.

    This is the "linear" energy objective the paper contrasts EEL with (Section IV-B): RPL pushes the
    logsumexp of anomaly pixels below ``margin`` (0 in the official code) with a linear hinge and leaves the
    inlier energy to its consistency loss. Returns 0 (in the graph) when the batch has no anomaly pixel.
    """
    import torch
    import torch.nn.functional as F

    _check(logits, anomaly_mask, void_label)
    e = torch.logsumexp(logits, dim=1)
    return masked_mean(F.relu(e - margin), anomaly_mask == 1)
