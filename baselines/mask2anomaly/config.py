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

__all__ = ["ANOMALY_LOSSES", "OFFICIAL_REFINE_CLASSES", "PRESETS", "VARIANTS", "Mask2AnomalyConfig", "non_road_classes"]

VARIANTS = ("mask2anomaly", "mask2anomaly_diffeel")
"""Registry names: Mask2Anomaly with its mask contrastive loss, and with that loss swapped for EEL (Eq. 10)."""
ANOMALY_LOSSES = ("contrastive", "eel")
PRESETS = ("paper", "tiny")

OFFICIAL_REFINE_CLASSES = tuple(range(2, 11))
"""Train ids 2..10 (building, wall, fence, pole, traffic light, traffic sign, vegetation, terrain, sky): the classes
under whose confident masks the official Mask2Anomaly inference (``semantic_inference``: ``labels > 1`` and
``labels < 11``) removes anomaly. Road, sidewalk and the eight object classes (person ... bicycle) are not used."""


def non_road_classes(num_classes: int = NUM_INLIER_CLASSES, road_id: int = TRAIN_ID["road"]) -> tuple[int, ...]:
    """Every inlier class but road: our earlier refinement rule, kept as a switch (``refine_classes=...``)."""
    return tuple(c for c in range(num_classes) if c != road_id)


BACKBONE_TYPES = ("resnet", "swin")
"""``transformers`` backbones Mask2Anomaly takes (ResNet as in the paper, Swin as in Mask2Former's best models)."""

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
        "freeze_backbone": False,  # a random tiny backbone must train; the paper's ResNet-50 starts pretrained
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
        refine, refine_threshold: inference refinement: scores inside the masks of queries whose top class
            probability exceeds ``refine_threshold`` for a class of ``refine_classes`` are set to the most-inlier
            value.
        flip: average scores with those of the horizontally flipped image.
        weight_decay, backbone_lr_multiplier: AdamW settings (paper: lr 1e-5, weight decay 0.05; Mask2Former's
            backbone multiplier 0.1). Norm and embedding parameters get no weight decay, as in Mask2Former.
        backbone: a ``transformers`` ResNet or Swin checkpoint (Hub id such as ``microsoft/resnet-50`` /
            ``microsoft/swin-tiny-patch4-window7-224``, or a local ``save_pretrained`` folder) whose architecture and
            weights replace the random ResNet; ``None`` builds the ResNet from the ``backbone_*`` fields.
        backbone_config: that backbone's ``transformers`` config as a dict, filled in when the model is built
            (so that a saved model rebuilds the architecture without the checkpoint).
        refine_classes: the train ids under whose confident masks anomaly is removed (official: 2..10,
            :data:`OFFICIAL_REFINE_CLASSES`; ours: every class but road, :func:`non_road_classes`).
        refine_weighted: the official mask test ``class probability * sigmoid(mask) >= 0.5`` (True) or ours,
            ``sigmoid(mask) > 0.5`` (False).
        freeze_backbone: exclude the whole backbone from training (official: ``FREEZE_AT: 5``, the default).
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
    backbone: str | None = None
    backbone_config: dict[str, Any] | None = None
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
    refine_classes: tuple[int, ...] = OFFICIAL_REFINE_CLASSES
    refine_weighted: bool = True
    flip: bool = True
    # optimisation
    weight_decay: float = 0.05
    backbone_lr_multiplier: float = 0.1
    freeze_backbone: bool = True
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
        positive = (
            "num_classes",
            "feature_size",
            "mask_feature_size",
            "hidden_dim",
            "encoder_layers",
            "decoder_layers",
            "num_attention_heads",
            "num_queries",
            "train_num_points",
        )
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"expected {name} >= 1, got {getattr(self, name)}")
        for name in ("feature_size", "mask_feature_size"):
            if getattr(self, name) % 32:
                raise ConfigError(
                    f"expected {name} divisible by 32 (GroupNorm(32) in the pixel decoder), got {getattr(self, name)}"
                )
        if self.hidden_dim % self.num_attention_heads:
            raise ConfigError(
                f"expected hidden_dim divisible by num_attention_heads, got {self.hidden_dim} and "
                f"{self.num_attention_heads}"
            )
        if not 0.0 < self.refine_threshold < 1.0:
            raise ConfigError(f"expected refine_threshold in (0, 1), got {self.refine_threshold}")
        classes = tuple(int(c) for c in self.refine_classes)
        object.__setattr__(self, "refine_classes", classes)
        if not classes or any(not 0 <= c < self.num_classes for c in classes):
            raise ConfigError(f"expected refine_classes to be train ids in [0, {self.num_classes}), got {classes}")
        if self.backbone is not None and not (isinstance(self.backbone, str) and self.backbone.strip()):
            raise ConfigError(f"expected backbone to be a Hub id or a folder path, got {self.backbone!r}")
        if self.backbone_config is not None and not (
            isinstance(self.backbone_config, dict) and self.backbone_config.get("model_type") in BACKBONE_TYPES
        ):
            got = (
                self.backbone_config.get("model_type")
                if isinstance(self.backbone_config, dict)
                else self.backbone_config
            )
            raise ConfigError(f"expected backbone_config of a model_type in {BACKBONE_TYPES}, got {got!r}")
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
        values = dict(values)
        if "road_id" in values:  # configs saved before refine_classes: "every class but road_id"
            road = values.pop("road_id")
            if not isinstance(road, int) or not 0 <= road < int(values.get("num_classes", NUM_INLIER_CLASSES)):
                raise ConfigError(f"expected road_id in [0, num_classes), got {road!r}")
            values.setdefault(
                "refine_classes", non_road_classes(int(values.get("num_classes", NUM_INLIER_CLASSES)), road)
            )
            values.setdefault("refine_weighted", False)
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(f"expected Mask2Anomaly config keys among {sorted(names)}, got unknown {unknown}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every field."""
        out = dataclasses.asdict(self)
        for name in ("backbone_hidden_sizes", "backbone_depths", "refine_classes"):
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

    def _backbone_hf_config(self, resnet_cls: Any) -> Any:
        if self.backbone_config is None:
            return resnet_cls(
                num_channels=3,
                embedding_size=self.backbone_embedding_size,
                hidden_sizes=list(self.backbone_hidden_sizes),
                depths=list(self.backbone_depths),
                layer_type=self.backbone_layer_type,
                out_features=["stage1", "stage2", "stage3", "stage4"],
            )
        from transformers import AutoConfig

        values = {k: v for k, v in self.backbone_config.items() if k not in ("out_features", "out_indices")}
        return AutoConfig.for_model(**values, out_features=["stage1", "stage2", "stage3", "stage4"])

    def _hf_config(self, config_cls: Any, resnet_cls: Any) -> Mask2FormerConfig:
        backbone = self._backbone_hf_config(resnet_cls)
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
