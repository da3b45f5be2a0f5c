"""The interface every baseline model implements, so that one training and one inference loop serve all.

Shapes: ``images`` are (N, 3, H, W) float tensors normalised with :data:`IMAGE_MEAN` / :data:`IMAGE_STD`;
``labels`` are (N, H, W) int64 Cityscapes train ids with the anomaly id on pasted objects and 255 void.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import torch

IMAGE_MEAN = (0.485, 0.456, 0.406)
IMAGE_STD = (0.229, 0.224, 0.225)

SCORE_NAMES = ("msp", "max_logit", "entropy", "energy", "eel")


@runtime_checkable
class AnomalySegmenter(Protocol):
    """What the training loop, the inference command and the registry rely on."""

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return at least ``{"logits": (N, C, H, W)}`` at the input resolution (C = 19 inlier classes)."""
        ...

    def training_loss(
        self, images: torch.Tensor, labels: torch.Tensor, *, anomaly_id: int
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Return the scalar loss to minimise and a dict of its named parts (for logs)."""
        ...

    def anomaly_scores(self, images: torch.Tensor, score: str = "eel") -> torch.Tensor:
        """Return (N, H, W) per-pixel anomaly scores, higher = more anomalous; ``score`` in SCORE_NAMES."""
        ...

    def param_groups(self, lr: float) -> list[dict[str, Any]]:
        """Optimizer parameter groups holding only the trainable parameters (frozen parts excluded)."""
        ...
