"""Released RPL / DeepLabV3+ checkpoints load safely: numpy scalars allowed, code-running pickles refused."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

from baselines.registry import create_baseline
from baselines.rpl.weights import infer_architecture, load_weights, read_state_dict
from baselines.safe_load import UnsafeFileError, load_torch_file
from comsamy.errors import ConfigError
from tests.baselines.blfixtures import TINY
from tests.baselines.test_inference import _benchmark_rows


def _rpl_release(path: Path, *, seed: int = 0) -> torch.nn.Module:
    """A file laid out like RPL's release: ``Engine.save_checkpoint`` of ``Network`` (attribute ``branch1``)
    under DataParallel (``module.`` prefix), with an optimizer and numpy step counters beside the weights."""
    torch.manual_seed(seed)
    model = create_baseline("rpl_eel", **TINY).eval()
    state = OrderedDict((f"module.{k}", v.clone()) for k, v in model.state_dict().items())
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=7.5e-5)
    torch.save(
        {
            "model": state,
            "optimizer": optimizer.state_dict(),
            "epoch": np.int64(39),
            "iteration": np.int64(29250),
            "mean_iu": np.float64(0.8123),
        },
        path,
    )
    return model


def _nvidia_inlier(path: Path) -> torch.nn.Module:
    """NVIDIA semantic-segmentation's layout (RPL's starting point): ``state_dict`` with ``module.`` names,
    training-only keys, ``mean_iu`` as numpy.float64 (``np.nanmean``) and the command line."""
    torch.manual_seed(1)
    model = create_baseline("inlier_segmenter", **TINY).eval()
    state = {f"module.{k.removeprefix('branch1.')}": v.clone() for k, v in model.state_dict().items()}
    state["module.criterion.nll_loss.weight"] = torch.ones(19)
    torch.save(
        {
            "state_dict": state,
            "optimizer": {"state": {}, "param_groups": []},
            "epoch": 175,
            "mean_iu": np.float64(0.79),
            "command": "train.py --arch network.deepv3.DeepWV3Plus",
        },
        path,
    )
    return model


def test_released_rpl_layout_loads_with_numpy_scalars(tmp_path: Path) -> None:
    path = tmp_path / "rpl.pth"
    original = _rpl_release(path)
    with pytest.raises(Exception, match="numpy"):  # what plain weights_only loading does with this file
        torch.load(path, weights_only=True)
    obj = load_torch_file(path)
    assert isinstance(obj["epoch"], np.int64) and int(obj["epoch"]) == 39 and float(obj["mean_iu"]) == 0.8123
    name, config = infer_architecture(read_state_dict(path))
    assert (name, config) == ("rpl_eel", {"width": 0.0625, "structure": [1, 1, 1, 1, 1, 1], "num_classes": 19})
    fresh = create_baseline("rpl_eel", **TINY).eval()
    report = load_weights(fresh, path)
    assert not report.missing and not report.unexpected
    x = torch.randn(1, 3, 32, 48)
    assert torch.equal(fresh(x)["logits"], original(x)["logits"])


def test_numpy_1_module_path_and_nvidia_layout(tmp_path: Path) -> None:
    path = tmp_path / "cityscapes_best.pth"
    original = _nvidia_inlier(path)
    # numpy 1.x pickles its scalars as numpy.core.multiarray.scalar: rewrite the member the way that file reads
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    pkl = next(n for n in members if n.endswith("data.pkl"))
    assert b"numpy._core.multiarray" in members[pkl]
    members[pkl] = members[pkl].replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    old = tmp_path / "numpy1.pth"
    with zipfile.ZipFile(old, "w", compression=zipfile.ZIP_STORED) as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    assert float(load_torch_file(old)["mean_iu"]) == pytest.approx(0.79)
    model = create_baseline("inlier_segmenter", **TINY).eval()
    report = load_weights(model, old)
    assert report.unexpected == ("branch1.criterion.nll_loss.weight",) and not report.missing
    x = torch.randn(1, 3, 32, 32)
    assert torch.equal(model(x)["logits"], original(x)["logits"])


class _RunsCode:
    def __reduce__(self) -> tuple:
        return (os.system, ("echo pwned > pwned.txt",))


def test_hostile_pickles_are_refused_without_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    evil = tmp_path / "evil.pth"
    torch.save({"model": {"w": torch.zeros(1)}, "epoch": _RunsCode()}, evil)
    with pytest.raises(UnsafeFileError, match=r"asks for posix\.system: refused without running it"):
        read_state_dict(evil)
    raw = tmp_path / "raw.pth"
    raw.write_bytes(pickle.dumps({"x": _RunsCode()}))
    with pytest.raises(UnsafeFileError, match="refused without running it"):
        load_torch_file(raw)
    assert not (tmp_path / "pwned.txt").exists()
    # numpy arrays of objects and object-dtype scalars go through the same globals: refused too
    arr = tmp_path / "objects.pth"
    torch.save({"x": np.array([{"a": 1}], dtype=object)}, arr)
    with pytest.raises(UnsafeFileError, match="_reconstruct"):
        load_torch_file(arr)
    buf = io.BytesIO()
    torch.save({"x": np.float64(1.0)}, buf)
    hostile = buf.getvalue()
    with zipfile.ZipFile(io.BytesIO(hostile)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    pkl = next(n for n in members if n.endswith("data.pkl"))
    members[pkl] = members[pkl].replace(b"X\x02\x00\x00\x00f8", b"X\x02\x00\x00\x00O8")
    odt = tmp_path / "object_scalar.pth"
    with zipfile.ZipFile(odt, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    with pytest.raises(UnsafeFileError, match="numeric numpy dtype"):
        load_torch_file(odt)


def test_infer_takes_a_released_file_directly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    from baselines.cli.infer import main
    from baselines.data import to_tensor_image
    from baselines.inference import predict_archive
    from comsamy.evaluation import evaluate_archive

    path = tmp_path / "rpl.pth"
    model = _rpl_release(path)
    rows = _benchmark_rows(2)
    out = tmp_path / "preds.zip"
    predict_archive(str(path), out, data=rows, score="energy", device="cpu", progress=False)
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        got = np.load(io.BytesIO(zf.read("img0.npy")))
    assert manifest["model_kind"] == "weights" and manifest["method"] == "rpl-energy"
    assert manifest["checkpoint_step"] == 29250 and manifest["outlier_data"] is True
    want = model.anomaly_scores(to_tensor_image(np.asarray(rows[0]["image"]))[None], score="energy")[0]
    np.testing.assert_array_equal(got, want.numpy().astype(np.float16))
    report = evaluate_archive(out, rows, config=None, split=None, workers=1, progress=False)
    assert report.overall.num_images == 2
    # the command line, on a plain image folder, writes a folder of maps
    (tmp_path / "photos").mkdir()
    rows[1]["image"].save(tmp_path / "photos" / "street.png")
    maps = tmp_path / "maps"
    assert (
        main(
            [
                "--model",
                str(path),
                "--images",
                str(tmp_path / "photos"),
                str(maps),
                "--score",
                "energy",
                "--quiet",
                "--device",
                "cpu",
            ]
        )
        == 0
    ), capsys.readouterr().err
    want = model.anomaly_scores(
        to_tensor_image(np.asarray(Image.open(tmp_path / "photos" / "street.png")))[None], score="energy"
    )[0]
    np.testing.assert_array_equal(np.load(maps / "street.npy"), want.numpy().astype(np.float16))
    assert json.loads((maps / "manifest.json").read_text())["images"] == str(tmp_path / "photos")
    assert sorted(p.name for p in maps.iterdir()) == ["manifest.json", "street.npy"]


def test_weights_of_another_network_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.pth"
    torch.save({"state_dict": {"backbone.conv.weight": torch.zeros(4, 3, 3, 3)}, "epoch": np.int64(1)}, path)
    with pytest.raises(ConfigError, match="mod1.conv1.weight"):
        infer_architecture(read_state_dict(path))
    torch.save({"epoch": 3}, tmp_path / "nothing.pth")
    with pytest.raises(ConfigError, match="expected a state dict"):
        read_state_dict(tmp_path / "nothing.pth")


def test_infer_refuses_a_hostile_file_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from baselines.cli.infer import main

    monkeypatch.chdir(tmp_path)
    torch.save({"state_dict": {"w": torch.zeros(1)}, "hook": _RunsCode()}, tmp_path / "evil.pth")
    assert main([str(tmp_path / "evil.pth"), str(tmp_path / "out.zip"), "--quiet", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "posix.system: refused without running it" in err and "Traceback" not in err
    assert not (tmp_path / "pwned.txt").exists() and not (tmp_path / "out.zip").exists()
