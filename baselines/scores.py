"""Per-pixel anomaly scores on logits (paper Eq. 2-6). Higher = more anomalous.

Every score is a pure function of a batch of logits ``(N, C, H, W) -> (N, H, W)`` on any device and dtype,
computed through ``log_softmax`` / ``logsumexp`` so that it stays finite for ``|logits|`` up to 1e4.

>>> import torch
>>> logits = torch.zeros(1, 19, 2, 2)
>>> round(float(msp(logits)[0, 0, 0]), 4)
0.9474
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from comsamy.errors import UsageError

if TYPE_CHECKING:
    import torch

__all__ = [
    "SCORE_FUNCTIONS",
    "eel_score",
    "energy",
    "entropy",
    "free_energy",
    "gaussian_blur",
    "maskwise_logits",
    "maskwise_msp",
    "max_logit",
    "msp",
    "score_by_name",
]


def _check_logits(logits: torch.Tensor, name: str = "logits") -> None:
    if logits.dim() != 4:
        raise UsageError(f"expected {name} of shape (N, C, H, W), got shape {tuple(logits.shape)}")
    if not logits.is_floating_point():
        raise UsageError(f"expected floating-point {name}, got dtype {logits.dtype}")


def free_energy(logits: torch.Tensor) -> torch.Tensor:
    """``E = logsumexp_c y_c`` (Eq. 4), (N, C, H, W) -> (N, H, W). Low E = anomalous."""
    import torch

    _check_logits(logits)
    return torch.logsumexp(logits, dim=1)


def msp(logits: torch.Tensor) -> torch.Tensor:
    """``1 - max_c softmax(y)_c`` (Eq. 2)."""
    import torch

    _check_logits(logits)
    return 1.0 - torch.softmax(logits, dim=1).amax(dim=1)


def max_logit(logits: torch.Tensor) -> torch.Tensor:
    """``-max_c y_c``."""
    _check_logits(logits)
    return -logits.amax(dim=1)


def entropy(logits: torch.Tensor) -> torch.Tensor:
    """Softmax entropy ``H = -sum_c p_c log p_c`` (Eq. 5), from ``log_softmax`` (finite at extreme logits)."""
    import torch

    _check_logits(logits)
    log_p = torch.log_softmax(logits, dim=1)
    return -(log_p.exp() * log_p).sum(dim=1)


def energy(logits: torch.Tensor) -> torch.Tensor:
    """Energy anomaly score ``-E = -logsumexp_c y_c``."""
    return -free_energy(logits)


def eel_score(logits: torch.Tensor, *, alpha: float = 1.0) -> torch.Tensor:
    """Energy-entropy score ``S = alpha * H(y) - E(y)`` (Eq. 6)."""
    return alpha * entropy(logits) - free_energy(logits)


def maskwise_logits(class_logits: torch.Tensor, mask_logits: torch.Tensor) -> torch.Tensor:
    """Per-pixel class scores of a mask-classification model: ``softmax(cls)[..., :C]^T . sigmoid(masks)``.

    Args:
        class_logits: (N, Q, C + 1) per-query class logits, the last class being "no object".
        mask_logits: (N, Q, H, W) per-query mask logits.

    Returns:
        (N, C, H, W) per-pixel scores, used as logits ``y`` by every score (the paper's ``y = c^T . Sgm(m)``).
    """
    import torch

    if class_logits.dim() != 3 or mask_logits.dim() != 4:
        raise UsageError(
            "expected class_logits (N, Q, C+1) and mask_logits (N, Q, H, W), got shapes "
            f"{tuple(class_logits.shape)} and {tuple(mask_logits.shape)}"
        )
    if class_logits.shape[:2] != mask_logits.shape[:2]:
        raise UsageError(
            f"expected class_logits and mask_logits to share (N, Q), got {tuple(class_logits.shape[:2])} "
            f"and {tuple(mask_logits.shape[:2])}"
        )
    cls = torch.softmax(class_logits, dim=-1)[..., :-1]
    return torch.einsum("nqc,nqhw->nchw", cls, torch.sigmoid(mask_logits))


def maskwise_msp(class_logits: torch.Tensor, mask_logits: torch.Tensor) -> torch.Tensor:
    """Mask-wise MSP (Eq. 3): ``1 - max_c (softmax(cls)^T . sigmoid(masks))_c``, (N, H, W)."""
    return 1.0 - maskwise_logits(class_logits, mask_logits).amax(dim=1)


SCORE_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "msp": msp,
    "max_logit": max_logit,
    "entropy": entropy,
    "energy": energy,
    "eel": eel_score,
}


def score_by_name(name: str, logits: torch.Tensor, *, alpha: float = 1.0) -> torch.Tensor:
    """Apply the score called ``name`` (one of :data:`SCORE_FUNCTIONS`) to ``logits``."""
    if name not in SCORE_FUNCTIONS:
        raise UsageError(f"expected score in {sorted(SCORE_FUNCTIONS)}, got {name!r}")
    if name == "eel":
        return eel_score(logits, alpha=alpha)
    return SCORE_FUNCTIONS[name](logits)


def gaussian_blur(scores: torch.Tensor, *, kernel_size: int = 7, sigma: float = 1.0) -> torch.Tensor:
    """Blur (N, H, W) score maps with a normalised Gaussian kernel (RPL's 7x7, sigma 1), reflect padding."""
    import torch
    import torch.nn.functional as F

    if scores.dim() != 3:
        raise UsageError(f"expected scores of shape (N, H, W), got shape {tuple(scores.shape)}")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise UsageError(f"expected an odd positive kernel_size, got {kernel_size}")
    half = kernel_size // 2
    coords = torch.arange(kernel_size, dtype=torch.float64, device=scores.device) - half
    g = torch.exp(-(coords**2) / (2.0 * sigma**2))
    g = (g / g.sum()).to(scores.dtype)
    kernel = (g[:, None] * g[None, :])[None, None]
    x = scores[:, None]
    mode = "reflect" if min(x.shape[-2:]) > half else "replicate"
    x = F.pad(x, (half, half, half, half), mode=mode)
    return F.conv2d(x, kernel)[:, 0]
