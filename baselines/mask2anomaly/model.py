"""Mask2Anomaly (+ DiffEEL) on ``transformers``' Mask2Former: the :class:`~baselines.base.AnomalySegmenter`.

``build_mask2anomaly(size="tiny", variant="mask2anomaly")`` builds a randomly initialised model from a config
(nothing is downloaded); :meth:`Mask2Anomaly.save_pretrained` / :meth:`Mask2Anomaly.from_pretrained` write and read
a folder holding ``config.json`` and ``model.safetensors``.

>>> model = build_mask2anomaly(size="tiny", variant="mask2anomaly_diffeel").eval()
>>> out = model(torch.zeros(1, 3, 64, 64))
>>> tuple(out["logits"].shape), tuple(out["class_logits"].shape)
((1, 19, 64, 64), (1, 8, 20))
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from baselines.base import SCORE_NAMES
from baselines.hub import CONFIG_NAME, WEIGHTS_NAME, BaselineHubMixin
from baselines.mask2anomaly.attention import install_global_masked_attention
from baselines.mask2anomaly.backbones import backbone_config_dict, load_backbone_weights
from baselines.mask2anomaly.config import PRESETS, Mask2AnomalyConfig
from baselines.mask2anomaly.inference import fill_value_for, flip_average, maskwise_score, refine_scores
from baselines.mask2anomaly.loss import check_labels, compose_loss, pixel_logits, semantic_to_mask_targets
from comsamy.errors import ConfigError, UsageError

__all__ = ["CONFIG_NAME", "WEIGHTS_NAME", "Mask2Anomaly", "build_mask2anomaly", "build_mask2anomaly_diffeel"]

logger = logging.getLogger(__name__)


class Mask2Anomaly(nn.Module, BaselineHubMixin):
    """Mask2Former with global masked attention, Mask2Anomaly's inference and the Eq. 10 training loss.

    ``save_pretrained`` / ``from_pretrained`` (folder or Hub id; keyword overrides such as ``flip=False``) /
    ``push_to_hub`` come from :class:`baselines.hub.BaselineHubMixin`.

    Attributes:
        config: the :class:`Mask2AnomalyConfig` it was built from.
        mask2former: the ``transformers`` ``Mask2FormerForUniversalSegmentation`` (decoder cross-attentions replaced
            by :class:`~baselines.mask2anomaly.attention.GlobalMaskedCrossAttention` when enabled).
    """

    def __init__(self, config: Mask2AnomalyConfig) -> None:
        super().__init__()
        from transformers import Mask2FormerForUniversalSegmentation

        if config.backbone is not None and config.backbone_config is None:
            config = dataclasses.replace(config, backbone_config=backbone_config_dict(config.backbone))
        self.config = config
        self.mask2former = Mask2FormerForUniversalSegmentation(config.to_hf_config())
        if config.backbone is not None:
            load_backbone_weights(self.backbone, config.backbone)
        if config.global_masked_attention:
            install_global_masked_attention(self.mask2former)
        if config.freeze_backbone:
            self.backbone.requires_grad_(False)
        elif config.freeze_backbone_norm:
            for module in self._backbone_norms():
                module.requires_grad_(False)
        self.train(self.training)
        self._set_hub_config()

    config_class = Mask2AnomalyConfig
    registry_names = ("mask2anomaly", "mask2anomaly_diffeel")

    def registry_name(self) -> str:
        return self.config.variant

    def _set_hub_config(self) -> None:
        super()._set_hub_config()
        assert isinstance(self._hub_mixin_config, dict)
        self._hub_mixin_config["backbone"] = None  # weights are in the folder; backbone_config keeps the architecture

    @property
    def backbone(self) -> nn.Module:
        """The backbone (``transformers`` ``ResNetBackbone`` or ``SwinBackbone``)."""
        return self.mask2former.model.pixel_level_module.encoder

    def _backbone_norms(self) -> list[nn.Module]:
        return [m for m in self.backbone.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]

    def train(self, mode: bool = True) -> Mask2Anomaly:
        """Set training mode; frozen backbone norms (or a frozen backbone) stay in eval mode."""
        super().train(mode)
        if self.config.freeze_backbone:
            self.backbone.eval()
        elif self.config.freeze_backbone_norm:
            for module in self._backbone_norms():
                module.eval()
        return self

    # ------------------------------------------------------------------ forward
    def _check_images(self, images: torch.Tensor) -> None:
        if images.dim() != 4 or images.shape[1] != 3 or not images.is_floating_point():
            raise UsageError(
                f"expected images as a float tensor (N, 3, H, W), got dtype {images.dtype} and shape "
                f"{tuple(images.shape)}"
            )
        if min(images.shape[-2:]) < 32:
            raise UsageError(f"expected images at least 32x32 (backbone stride 32), got {tuple(images.shape[-2:])}")

    def _run(self, images: torch.Tensor, *, auxiliary: bool = False) -> Any:
        self._check_images(images)
        return self.mask2former(pixel_values=images, output_auxiliary_logits=auxiliary, return_dict=True)

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Run the model.

        Args:
            images: (N, 3, H, W) normalised with ImageNet mean / std.

        Returns:
            ``"logits"``: (N, C, H, W) mask-wise per-pixel logits ``softmax(cls)[:C]^T . sigmoid(masks)`` at the input
            resolution; ``"class_logits"``: (N, Q, C + 1); ``"mask_logits"``: (N, Q, H/4, W/4), as the model
            predicts them (upsample before combining them at full resolution).
        """
        out = self._run(images)
        cls, masks = out.class_queries_logits, out.masks_queries_logits
        return {"logits": pixel_logits(cls, masks, tuple(images.shape[-2:])), "class_logits": cls, "mask_logits": masks}

    # ------------------------------------------------------------------ training
    def training_loss(
        self, images: torch.Tensor, labels: torch.Tensor, *, anomaly_id: int
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Eq. 10: ``L_masks + lambda_ce * L_ce + lambda * (L_eel or L_contrastive)``.

        Args:
            images: (N, 3, H, W) normalised images.
            labels: (N, H, W) train ids, ``anomaly_id`` on pasted anomalies, void (255) ignored.
            anomaly_id: the anomaly label (254 or 20); must not be an inlier train id or the void label.
        """
        cfg = self.config
        if 0 <= anomaly_id < cfg.num_classes or anomaly_id == cfg.void_label:
            raise UsageError(
                f"expected anomaly_id outside the inlier train ids [0, {cfg.num_classes}) and not the "
                f"void label {cfg.void_label}, got {anomaly_id}"
            )
        self._check_images(images)
        labels = labels.to(images.device)
        check_labels(
            labels,
            num_classes=cfg.num_classes,
            anomaly_id=anomaly_id,
            void_label=cfg.void_label,
            shape=(images.shape[0], *images.shape[-2:]),
        )
        out = self._run(images, auxiliary=True)
        mask_labels, class_labels = semantic_to_mask_targets(
            labels, num_classes=cfg.num_classes, anomaly_id=anomaly_id, void_label=cfg.void_label
        )
        dtype = out.masks_queries_logits.dtype
        losses = self.mask2former.get_loss_dict(
            masks_queries_logits=out.masks_queries_logits,
            class_queries_logits=out.class_queries_logits,
            mask_labels=[m.to(dtype) for m in mask_labels],  # type: ignore[arg-type]  # lists, as documented
            class_labels=class_labels,  # type: ignore[arg-type]
            auxiliary_predictions=out.auxiliary_logits,
        )
        logits = pixel_logits(out.class_queries_logits, out.masks_queries_logits, tuple(labels.shape[-2:]))
        return compose_loss(losses, logits, labels, anomaly_id=anomaly_id, config=cfg)

    def param_groups(self, lr: float) -> list[dict[str, Any]]:
        """AdamW groups: backbone at ``lr * backbone_lr_multiplier``, the rest at ``lr``; weight decay
        ``config.weight_decay`` except on norm and embedding parameters (0), as in Mask2Former. Frozen parameters
        are left out; empty groups are dropped."""
        if lr <= 0:
            raise UsageError(f"expected a positive lr, got {lr}")
        no_decay: set[int] = set()
        for module in self.modules():
            if isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm, nn.Embedding)):
                no_decay.update(id(p) for p in module.parameters(recurse=False))
        no_decay.add(id(self.mask2former.model.pixel_level_module.decoder.level_embed))
        backbone = {id(p) for p in self.backbone.parameters()}
        groups: dict[tuple[bool, bool], list[nn.Parameter]] = {}
        for p in self.parameters():
            if p.requires_grad:
                groups.setdefault((id(p) in backbone, id(p) in no_decay), []).append(p)
        out = []
        for (is_backbone, is_no_decay), params in sorted(groups.items()):
            out.append(
                {
                    "params": params,
                    "lr": lr * (self.config.backbone_lr_multiplier if is_backbone else 1.0),
                    "weight_decay": 0.0 if is_no_decay else self.config.weight_decay,
                    "name": f"{'backbone' if is_backbone else 'head'}{'_no_decay' if is_no_decay else ''}",
                }
            )
        return out

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def anomaly_scores(
        self, images: torch.Tensor, score: str = "eel", *, refine: bool | None = None, flip: bool | None = None
    ) -> torch.Tensor:
        """Per-pixel anomaly scores (N, H, W) at the input resolution, higher = more anomalous.

        Args:
            images: (N, 3, H, W) normalised images.
            score: ``"msp"`` (Eq. 3), ``"max_logit"``, ``"entropy"``, ``"energy"`` or ``"eel"`` (Eq. 6), all on the
                mask-wise logits ``y``.
            refine: Mask2Anomaly's refinement (scores set to the floor inside confident non-road masks);
                ``None`` = ``config.refine``.
            flip: average with the horizontally flipped image; ``None`` = ``config.flip``.
        """
        cfg = self.config
        refine = cfg.refine if refine is None else refine
        flip = cfg.flip if flip is None else flip
        if score not in SCORE_NAMES:
            raise UsageError(f"expected score in {SCORE_NAMES}, got {score!r}")

        def single(x: torch.Tensor) -> torch.Tensor:
            out = self.forward(x)
            scores = maskwise_score(out["logits"], score, alpha=cfg.eel_alpha)
            if refine:
                masks = F.interpolate(
                    out["mask_logits"], size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False
                )
                scores = refine_scores(
                    scores,
                    out["class_logits"],
                    masks,
                    threshold=cfg.refine_threshold,
                    classes=cfg.refine_classes,
                    weighted=cfg.refine_weighted,
                    fill_value=fill_value_for(score),
                )
            return scores

        return flip_average(single, images) if flip else single(images)


def build_mask2anomaly(
    *,
    size: str = "paper",
    variant: str | None = None,
    diffeel: bool | None = None,
    pretrained: str | Path | None = None,
    **config: Any,
) -> Mask2Anomaly:
    """Build Mask2Anomaly from a config: the registry's factory for ``mask2anomaly`` and ``mask2anomaly_diffeel``.

    Args:
        size: ``"paper"`` (ResNet-50, 9 decoder layers, 100 queries) or ``"tiny"`` (CPU tests).
        variant: ``"mask2anomaly"`` (mask contrastive loss) or ``"mask2anomaly_diffeel"`` (EEL loss, Eq. 10).
        diffeel: the registry's switch, the same choice as ``variant`` (True = ``"mask2anomaly_diffeel"``); giving
            both with different meanings is an error. Neither: ``"mask2anomaly"``.
        pretrained: a folder written by :meth:`Mask2Anomaly.save_pretrained`; its saved config wins over ``size``
            and the architecture fields, ``config`` may still override others (e.g. ``flip=False``).
        **config: any :class:`Mask2AnomalyConfig` field.

    Raises:
        ConfigError: unknown size, variant or config key, or a bad value.
    """
    if diffeel is not None:
        implied = "mask2anomaly_diffeel" if diffeel else "mask2anomaly"
        if variant is not None and variant != implied:
            raise ConfigError(f"expected variant {implied!r} with diffeel={diffeel}, got {variant!r}")
        variant = implied
    if pretrained is not None:
        if variant is not None:
            config["variant"] = variant
        return Mask2Anomaly.from_pretrained(str(pretrained), **config)
    if size not in PRESETS:
        raise ConfigError(f"expected size in {PRESETS}, got {size!r}")
    return Mask2Anomaly(Mask2AnomalyConfig.preset(size, variant=variant or "mask2anomaly", **config))


def build_mask2anomaly_diffeel(**config: Any) -> Mask2Anomaly:
    """:func:`build_mask2anomaly` with ``diffeel=True`` (Eq. 10 with the EEL loss)."""
    config.setdefault("diffeel", True)
    return build_mask2anomaly(**config)
