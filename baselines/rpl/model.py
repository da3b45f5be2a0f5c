"""The two pixel-wise baselines as :class:`baselines.base.AnomalySegmenter` modules.

* :class:`InlierSegmenter`: DeepLabV3+ / WiderResNet38 trained with cross-entropy on inlier labels; scored with
  MSP, max logit, entropy, energy or EEL on its logits (the "msp" / "energy" baselines).
* :class:`RPLSegmenter`: the same network frozen, plus RPL's trainable residual block, trained with the
  consistency loss and either RPL's energy loss (``rpl_energy``) or the EEL loss (``rpl_eel``, RPL + DiffEEL).

Both keep the network under the attribute ``branch1`` so that their state dicts use the official RPL names.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from baselines.hub import BaselineHubMixin
from baselines.rpl.deeplab import DeepWV3Plus, ResidualAnomalyBlock
from baselines.rpl.loss import ANOMALY_LOSSES, rpl_loss
from baselines.rpl.weights import load_weights
from baselines.rpl.wideresnet import OFFICIAL_STRUCTURE
from baselines.scores import gaussian_blur, score_by_name
from comsamy.constants import IGNORE_INDEX, NUM_INLIER_CLASSES
from comsamy.errors import ConfigError

__all__ = ["InlierSegmenter", "RPLConfig", "RPLSegmenter", "SegmenterConfig"]


def _check_common(width: float, structure: tuple[int, ...], num_classes: int) -> None:
    if not width > 0:
        raise ConfigError(f"expected width > 0, got {width}")
    if len(structure) != 6 or any(int(n) < 1 for n in structure):
        raise ConfigError(f"expected structure of six positive block counts, got {structure}")
    if num_classes < 2:
        raise ConfigError(f"expected num_classes >= 2, got {num_classes}")


@dataclass(frozen=True)
class SegmenterConfig:
    """Inlier segmenter: network size, optional initial weights, score post-processing."""

    num_classes: int = NUM_INLIER_CLASSES
    width: float = 1.0
    structure: tuple[int, ...] = OFFICIAL_STRUCTURE
    pretrained: str | None = None
    alpha: float = 1.0
    blur: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "structure", tuple(int(n) for n in self.structure))
        _check_common(self.width, self.structure, self.num_classes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["structure"] = list(self.structure)
        return d


@dataclass(frozen=True)
class RPLConfig(SegmenterConfig):
    """RPL residual training: the anomaly loss (``"eel"`` or ``"energy"``), its weight and the consistency terms."""

    anomaly_loss: str = "eel"
    lam: float = 0.05
    use_kl: bool = True
    energy_margin: float = 0.0
    final_lr_mult: float = 10.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.anomaly_loss not in ANOMALY_LOSSES:
            raise ConfigError(f"expected anomaly_loss in {ANOMALY_LOSSES}, got {self.anomaly_loss!r}")
        if self.lam < 0:
            raise ConfigError(f"expected lam >= 0, got {self.lam}")


class _ScoredSegmenter(nn.Module):
    config: SegmenterConfig
    branch1: DeepWV3Plus

    def _finish_scores(self, scores: torch.Tensor) -> torch.Tensor:
        return gaussian_blur(scores) if self.config.blur else scores

    @torch.no_grad()
    def anomaly_scores(self, images: torch.Tensor, score: str = "eel") -> torch.Tensor:
        """(N, H, W) anomaly scores of ``forward(images)["logits"]``, higher = more anomalous."""
        logits = self.forward(images)["logits"]
        return self._finish_scores(score_by_name(score, logits.float(), alpha=self.config.alpha))


class InlierSegmenter(_ScoredSegmenter, BaselineHubMixin):
    """Plain DeepLabV3+ / WiderResNet38 segmenter trained with cross-entropy (anomaly and void pixels ignored).

    ``save_pretrained(folder)`` / ``InlierSegmenter.from_pretrained(folder_or_hub_id)`` (:mod:`baselines.hub`).
    """

    config_class = SegmenterConfig
    registry_names = ("inlier_segmenter",)

    def __init__(self, config: SegmenterConfig | None = None) -> None:
        super().__init__()
        self.config = config or SegmenterConfig()
        c = self.config
        self.branch1 = DeepWV3Plus(c.num_classes, width=c.width, structure=c.structure, residual=False)
        if c.pretrained:
            load_weights(self, c.pretrained)
        self._set_hub_config()

    def registry_name(self) -> str:
        return "inlier_segmenter"

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        logits, _ = self.branch1(images)
        return {"logits": logits}

    def training_loss(
        self, images: torch.Tensor, labels: torch.Tensor, *, anomaly_id: int
    ) -> tuple[torch.Tensor, dict[str, float]]:
        logits = self.forward(images)["logits"]
        target = labels.clone()
        target[(target >= self.config.num_classes) | (target == anomaly_id)] = IGNORE_INDEX
        if not bool((target != IGNORE_INDEX).any()):
            loss = logits.sum() * 0.0
        else:
            loss = F.cross_entropy(logits, target, ignore_index=IGNORE_INDEX)
        return loss, {"loss": float(loss.detach()), "ce": float(loss.detach())}

    def param_groups(self, lr: float) -> list[dict[str, Any]]:
        return [{"params": [p for p in self.parameters() if p.requires_grad], "lr": lr, "name": "all"}]


class RPLSegmenter(_ScoredSegmenter, BaselineHubMixin):
    """RPL: frozen inlier network + trainable residual block; ``logits`` are the corrected ones.

    Only ``branch1.residual_block`` trains; the rest stays in eval mode (frozen BatchNorm statistics) even when
    the module is put in training mode. ``forward`` returns ``{"logits": corrected, "frozen_logits": original}``.
    ``save_pretrained`` / ``from_pretrained`` / ``push_to_hub`` as in :mod:`baselines.hub`.
    """

    config_class = RPLConfig
    registry_names = ("rpl_eel", "rpl_energy")

    def __init__(self, config: RPLConfig | None = None) -> None:
        super().__init__()
        self.config: RPLConfig = config or RPLConfig()
        c = self.config
        self.branch1 = DeepWV3Plus(c.num_classes, width=c.width, structure=c.structure, residual=True)
        if c.pretrained:
            report = load_weights(self, c.pretrained)
            if any(k.startswith("branch1.residual_block.atten_aspp.") for k in report.missing):
                self.init_residual_from_decoder()
        for name, p in self.named_parameters():
            p.requires_grad_(name.startswith("branch1.residual_block."))
        self._set_hub_config()

    def registry_name(self) -> str:
        return "rpl_eel" if self.config.anomaly_loss == "eel" else "rpl_energy"

    @torch.no_grad()
    def init_residual_from_decoder(self) -> None:
        """Start the residual ASPP and its 1x1 reduction as copies of the frozen ``aspp`` / ``bot_aspp``.

        This is how the official code starts RPL training from an inlier checkpoint; ``atten_aspp_final`` keeps
        its random (Kaiming) initialisation. Called automatically when ``pretrained`` lacks the residual block.
        """
        block = self.residual_block
        block.atten_aspp.load_state_dict(self.branch1.aspp.state_dict())
        block.bot_atten_aspp.load_state_dict(self.branch1.bot_aspp.state_dict())

    @property
    def residual_block(self) -> ResidualAnomalyBlock:
        block = self.branch1.residual_block
        assert block is not None
        return block

    def train(self, mode: bool = True) -> RPLSegmenter:
        super().train(mode)
        self.branch1.eval()
        self.residual_block.train(mode)
        return self

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        frozen, corrected = self.branch1(images)
        return {"logits": corrected, "frozen_logits": frozen}

    def training_loss(
        self, images: torch.Tensor, labels: torch.Tensor, *, anomaly_id: int
    ) -> tuple[torch.Tensor, dict[str, float]]:
        out = self.forward(images)
        c = self.config
        return rpl_loss(
            out["logits"],
            out["frozen_logits"],
            labels,
            anomaly_id=anomaly_id,
            anomaly_loss=c.anomaly_loss,
            lam=c.lam,
            alpha=c.alpha,
            use_kl=c.use_kl,
            energy_margin=c.energy_margin,
        )

    def param_groups(self, lr: float) -> list[dict[str, Any]]:
        """Residual block at ``lr``, its last convolution (``atten_aspp_final``) at ``final_lr_mult * lr``."""
        final: list[nn.Parameter] = []
        rest: list[nn.Parameter] = []
        for name, p in self.residual_block.named_parameters():
            if p.requires_grad:
                (final if name.startswith("atten_aspp_final") else rest).append(p)
        return [
            {"params": rest, "lr": lr, "name": "residual"},
            {"params": final, "lr": lr * self.config.final_lr_mult, "name": "residual_final"},
        ]
