"""RPL losses: the inlier consistency loss (paper Eq. 9) and the total ``L = L_cons + lambda * L_anomaly`` (Eq. 8)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from baselines.losses import anomaly_mask_from_labels, eel_loss, energy_hinge_loss, masked_mean
from comsamy.constants import IGNORE_INDEX
from comsamy.errors import ConfigError

__all__ = ["ANOMALY_LOSSES", "consistency_loss", "rpl_loss"]

ANOMALY_LOSSES = ("eel", "energy")


@dataclass(frozen=True)
class ConsistencyParts:
    """The three named parts of :func:`consistency_loss` (scalars in the graph)."""

    ce: torch.Tensor
    kl: torch.Tensor
    entropy_mse: torch.Tensor

    @property
    def total(self) -> torch.Tensor:
        return self.ce + self.kl + self.entropy_mse


def consistency_loss(
    logits: torch.Tensor, frozen_logits: torch.Tensor, inlier_mask: torch.Tensor, *, use_kl: bool = True
) -> ConsistencyParts:
    """Keep the corrected prediction equal to the frozen one on inlier pixels (Eq. 9).

    Terms, each averaged over the pixels where ``inlier_mask`` is true:
    cross-entropy of ``logits`` against ``argmax(frozen_logits)``; ``KL(p_frozen || p)`` (switchable: the paper
    has it, the official RPL code does not); squared difference of the two softmax entropies.

    Args:
        logits: (N, C, H, W) corrected logits (gradients flow).
        frozen_logits: (N, C, H, W) frozen model's logits (treated as constants).
        inlier_mask: (N, H, W) bool, true on inlier (non-anomaly, non-void) pixels.
        use_kl: include the KL term.
    """
    frozen_logits = frozen_logits.detach()
    log_p = torch.log_softmax(logits, dim=1)
    log_q = torch.log_softmax(frozen_logits, dim=1)
    ce = F.nll_loss(log_p, frozen_logits.argmax(dim=1), reduction="none")
    h_p = -(log_p.exp() * log_p).sum(dim=1)
    h_q = -(log_q.exp() * log_q).sum(dim=1)
    parts_kl = torch.zeros((), device=logits.device, dtype=logits.dtype)
    if use_kl:
        kl = (log_q.exp() * (log_q - log_p)).sum(dim=1)
        parts_kl = masked_mean(kl, inlier_mask)
    return ConsistencyParts(
        ce=masked_mean(ce, inlier_mask),
        kl=parts_kl,
        entropy_mse=masked_mean((h_p - h_q) ** 2, inlier_mask),
    )


def rpl_loss(
    logits: torch.Tensor,
    frozen_logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    anomaly_id: int,
    anomaly_loss: str = "eel",
    lam: float = 0.05,
    alpha: float = 1.0,
    use_kl: bool = True,
    energy_margin: float = 0.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Total RPL training loss ``L_cons + lam * L_anomaly`` and its parts for logging.

    ``anomaly_loss="eel"`` is RPL + DiffEEL (Eq. 8, :func:`baselines.losses.eel_loss`); ``"energy"`` is RPL's
    own linear energy loss (:func:`baselines.losses.energy_hinge_loss`).
    """
    if anomaly_loss not in ANOMALY_LOSSES:
        raise ConfigError(f"expected anomaly_loss in {ANOMALY_LOSSES}, got {anomaly_loss!r}")
    mask = anomaly_mask_from_labels(labels, anomaly_id=anomaly_id, void_label=IGNORE_INDEX)
    cons = consistency_loss(logits, frozen_logits, mask == 0, use_kl=use_kl)
    if anomaly_loss == "eel":
        anomaly = eel_loss(logits, mask, alpha=alpha)
    else:
        anomaly = energy_hinge_loss(logits, mask, margin=energy_margin)
    total = cons.total + lam * anomaly
    parts = {
        "loss": float(total.detach()),
        "ce": float(cons.ce.detach()),
        "kl": float(cons.kl.detach()),
        "entropy_mse": float(cons.entropy_mse.detach()),
        f"{anomaly_loss}": float(anomaly.detach()),
    }
    return total, parts
