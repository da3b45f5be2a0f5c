"""Configuration of Mask2Anomaly (+ DiffEEL): one frozen dataclass, two size presets, no torch needed.

``Mask2AnomalyConfig.preset("paper")`` is the paper's setup (ResNet-50, MSDeformAttn pixel decoder, 9 transformer
decoder layers, 100 queries, 19 inlier classes + "no object"); ``preset("tiny")`` is a few-hundred-thousand-parameter
model for CPU tests. :meth:`Mask2AnomalyConfig.to_hf_config` turns it into a ``transformers.Mask2FormerConfig`` with a
randomly initialised ``transformers`` ResNet backbone (no timm, no download).

>>> cfg = Mask2AnomalyConfig.preset("tiny", variant="mask2anomaly_diffeel")
>>> cfg.anomaly_loss, cfg.lambda_anomaly
('eel', 0.05)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from comsamy.constants import IGNORE_INDEX, NUM_INLIER_CLASSES, TRAIN_ID
from comsamy.errors import ConfigError

if TYPE_CHECKING:
    from transformers import Mask2FormerConfig

__all__ = ["ANOMALY_LOSSES", "PRESETS", "VARIANTS", "Mask2AnomalyConfig"]

VARIANTS = ("mask2anomaly", "mask2anomaly_diffeel")
"""Registry names: Mask2Anomaly with its mask contrastive loss, and with that loss swapped for EEL (Eq. 10)."""
ANOMALY_LOSSES = ("contrastive", "eel")
PRESETS = ("paper", "tiny")

_VARIANT_LOSS = {"mask2anomaly": "contrastive", "mask2anomaly_diffeel": "eel"}

# Per-preset architecture values; everything else takes the dataclass defaults.
_PRESET_VALUES: dict[str, dict[str, Any]] = {
    "paper": {},
    "tiny": {
        "backbone_layer_type": "basic",
        "backbone_embedding_size": 16,
        "backbone_hidden_sizes": (16, 32, 64, 128),
        "backbone_depths": (1, 1, 1, 1),
        "feature_size": 32,
        "mask_feature_size": 32,
        "hidden_dim": 32,
        "encoder_layers": 1,
        "encoder_feedforward_dim": 64,
        "decoder_layers": 2,
        "num_attention_heads": 2,
        "dim_feedforward": 64,
        "num_queries": 8,
        "train_num_points": 256,
    },
}


@dataclass(frozen=True)
class Mask2AnomalyConfig:
    """Everything needed to rebuild a Mask2Anomaly model; saved as JSON beside its weights.

    Architecture fields mirror ``transformers.Mask2FormerConfig`` except ``decoder_layers``, which counts the
    *transformer* decoder layers as the paper does (9); the ``transformers`` config counts one more (the initial
    prediction from the learnable queries), see :meth:`to_hf_config`.

    Attributes:
        variant: ``"mask2anomaly"`` (mask contrastive loss) or ``"mask2anomaly_diffeel"`` (EEL, Eq. 10).
        global_masked_attention: two cross-attentions per decoder layer, masked to the predicted foreground and to
            the background, summed (Mask2Anomaly). ``False`` gives plain Mask2Former masked attention.
        lambda_ce: weight of the classification loss in Eq. 10 (paper: 1).
        lambda_anomaly: weight of the anomaly loss (EEL or contrastive) in Eq. 10 (paper: 0.05).
        eel_alpha: entropy weight of the EEL loss and score (paper: 1).
        contrastive_margin: margin of the mask contrastive loss (anomaly pixels must score at least this much
            below the inlier target of 1 on the largest mask-wise class score).
        class_weight, mask_weight, dice_weight, no_object_weight: Mask2Former's own loss weights (2, 5, 5, 0.1).
        refine, refine_threshold, road_id: inference refinement: scores inside the masks of queries whose top
            inlier-class probability exceeds ``refine_threshold`` for a class other than ``road_id`` are set to the
            most-inlier value.
        flip: average scores with those of the horizontally flipped image.
        weight_decay, backbone_lr_multiplier: AdamW settings (paper: lr 1e-5, weight decay 0.05; Mask2Former's
            backbone multiplier 0.1). Norm and embedding parameters get no weight decay, as in Mask2Former.
        freeze_backbone: exclude the whole backbone from training.
        freeze_backbone_norm: keep the backbone's batch norms frozen (eval mode, no gradient), as Mask2Former's
            ResNet does (detectron2's ``FrozenBN``); batch statistics of 1-2 images per GPU are useless.
    """

    variant: str = "mask2anomaly"
    num_classes: int = NUM_INLIER_CLASSES
    void_label: int = IGNORE_INDEX
    # backbone (transformers ResNet; defaults = ResNet-50)
    backbone_layer_type: str = "bottleneck"
    backbone_embedding_size: int = 64
    backbone_hidden_sizes: tuple[int, ...] = (256, 512, 1024, 2048)
    backbone_depths: tuple[int, ...] = (3, 4, 6, 3)
    # pixel decoder (MSDeformAttn encoder) and transformer decoder
    feature_size: int = 256
    mask_feature_size: int = 256
    hidden_dim: int = 256
    encoder_layers: int = 6
    encoder_feedforward_dim: int = 1024
    decoder_layers: int = 9
    num_attention_heads: int = 8
    dim_feedforward: int = 2048
    num_queries: int = 100
    global_masked_attention: bool = True
    # losses (Eq. 10)
    lambda_ce: float = 1.0
    lambda_anomaly: float = 0.05
    eel_alpha: float = 1.0
    contrastive_margin: float = 0.75
    class_weight: float = 2.0
    mask_weight: float = 5.0
    dice_weight: float = 5.0
    no_object_weight: float = 0.1
    train_num_points: int = 12544
    # inference
    refine: bool = True
    refine_threshold: float = 0.95
    road_id: int = TRAIN_ID["road"]
    flip: bool = True
    # optimisation
    weight_decay: float = 0.05
    backbone_lr_multiplier: float = 0.1
    freeze_backbone: bool = False
    freeze_backbone_norm: bool = True

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ConfigError(f"expected variant in {VARIANTS}, got {self.variant!r}")
        for name in ("backbone_hidden_sizes", "backbone_depths"):
            value = tuple(getattr(self, name))
            object.__setattr__(self, name, value)
            if len(value) != 4 or any(int(v) < 1 for v in value):
                raise ConfigError(f"expected {name} to hold 4 positive ints (ResNet stages), got {value}")
        if self.backbone_layer_type not in ("basic", "bottleneck"):
            raise ConfigError(f"expected backbone_layer_type 'basic' or 'bottleneck', got {self.backbone_layer_type!r}")
        positive = ("num_classes", "feature_size", "mask_feature_size", "hidden_dim", "encoder_layers",
                    "decoder_layers", "num_attention_heads", "num_queries", "train_num_points")
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"expected {name} >= 1, got {getattr(self, name)}")
        for name in ("feature_size", "mask_feature_size"):
            if getattr(self, name) % 32:
                raise ConfigError(f"expected {name} divisible by 32 (GroupNorm(32) in the pixel decoder), "
                                  f"got {getattr(self, name)}")
        if self.hidden_dim % self.num_attention_heads:
            raise ConfigError(f"expected hidden_dim divisible by num_attention_heads, got {self.hidden_dim} and "
                              f"{self.num_attention_heads}")
        if not 0.0 < self.refine_threshold < 1.0:
            raise ConfigError(f"expected refine_threshold in (0, 1), got {self.refine_threshold}")
        if not 0 <= self.road_id < self.num_classes:
            raise ConfigError(f"expected road_id in [0, {self.num_classes}), got {self.road_id}")
        for name in ("lambda_ce", "lambda_anomaly", "eel_alpha", "weight_decay", "backbone_lr_multiplier"):
            if float(getattr(self, name)) < 0:
                raise ConfigError(f"expected {name} >= 0, got {getattr(self, name)}")

    @property
    def anomaly_loss(self) -> str:
        """``"contrastive"`` for ``mask2anomaly``, ``"eel"`` for ``mask2anomaly_diffeel``."""
        return _VARIANT_LOSS[self.variant]

    @classmethod
    def preset(cls, size: str = "paper", **overrides: Any) -> Mask2AnomalyConfig:
        """The ``"paper"`` or ``"tiny"`` configuration, with ``overrides`` applied (unknown keys are an error)."""
        if size not in PRESETS:
            raise ConfigError(f"expected size in {PRESETS}, got {size!r}")
        return cls.from_dict({**_PRESET_VALUES[size], **overrides})

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Mask2AnomalyConfig:
        """Rebuild from :meth:`to_dict` output (lists become tuples); unknown keys raise :class:`ConfigError`."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(f"expected Mask2Anomaly config keys among {sorted(names)}, got unknown {unknown}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every field."""
        out = dataclasses.asdict(self)
        for name in ("backbone_hidden_sizes", "backbone_depths"):
            out[name] = list(out[name])
        return out

    def to_hf_config(self) -> Mask2FormerConfig:
        """A ``transformers.Mask2FormerConfig`` with a random-init ResNet backbone (nothing is downloaded)."""
        import logging

        from transformers import Mask2FormerConfig, ResNetConfig

        # transformers warns that only Swin is a tested Mask2Former backbone; ResNet is the paper's choice.
        hf_logger = logging.getLogger("transformers.models.mask2former.configuration_mask2former")
        level = hf_logger.level
        hf_logger.setLevel(logging.ERROR)
        try:
            return self._hf_config(Mask2FormerConfig, ResNetConfig)
        finally:
            hf_logger.setLevel(level)

    def _hf_config(self, config_cls: Any, resnet_cls: Any) -> Mask2FormerConfig:
        backbone = resnet_cls(
            num_channels=3,
            embedding_size=self.backbone_embedding_size,
            hidden_sizes=list(self.backbone_hidden_sizes),
            depths=list(self.backbone_depths),
            layer_type=self.backbone_layer_type,
            out_features=["stage1", "stage2", "stage3", "stage4"],
        )
        return config_cls(
            backbone_config=backbone,
            use_timm_backbone=False,
            use_pretrained_backbone=False,
            num_labels=self.num_classes,
            feature_size=self.feature_size,
            mask_feature_size=self.mask_feature_size,
            hidden_dim=self.hidden_dim,
            encoder_layers=self.encoder_layers,
            encoder_feedforward_dim=self.encoder_feedforward_dim,
            decoder_layers=self.decoder_layers + 1,
            num_attention_heads=self.num_attention_heads,
            dim_feedforward=self.dim_feedforward,
            num_queries=self.num_queries,
            dropout=0.0,
            ignore_value=self.void_label,
            class_weight=self.class_weight,
            mask_weight=self.mask_weight,
            dice_weight=self.dice_weight,
            no_object_weight=self.no_object_weight,
            train_num_points=self.train_num_points,
            use_auxiliary_loss=True,
        )
