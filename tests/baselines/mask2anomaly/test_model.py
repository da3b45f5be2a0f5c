"""Mask2Anomaly as an AnomalySegmenter: building offline, forward, param groups, frozen norms, save / load."""

from __future__ import annotations

import json
import socket

import pytest
import torch

from baselines.base import AnomalySegmenter
from baselines.mask2anomaly import Mask2Anomaly, Mask2AnomalyConfig, build_mask2anomaly, build_mask2anomaly_diffeel
from baselines.mask2anomaly.loss import pixel_logits
from comsamy.errors import ConfigError, UsageError
from tests.baselines.mask2anomaly.helpers import ANOMALY_ID, make_batch, make_tiny


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_tiny_builds_offline_and_implements_the_protocol(no_network):
    model = make_tiny()
    assert isinstance(model, AnomalySegmenter)
    assert type(model.backbone).__name__ == "ResNetBackbone"
    assert model.mask2former.class_predictor.out_features == 19 + 1
    assert model.config.anomaly_loss == "contrastive"


def test_paper_config_is_the_paper_setup(no_network):
    cfg = Mask2AnomalyConfig.preset("paper")
    hf = cfg.to_hf_config()
    assert (cfg.decoder_layers, cfg.num_queries, cfg.num_classes) == (9, 100, 19)
    assert hf.decoder_layers == 10  # transformers counts the initial query prediction too
    assert hf.backbone_config.model_type == "resnet"
    assert list(hf.backbone_config.depths) == [3, 4, 6, 3] and hf.backbone_config.layer_type == "bottleneck"
    assert hf.num_labels == 19 and hf.encoder_layers == 6 and hf.num_queries == 100
    assert (cfg.lambda_ce, cfg.lambda_anomaly, cfg.weight_decay) == (1.0, 0.05, 0.05)


