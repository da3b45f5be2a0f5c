"""``transformers`` backbones for Mask2Anomaly: ResNet or Swin checkpoints by Hub id or local folder.

:func:`backbone_config_dict` reads a checkpoint's architecture (``config.json``) so that
:class:`~baselines.mask2anomaly.config.Mask2AnomalyConfig` can rebuild it; :func:`load_backbone_weights` copies the
checkpoint's weights into the Mask2Former pixel-level encoder (``ResNetBackbone`` / ``SwinBackbone``, the classes that
Mask2Former itself builds from ``backbone_config``), checking that every encoder weight was found.
"""

from __future__ import annotations

import logging
from typing import Any

from torch import nn

from comsamy.errors import ConfigError

__all__ = ["OUT_FEATURES", "backbone_config_dict", "load_backbone_weights"]

logger = logging.getLogger(__name__)

OUT_FEATURES = ["stage1", "stage2", "stage3", "stage4"]
_BACKBONE_CLASSES = {"resnet": "ResNetBackbone", "swin": "SwinBackbone"}
"""The four feature levels (strides 4, 8, 16, 32) the Mask2Former pixel decoder takes."""


def _auto_config(source: str) -> Any:
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(source)
    except Exception as exc:
        raise ConfigError(
            f"expected backbone to be a transformers ResNet or Swin checkpoint (Hub id or folder), got "
            f"{source!r} ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        ) from exc


def backbone_config_dict(source: str) -> dict[str, Any]:
    """The ``transformers`` config of the ResNet / Swin checkpoint ``source`` as a dict (``model_type`` included).

    Raises:
        ConfigError: ``source`` cannot be read, or is not a ResNet / Swin checkpoint.
    """
    from baselines.mask2anomaly.config import BACKBONE_TYPES

    config = _auto_config(source)
    if config.model_type not in BACKBONE_TYPES:
        raise ConfigError(
            f"expected backbone {source!r} to be a transformers checkpoint of a model_type in "
            f"{BACKBONE_TYPES}, got model_type {config.model_type!r}"
        )
    data = config.to_dict()
    for key in (
        "out_features",
        "out_indices",
        "stage_names",
        "architectures",
        "id2label",
        "label2id",
        "_name_or_path",
        "transformers_version",
        "torch_dtype",
        "dtype",
    ):
        data.pop(key, None)
    data["model_type"] = config.model_type
    return data


def load_backbone_weights(encoder: nn.Module, source: str) -> int:
    """Copy the weights of checkpoint ``source`` into ``encoder`` (the model's pixel-level encoder).

    Returns:
        The number of tensors loaded.

    Raises:
        ConfigError: the checkpoint does not cover every encoder weight, or a shape differs.
    """
    import transformers

    model_type = _auto_config(source).model_type
    cls = getattr(transformers, _BACKBONE_CLASSES.get(model_type, "AutoBackbone"))
    try:
        backbone = cls.from_pretrained(source, out_features=OUT_FEATURES)
    except Exception as exc:
        raise ConfigError(
            f"expected backbone weights that transformers' AutoBackbone loads from {source!r}, got "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from exc
    state = backbone.state_dict()
    own = encoder.state_dict()
    missing = sorted(set(own) - set(state))
    bad = [
        f"{k}: expected {tuple(own[k].shape)}, got {tuple(v.shape)}"
        for k, v in state.items()
        if k in own and own[k].shape != v.shape
    ]
    if missing or bad:
        raise ConfigError(
            f"expected the backbone checkpoint {source!r} to match the encoder, got missing "
            f"{missing[:5]} and shape mismatches {bad[:3]}"
        )
    encoder.load_state_dict({k: v for k, v in state.items() if k in own}, strict=True)
    logger.info("loaded %d backbone tensors from %s", len(own), source)
    return len(own)
