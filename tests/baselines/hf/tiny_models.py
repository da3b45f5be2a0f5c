"""Tiny random ``transformers`` segmentation models saved with ``save_pretrained`` (a few thousand parameters)."""

from __future__ import annotations

from pathlib import Path

import torch


def tiny_segformer(folder: Path, *, seed: int = 0, num_labels: int = 19, processor: bool = False) -> Path:
    """A two-stage SegFormer (7 k parameters) in ``folder``; with ``processor`` also its image processor
    (non-ImageNet mean / std, to check that they are used)."""
    from transformers import SegformerConfig, SegformerForSemanticSegmentation

    torch.manual_seed(seed)
    config = SegformerConfig(
        num_labels=num_labels,
        num_encoder_blocks=2,
        depths=[1, 1],
        sr_ratios=[2, 1],
        hidden_sizes=[8, 16],
        num_attention_heads=[1, 1],
        patch_sizes=[7, 3],
        strides=[4, 2],
        decoder_hidden_size=16,
        mlp_ratios=[2, 2],
    )
    SegformerForSemanticSegmentation(config).save_pretrained(folder)
    if processor:
        from transformers import SegformerImageProcessor

        SegformerImageProcessor(image_mean=[0.5, 0.4, 0.3], image_std=[0.2, 0.25, 0.3]).save_pretrained(folder)
    return folder


def tiny_mask2former(folder: Path, *, seed: int = 0) -> Path:
    """A Mask2Former with a basic-block ResNet, 5 queries and 2 decoder layers (50 k parameters)."""
    from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, ResNetConfig

    torch.manual_seed(seed)
    backbone = ResNetConfig(
        embedding_size=8,
        hidden_sizes=[8, 16, 16, 16],
        depths=[1, 1, 1, 1],
        layer_type="basic",
        out_features=["stage1", "stage2", "stage3", "stage4"],
    )
    config = Mask2FormerConfig(
        backbone_config=backbone,
        use_timm_backbone=False,
        use_pretrained_backbone=False,
        num_labels=19,
        feature_size=32,
        mask_feature_size=32,
        hidden_dim=32,
        encoder_layers=1,
        encoder_feedforward_dim=32,
        decoder_layers=2,
        num_attention_heads=2,
        dim_feedforward=32,
        num_queries=5,
    )
    Mask2FormerForUniversalSegmentation(config).save_pretrained(folder)
    return folder


def tiny_maskformer(folder: Path, *, seed: int = 0) -> Path:
    """A MaskFormer (DETR decoder) with a basic-block ResNet and 5 queries (75 k parameters)."""
    from transformers import DetrConfig, MaskFormerConfig, MaskFormerForInstanceSegmentation, ResNetConfig

    torch.manual_seed(seed)
    backbone = ResNetConfig(
        embedding_size=8,
        hidden_sizes=[8, 16, 16, 16],
        depths=[1, 1, 1, 1],
        layer_type="basic",
        out_features=["stage1", "stage2", "stage3", "stage4"],
    )
    decoder = DetrConfig(
        d_model=32,
        decoder_layers=1,
        decoder_attention_heads=2,
        decoder_ffn_dim=32,
        encoder_layers=1,
        encoder_attention_heads=2,
        encoder_ffn_dim=32,
        num_queries=5,
    )
    config = MaskFormerConfig(
        backbone_config=backbone,
        decoder_config=decoder,
        num_labels=19,
        mask_feature_size=32,
        fpn_feature_size=32,
        num_queries=5,
    )
    MaskFormerForInstanceSegmentation(config).save_pretrained(folder)
    return folder