def test_config_round_trips_through_json():
    cfg = Mask2AnomalyConfig.preset("tiny", variant="mask2anomaly_diffeel", refine=False)
    again = Mask2AnomalyConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg and again.anomaly_loss == "eel"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"variant": "mask3anomaly"}, "variant"),
        ({"feature_size": 48}, "divisible by 32"),
        ({"refine_threshold": 1.5}, "refine_threshold"),
        ({"backbone_depths": [1, 1]}, "backbone_depths"),
        ({"hidden_dim": 31}, "num_attention_heads"),
        ({"queries": 5}, "unknown"),
        ({"road_id": 19}, "road_id"),
        ({"lambda_anomaly": -1}, "lambda_anomaly"),
    ],
)
def test_bad_config_values_are_named(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        Mask2AnomalyConfig.preset("tiny", **kwargs)


def test_builders_and_registry_pick_the_variant():
    from baselines.registry import create_baseline

    assert build_mask2anomaly_diffeel(size="tiny").config.variant == "mask2anomaly_diffeel"
    assert build_mask2anomaly(size="tiny", diffeel=False).config.anomaly_loss == "contrastive"
    assert create_baseline("mask2anomaly_diffeel", size="tiny").config.anomaly_loss == "eel"
    assert create_baseline("mask2anomaly", size="tiny", num_queries=4).config.num_queries == 4
    with pytest.raises(ConfigError, match="variant"):
        build_mask2anomaly(size="tiny", diffeel=True, variant="mask2anomaly")
    with pytest.raises(ConfigError, match="size"):
        build_mask2anomaly(size="huge")


def test_forward_shapes_and_logits_are_the_maskwise_combination(tiny):
    images, _ = make_batch(n=2, size=96)
    out = tiny(images)
    assert out["logits"].shape == (2, 19, 96, 96)
    assert out["class_logits"].shape == (2, 8, 20)
    assert out["mask_logits"].shape == (2, 8, 24, 24)
    torch.testing.assert_close(out["logits"], pixel_logits(out["class_logits"], out["mask_logits"], (96, 96)))


@pytest.mark.parametrize(
    ("images", "match"),
    [
        (torch.zeros(1, 1, 64, 64), r"\(N, 3, H, W\)"),
        (torch.zeros(3, 64, 64), r"\(N, 3, H, W\)"),
        (torch.zeros(1, 3, 64, 64, dtype=torch.long), "float"),
        (torch.zeros(1, 3, 16, 64), "32x32"),
    ],
)
def test_bad_images_are_named(tiny, images, match):
    with pytest.raises(UsageError, match=match):
        tiny(images)


def test_training_loss_checks_labels_and_anomaly_id(tiny):
    images, labels = make_batch(n=2)
    with pytest.raises(UsageError, match="anomaly_id"):
        tiny.training_loss(images, labels, anomaly_id=5)
    with pytest.raises(UsageError, match="shape"):
        tiny.training_loss(images, labels[:, :32], anomaly_id=ANOMALY_ID)
    with pytest.raises(UsageError, match=r"got \[20\]"):
        tiny.training_loss(images, labels.clamp(max=20), anomaly_id=ANOMALY_ID)


def test_every_trainable_parameter_gets_a_gradient_and_frozen_norms_keep_their_statistics():
    model = make_tiny(variant="mask2anomaly_diffeel").train()
    norms = [m for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all(not m.training for m in norms)
    before = [m.running_mean.clone() for m in norms]
    images, labels = make_batch(n=2)
    loss, parts = model.training_loss(images, labels, anomaly_id=ANOMALY_ID)
    loss.backward()
    assert set(parts) == {"loss", "loss_masks", "loss_ce", "loss_eel"}
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert missing == []  # DistributedDataParallel needs no find_unused_parameters
    assert all(torch.equal(m.running_mean, b) for m, b in zip(norms, before, strict=True))


def test_param_groups_cover_trainable_parameters_once_with_the_paper_settings(tiny):
    groups = tiny.param_groups(1e-5)
    ids = [id(p) for g in groups for p in g["params"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == {id(p) for p in tiny.parameters() if p.requires_grad}
    by_name = {g["name"]: g for g in groups}
    assert by_name["backbone"]["lr"] == pytest.approx(1e-6)
    assert by_name["head"]["lr"] == 1e-5 and by_name["head"]["weight_decay"] == 0.05
    assert by_name["head_no_decay"]["weight_decay"] == 0.0
    norm_ids = {id(p) for m in tiny.modules() if isinstance(m, torch.nn.LayerNorm) for p in m.parameters()}
    assert norm_ids <= {id(p) for p in by_name["head_no_decay"]["params"]}
    torch.optim.AdamW(groups)  # accepted as is
    frozen = make_tiny(freeze_backbone=True)
    backbone_ids = {id(p) for p in frozen.backbone.parameters()}
    assert not backbone_ids & {id(p) for g in frozen.param_groups(1e-5) for p in g["params"]}
    with pytest.raises(UsageError, match="lr"):
        tiny.param_groups(0.0)


def test_save_then_load_gives_identical_outputs(tmp_path):
    model = make_tiny(seed=7, variant="mask2anomaly_diffeel")
    images, _ = make_batch(n=1)
    folder = model.save_pretrained(tmp_path / "m2a")
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    assert json.loads((folder / "config.json").read_text())["comsamy_model"] == "mask2anomaly_diffeel"
    torch.manual_seed(123)  # a different initialisation must be fully overwritten
    loaded = Mask2Anomaly.from_pretrained(folder).eval()
    assert loaded.config == model.config
    with torch.no_grad():
        a, b = model(images), loaded(images)
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert torch.equal(model.anomaly_scores(images), loaded.anomaly_scores(images))
    # the registry's builder reads the same folder, and overrides non-architecture fields
    again = build_mask2anomaly(pretrained=folder, flip=False)
    assert again.config.flip is False and again.config.variant == "mask2anomaly_diffeel"


def test_loading_bad_folders_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config.json"):
        Mask2Anomaly.from_pretrained(tmp_path)
    folder = make_tiny().save_pretrained(tmp_path / "ok")
    (folder / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="JSON"):
        Mask2Anomaly.from_pretrained(folder)
    (folder / "config.json").write_text(json.dumps({"format": "other", "config": {}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="comsamy_model"):
        Mask2Anomaly.from_pretrained(folder)
    (folder / "config.json").write_text(json.dumps({"comsamy_model": "rpl_eel"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a mask2anomaly / mask2anomaly_diffeel model"):
        Mask2Anomaly.from_pretrained(folder)
    # weights of another architecture
    other = make_tiny(num_queries=4).save_pretrained(tmp_path / "other")
    cfg = json.loads((other / "config.json").read_text(encoding="utf-8"))
    cfg["global_masked_attention"] = False
    (other / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    with pytest.raises(ConfigError, match="unexpected"):
        Mask2Anomaly.from_pretrained(other)


def test_importing_the_package_loads_neither_torch_nor_transformers():
    import subprocess
    import sys

    code = (
        "import sys, baselines.mask2anomaly as m; assert 'Mask2Anomaly' in dir(m); "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
