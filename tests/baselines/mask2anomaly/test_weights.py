"""Mask2Anomaly weights: transformers ResNet / Swin backbones by folder, the official checkpoint layout, the
earlier save format, and the official inference defaults."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from baselines.mask2anomaly import Mask2Anomaly, build_mask2anomaly
from baselines.mask2anomaly.config import OFFICIAL_REFINE_CLASSES, Mask2AnomalyConfig
from baselines.mask2anomaly.convert import convert_official_checkpoint
from baselines.mask2anomaly.convert import main as convert_main
from baselines.mask2anomaly.inference import confident_region
from comsamy.errors import ConfigError
from tests.baselines.mask2anomaly.helpers import make_batch, make_tiny

TINY_DECODER = {
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
}


def _save_resnet(folder: Path) -> Path:
    from transformers import ResNetConfig, ResNetForImageClassification

    torch.manual_seed(5)
    config = ResNetConfig(embedding_size=8, hidden_sizes=[16, 16, 32, 32], depths=[1, 1, 1, 1], layer_type="basic")
    ResNetForImageClassification(config).save_pretrained(folder)  # the layout of microsoft/resnet-50
    return folder


def _save_swin(folder: Path) -> Path:
    from transformers import SwinConfig, SwinModel

    torch.manual_seed(6)
    config = SwinConfig(
        image_size=64, patch_size=4, embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2], window_size=4
    )
    SwinModel(config).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("kind", ["resnet", "swin"])
def test_transformers_backbone_by_folder(tmp_path: Path, kind: str) -> None:
    import transformers

    source = (_save_resnet if kind == "resnet" else _save_swin)(tmp_path / kind)
    model = build_mask2anomaly(size="tiny", backbone=str(source), freeze_backbone=True).eval()
    assert model.config.backbone_config["model_type"] == kind
    backbone_cls = transformers.ResNetBackbone if kind == "resnet" else transformers.SwinBackbone
    reference = backbone_cls.from_pretrained(source, out_features=["stage1", "stage2", "stage3", "stage4"])
    for key, value in reference.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key
    assert not any(p.requires_grad for p in model.backbone.parameters())
    images, _ = make_batch(n=1)
    scores = model.anomaly_scores(images, "eel")
    assert scores.shape == (1, 64, 64) and torch.isfinite(scores).all()
    # a saved model rebuilds the architecture from backbone_config, without the checkpoint
    folder = model.save_pretrained(tmp_path / "saved")
    saved = json.loads((folder / "config.json").read_text())
    assert saved["backbone"] is None and saved["backbone_config"]["model_type"] == kind
    for p in source.iterdir():
        p.unlink()
    source.rmdir()
    loaded = Mask2Anomaly.from_pretrained(folder)
    assert torch.equal(loaded.anomaly_scores(images, "eel"), scores)


def test_a_backbone_that_is_not_resnet_or_swin_is_refused(tmp_path: Path) -> None:
    from transformers import ViTConfig, ViTModel

    ViTModel(
        ViTConfig(
            hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8, image_size=32, patch_size=8
        )
    ).save_pretrained(tmp_path / "vit")
    with pytest.raises(ConfigError, match="model_type 'vit'"):
        build_mask2anomaly(size="tiny", backbone=str(tmp_path / "vit"))
    with pytest.raises(ConfigError, match="backbone"):
        build_mask2anomaly(size="tiny", backbone=str(tmp_path / "absent"))


_TO_OFFICIAL = (  # how the detectron2 code names what we call these (written out for the test)
    (r"^mask2former\.model\.pixel_level_module\.encoder\.embedder\.embedder\.convolution\.", "backbone.stem.conv1."),
    (
        r"^mask2former\.model\.pixel_level_module\.encoder\.embedder\.embedder\.normalization\.",
        "backbone.stem.conv1.norm.",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.encoder\.encoder\.stages\.(\d)\.layers\.(\d+)\.shortcut\.convolution\.",
        lambda m: f"backbone.res{int(m.group(1)) + 2}.{m.group(2)}.shortcut.",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.encoder\.encoder\.stages\.(\d)\.layers\.(\d+)\.shortcut\.normalization\.",
        lambda m: f"backbone.res{int(m.group(1)) + 2}.{m.group(2)}.shortcut.norm.",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.encoder\.encoder\.stages\.(\d)\.layers\.(\d+)\.layer\.(\d)\.convolution\.",
        lambda m: f"backbone.res{int(m.group(1)) + 2}.{m.group(2)}.conv{int(m.group(3)) + 1}.",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.encoder\.encoder\.stages\.(\d)\.layers\.(\d+)\.layer\.(\d)\.normalization\.",
        lambda m: f"backbone.res{int(m.group(1)) + 2}.{m.group(2)}.conv{int(m.group(3)) + 1}.norm.",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.decoder\.input_projections\.",
        "sem_seg_head.pixel_decoder.input_proj.",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.decoder\.level_embed$",
        "sem_seg_head.pixel_decoder.transformer.level_embed",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.decoder\.encoder\.layers\.(\d+)\.fc(\d)\.",
        lambda m: f"sem_seg_head.pixel_decoder.transformer.encoder.layers.{m.group(1)}.linear{m.group(2)}.",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.decoder\.encoder\.layers\.(\d+)\.self_attn_layer_norm\.",
        lambda m: f"sem_seg_head.pixel_decoder.transformer.encoder.layers.{m.group(1)}.norm1.",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.decoder\.encoder\.layers\.(\d+)\.final_layer_norm\.",
        lambda m: f"sem_seg_head.pixel_decoder.transformer.encoder.layers.{m.group(1)}.norm2.",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.decoder\.encoder\.layers\.(\d+)\.self_attn\.",
        lambda m: f"sem_seg_head.pixel_decoder.transformer.encoder.layers.{m.group(1)}.self_attn.",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.decoder\.mask_projection\.",
        "sem_seg_head.pixel_decoder.mask_features.",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.decoder\.(adapter_1|layer_1)\.0\.",
        lambda m: f"sem_seg_head.pixel_decoder.{m.group(1)}.",
    ),
    (
        r"^mask2former\.model\.pixel_level_module\.decoder\.(adapter_1|layer_1)\.1\.",
        lambda m: f"sem_seg_head.pixel_decoder.{m.group(1)}.norm.",
    ),
    (
        r"^mask2former\.model\.transformer_module\.decoder\.layers\.(\d+)\.self_attn\.out_proj\.",
        lambda m: f"sem_seg_head.predictor.transformer_self_attention_layers.{m.group(1)}.self_attn.out_proj.",
    ),
    (
        r"^mask2former\.model\.transformer_module\.decoder\.layers\.(\d+)\.self_attn_layer_norm\.",
        lambda m: f"sem_seg_head.predictor.transformer_self_attention_layers.{m.group(1)}.norm.",
    ),
    (
        r"^mask2former\.model\.transformer_module\.decoder\.layers\.(\d+)\.cross_attn\.background\.",
        lambda m: f"sem_seg_head.predictor.transformer_cross_attention_layers.{m.group(1)}.multihead_attn_background.",
    ),
    (
        r"^mask2former\.model\.transformer_module\.decoder\.layers\.(\d+)\.cross_attn\.",
        lambda m: f"sem_seg_head.predictor.transformer_cross_attention_layers.{m.group(1)}.multihead_attn_foreground.",
    ),
    (
        r"^mask2former\.model\.transformer_module\.decoder\.layers\.(\d+)\.cross_attn_layer_norm\.",
        lambda m: f"sem_seg_head.predictor.transformer_cross_attention_layers.{m.group(1)}.norm.",
    ),
    (
        r"^mask2former\.model\.transformer_module\.decoder\.layers\.(\d+)\.final_layer_norm\.",
        lambda m: f"sem_seg_head.predictor.transformer_ffn_layers.{m.group(1)}.norm.",
    ),
    (
        r"^mask2former\.model\.transformer_module\.decoder\.layers\.(\d+)\.fc(\d)\.",
        lambda m: f"sem_seg_head.predictor.transformer_ffn_layers.{m.group(1)}.linear{m.group(2)}.",
    ),
    (r"^mask2former\.model\.transformer_module\.decoder\.layernorm\.", "sem_seg_head.predictor.decoder_norm."),
    (
        r"^mask2former\.model\.transformer_module\.decoder\.mask_predictor\.mask_embedder\.(\d)\.0\.",
        lambda m: f"sem_seg_head.predictor.mask_embed.layers.{m.group(1)}.",
    ),
    (r"^mask2former\.model\.transformer_module\.queries_features\.", "sem_seg_head.predictor.query_feat."),
    (r"^mask2former\.model\.transformer_module\.queries_embedder\.", "sem_seg_head.predictor.query_embed."),
    (r"^mask2former\.model\.transformer_module\.level_embed\.", "sem_seg_head.predictor.level_embed."),
    (r"^mask2former\.class_predictor\.", "sem_seg_head.predictor.class_embed."),
)


def _official_state(model: Mask2Anomaly) -> dict[str, torch.Tensor]:
    """Our weights under the detectron2 names, self-attention q / k / v fused into in_proj, a fusion_layer added."""
    out: dict[str, torch.Tensor] = {}
    qkv: dict[tuple[str, str], dict[str, torch.Tensor]] = {}
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked") or key.startswith("mask2former.criterion"):
            continue
        m = re.match(
            r"^mask2former\.model\.transformer_module\.decoder\.layers\.(\d+)\.self_attn\.([qkv])_proj\.(weight|bias)$",
            key,
        )
        if m:
            qkv.setdefault((m.group(1), m.group(3)), {})[m.group(2)] = value
            continue
        for pattern, target in _TO_OFFICIAL:
            new, n = re.subn(pattern, target, key)
            if n:
                out[new] = value.clone()
                break
        else:
            raise AssertionError(f"no official name for {key}")
    for (layer, kind), parts in qkv.items():
        out[f"sem_seg_head.predictor.transformer_self_attention_layers.{layer}.self_attn.in_proj_{kind}"] = torch.cat(
            [parts["q"], parts["k"], parts["v"]]
        )
    for layer in range(model.config.decoder_layers):
        out[f"sem_seg_head.predictor.transformer_cross_attention_layers.{layer}.fusion_layer.weight"] = torch.zeros(1)
    return out


def test_official_checkpoint_converts_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = make_tiny(seed=11, freeze_backbone=True)
    checkpoint = tmp_path / "model_final.pth"
    torch.save(
        {"model": _official_state(model), "iteration": np.int64(4999), "scheduler": {"last_epoch": 4999}}, checkpoint
    )
    assert (
        convert_main(
            [str(checkpoint), str(tmp_path / "converted"), "--variant", "mask2anomaly_diffeel", "--heads", "2"]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["folder"] == str(tmp_path / "converted")
    converted = Mask2Anomaly.from_pretrained(tmp_path / "converted")
    assert converted.config.variant == "mask2anomaly_diffeel" and converted.config.num_queries == 8
    images, _ = make_batch(n=1)
    with torch.no_grad():
        a, b = model(images), converted(images)
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    broken = _official_state(model)
    broken["sem_seg_head.predictor.something_new.weight"] = torch.zeros(1)
    torch.save({"model": broken}, tmp_path / "broken.pth")
    with pytest.raises(ConfigError, match="something_new"):
        convert_official_checkpoint(tmp_path / "broken.pth", tmp_path / "x", num_attention_heads=2)
    del broken["sem_seg_head.predictor.something_new.weight"]
    del broken["sem_seg_head.predictor.class_embed.weight"]
    torch.save({"model": broken}, tmp_path / "partial.pth")
    with pytest.raises(ConfigError, match="class_predictor"):
        convert_official_checkpoint(tmp_path / "partial.pth", tmp_path / "y", num_attention_heads=2)


def test_folders_of_the_earlier_format_still_load(tmp_path: Path) -> None:
    model = make_tiny(seed=2)
    folder = model.save_pretrained(tmp_path / "new")
    config = json.loads((folder / "config.json").read_text())
    old = {
        k: v
        for k, v in config.items()
        if k not in ("comsamy_model", "refine_classes", "refine_weighted", "backbone", "backbone_config")
    }
    old["road_id"] = 0
    (folder / "config.json").write_text(json.dumps({"format": "comsamy-mask2anomaly/1", "config": old}))
    loaded = Mask2Anomaly.from_pretrained(folder)
    assert loaded.config.refine_classes == tuple(range(1, 19)) and loaded.config.refine_weighted is False
    images, _ = make_batch(n=1)
    assert torch.equal(loaded(images)["logits"], model(images)["logits"])


def test_official_refinement_classes_and_weighted_masks() -> None:
    assert OFFICIAL_REFINE_CLASSES == (2, 3, 4, 5, 6, 7, 8, 9, 10)
    assert Mask2AnomalyConfig.preset("paper").freeze_backbone is True
    cls = torch.full((1, 4, 20), -10.0)
    for q, c in enumerate([0, 1, 2, 11]):  # road, sidewalk, building, person: only building is an official class
        cls[0, q, c] = 10.0
    masks = torch.full((1, 4, 1, 4), -10.0)
    for q in range(4):
        masks[0, q, 0, q] = 10.0
    official = confident_region(cls, masks, classes=OFFICIAL_REFINE_CLASSES)
    assert official[0, 0].tolist() == [False, False, True, False]
    ours = confident_region(cls, masks, classes=tuple(range(1, 19)), weighted=False)
    assert ours[0, 0].tolist() == [False, True, True, True]
    # the official mask test is p * sigmoid(mask) >= 0.5: a mask at sigmoid 0.51 under p = 0.96 is not enough
    cls2 = torch.full((1, 1, 20), -10.0)
    cls2[0, 0, 2], cls2[0, 0, 19] = 3.2, 0.0  # p(building) ~ 0.96
    edge = torch.logit(torch.tensor(0.51)).view(1, 1, 1, 1)
    assert not confident_region(cls2, edge, classes=OFFICIAL_REFINE_CLASSES)[0, 0, 0]
    assert confident_region(cls2, edge, classes=OFFICIAL_REFINE_CLASSES, weighted=False)[0, 0, 0]


def test_a_checkpoint_with_a_resolved_backbone_needs_no_backbone_files(tmp_path: Path) -> None:
    from baselines.checkpoint import build_from_checkpoint, save_checkpoint

    source = _save_resnet(tmp_path / "resnet")
    model = build_mask2anomaly(size="tiny", backbone=str(source)).eval()
    config = {"size": "tiny", "backbone": str(tmp_path / "gone"), "backbone_config": model.config.backbone_config}
    ckpt = save_checkpoint(
        tmp_path / "last.pt",
        {"model_name": "mask2anomaly", "model_config": config, "model": model.state_dict(), "step": 1},
    )
    rebuilt, _ = build_from_checkpoint(ckpt)
    images, _ = make_batch(n=1)
    assert torch.equal(rebuilt.eval()(images)["logits"], model(images)["logits"])
