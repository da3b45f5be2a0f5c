"""RPL / inlier segmenter: official parameter names, weight loading, freeze split, residual semantics."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from baselines.base import AnomalySegmenter
from baselines.rpl import InlierSegmenter, RPLConfig, RPLSegmenter, SegmenterConfig
from baselines.rpl.weights import load_weights
from comsamy.errors import ConfigError
from tests.baselines.blfixtures import TINY


def _official_names() -> dict[str, tuple[int, ...]]:
    """Parameter names and shapes of the released DeepLabV3+ / WiderResNet38 + RPL model, written out by hand
    from its description (structure 3-3-6-3-1-1, widths 128 ... 4096, ASPP 256, fine 48, decoder 304)."""
    names: dict[str, tuple[int, ...]] = {"mod1.conv1.weight": (64, 3, 3, 3)}
    chans = [(128, 128), (256, 256), (512, 512), (512, 1024), (512, 1024, 2048), (1024, 2048, 4096)]
    in_ch = 64

    def bn(prefix: str, c: int) -> None:
        for k in ("weight", "bias", "running_mean", "running_var"):
            names[f"{prefix}.{k}"] = (c,)
        names[f"{prefix}.num_batches_tracked"] = ()

    for mod, (count, ch) in enumerate(zip([3, 3, 6, 3, 1, 1], chans, strict=True), start=2):
        for b in range(1, count + 1):
            p = f"mod{mod}.block{b}"
            bn(f"{p}.bn1.0", in_ch)
            if len(ch) == 2:
                names[f"{p}.convs.conv1.weight"] = (ch[0], in_ch, 3, 3)
                bn(f"{p}.convs.bn2.0", ch[0])
                names[f"{p}.convs.conv2.weight"] = (ch[1], ch[0], 3, 3)
            else:
                names[f"{p}.convs.conv1.weight"] = (ch[0], in_ch, 1, 1)
                bn(f"{p}.convs.bn2.0", ch[0])
                names[f"{p}.convs.conv2.weight"] = (ch[1], ch[0], 3, 3)
                bn(f"{p}.convs.bn3.0", ch[1])
                names[f"{p}.convs.conv3.weight"] = (ch[2], ch[1], 1, 1)
            if in_ch != ch[-1] or (mod == 4 and b == 1):
                names[f"{p}.proj_conv.weight"] = (ch[-1], in_ch, 1, 1)
            in_ch = ch[-1]

    def aspp(prefix: str) -> None:
        names[f"{prefix}.features.0.0.weight"] = (256, 4096, 1, 1)
        bn(f"{prefix}.features.0.1", 256)
        for i in (1, 2, 3):
            names[f"{prefix}.features.{i}.0.weight"] = (256, 4096, 3, 3)
            bn(f"{prefix}.features.{i}.1", 256)
        names[f"{prefix}.img_conv.0.weight"] = (256, 4096, 1, 1)
        bn(f"{prefix}.img_conv.1", 256)

    aspp("aspp")
    aspp("residual_block.atten_aspp")
    names["residual_block.bot_atten_aspp.weight"] = (256, 1280, 1, 1)
    names["residual_block.atten_aspp_final.weight"] = (304, 256, 1, 1)
    names["bot_fine.weight"] = (48, 128, 1, 1)
    names["bot_aspp.weight"] = (256, 1280, 1, 1)
    names["final.0.weight"] = (256, 304, 3, 3)
    bn("final.1", 256)
    names["final.3.weight"] = (256, 256, 3, 3)
    bn("final.4", 256)
    names["final.6.weight"] = (19, 256, 1, 1)
    return names


def test_full_width_model_uses_official_names_and_shapes() -> None:
    with torch.device("meta"):
        model = RPLSegmenter(RPLConfig(num_classes=19))
    got = {k.removeprefix("branch1."): tuple(v.shape) for k, v in model.state_dict().items()}
    want = _official_names()
    assert sorted(set(got) - set(want)) == []
    assert sorted(set(want) - set(got)) == []
    assert got == want


def _tiny_rpl(**kw: object) -> RPLSegmenter:
    torch.manual_seed(0)
    return RPLSegmenter(RPLConfig(**TINY, **kw))  # type: ignore[arg-type]


def test_protocol_and_output_shapes() -> None:
    model = _tiny_rpl().eval()
    assert isinstance(model, AnomalySegmenter)
    x = torch.randn(2, 3, 37, 45)
    out = model(x)
    assert out["logits"].shape == (2, 19, 37, 45) and out["frozen_logits"].shape == (2, 19, 37, 45)
    for score in ("msp", "max_logit", "entropy", "energy", "eel"):
        assert model.anomaly_scores(x, score=score).shape == (2, 37, 45)


def test_load_prefixed_state_dict_roundtrip(tmp_path: Path) -> None:
    src = _tiny_rpl().eval()
    state = {f"module.{k}": v for k, v in src.state_dict().items()}
    torch.save({"state_dict": state}, tmp_path / "w.pth")
    torch.manual_seed(123)
    dst = RPLSegmenter(RPLConfig(**TINY, pretrained=str(tmp_path / "w.pth"))).eval()  # type: ignore[arg-type]
    x = torch.randn(1, 3, 32, 32)
    torch.testing.assert_close(dst(x)["logits"], src(x)["logits"])
    # official checkpoints lack "branch1." (NVIDIA's) or have it (RPL's): both load
    bare = {k.removeprefix("branch1."): v for k, v in src.state_dict().items()}
    report = load_weights(RPLSegmenter(RPLConfig(**TINY)), bare)  # type: ignore[arg-type]
    assert report.missing == () and report.unexpected == ()


def test_inlier_checkpoint_into_rpl_reports_residual_missing_and_copies_aspp(tmp_path: Path) -> None:
    torch.manual_seed(1)
    inlier = InlierSegmenter(SegmenterConfig(**TINY)).eval()  # type: ignore[arg-type]
    torch.save(inlier.state_dict(), tmp_path / "inlier.pt")
    rpl = RPLSegmenter(RPLConfig(**TINY)).eval()  # type: ignore[arg-type]
    report = load_weights(rpl, tmp_path / "inlier.pt")
    assert report.missing and all(k.startswith("branch1.residual_block.") for k in report.missing)
    assert "missing" in report.summary()
    rpl2 = RPLSegmenter(RPLConfig(**TINY, pretrained=str(tmp_path / "inlier.pt"))).eval()  # type: ignore[arg-type]
    torch.testing.assert_close(
        rpl2.residual_block.atten_aspp.features[1][0].weight, rpl2.branch1.aspp.features[1][0].weight
    )
    x = torch.randn(1, 3, 32, 40)
    torch.testing.assert_close(rpl2(x)["frozen_logits"], inlier(x)["logits"])
    torch.nn.init.zeros_(rpl2.residual_block.atten_aspp_final.weight)
    torch.testing.assert_close(rpl2(x)["logits"], rpl2(x)["frozen_logits"])  # zero residual = frozen model


def test_weight_errors_are_clear(tmp_path: Path) -> None:
    small = _tiny_rpl()
    other = RPLSegmenter(RPLConfig(width=0.125, structure=(1, 1, 1, 1, 1, 1)))
    with pytest.raises(ConfigError, match="mismatches"):
        load_weights(small, other.state_dict())
    with pytest.raises(ConfigError, match="none matching"):
        load_weights(small, {"foo.weight": torch.zeros(1)})
    with pytest.raises(ConfigError, match="no such file"):
        load_weights(small, tmp_path / "absent.pt")
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    with pytest.raises(ConfigError, match="unreadable"):
        load_weights(small, tmp_path / "junk.pt")


def test_freeze_split_param_groups_and_train_mode() -> None:
    model = _tiny_rpl()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("branch1.residual_block.") for n in trainable)
    groups = model.param_groups(1e-4)
    assert [g["lr"] for g in groups] == [1e-4, pytest.approx(1e-3)]
    final_ids = {id(p) for p in groups[1]["params"]}
    assert final_ids == {id(model.residual_block.atten_aspp_final.weight)}
    n_group = sum(p.numel() for g in groups for p in g["params"])
    assert n_group == sum(p.numel() for p in model.parameters() if p.requires_grad)
    model.train()
    assert not model.branch1.training and not model.branch1.aspp.training
    assert model.residual_block.training


def test_training_step_leaves_frozen_logits_unchanged() -> None:
    model = _tiny_rpl()
    x = torch.randn(2, 3, 32, 32)
    labels = torch.zeros(2, 32, 32, dtype=torch.long)
    labels[:, 10:20, 10:20] = 254
    model.eval()
    before = model(x)["frozen_logits"].detach().clone()
    opt = torch.optim.Adam([g for grp in model.param_groups(1e-3) for g in grp["params"]], lr=1e-3)
    model.train()
    loss, parts = model.training_loss(x, labels, anomaly_id=254)
    loss.backward()
    opt.step()
    model.eval()
    torch.testing.assert_close(model(x)["frozen_logits"], before)
    assert parts["loss"] == pytest.approx(float(loss.detach()))


def test_inlier_segmenter_ignores_anomaly_and_void() -> None:
    torch.manual_seed(0)
    model = InlierSegmenter(SegmenterConfig(**TINY)).eval()  # type: ignore[arg-type]
    x = torch.randn(1, 3, 24, 24)
    labels = torch.full((1, 24, 24), 254)
    labels[0, :4] = 255
    loss, _ = model.training_loss(x, labels, anomaly_id=254)
    assert float(loss.detach()) == 0.0
    labels[0, 10:] = 3
    loss, _ = model.training_loss(x, labels, anomaly_id=254)
    logits = model(x)["logits"]
    want = torch.nn.functional.cross_entropy(logits[:, :, 10:], labels[:, 10:])
    torch.testing.assert_close(loss, want)


def test_config_validation() -> None:
    with pytest.raises(ConfigError, match="width"):
        SegmenterConfig(width=0)
    with pytest.raises(ConfigError, match="structure"):
        SegmenterConfig(structure=(1, 1, 1))
    with pytest.raises(ConfigError, match="anomaly_loss"):
        RPLConfig(anomaly_loss="bce")
    d = RPLConfig(**TINY).to_dict()  # type: ignore[arg-type]
    assert d["structure"] == [1, 1, 1, 1, 1, 1] and d["lam"] == 0.05 and d["anomaly_loss"] == "eel"
