"""infer -> archive -> comsamy-eval round trip, and the inference command's errors."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from baselines.checkpoint import save_checkpoint
from baselines.cli.infer import main as infer_main
from baselines.inference import predict_archive
from baselines.registry import create_baseline
from comsamy.errors import ConfigError
from tests.baselines.blfixtures import TINY, scene


def _benchmark_rows(n: int = 3) -> object:
    """A tiny benchmark split shaped like ``load_dataset(..., "all", "test")``: an anomaly square per image."""
    import datasets
    from PIL import Image

    rows: dict[str, list] = {"id": [], "image": [], "label": [], "weather": [], "landform": [], "anomaly_types": []}
    for i in range(n):
        image, _ = scene(10 + i, 30, 40)
        image[18:26, 10 + i : 18 + i] = (230, 20, 200)
        label = np.zeros((30, 40), np.uint8)
        label[18:26, 10 + i : 18 + i] = 1
        label[0, :] = 255
        rows["id"].append(f"img{i}")
        rows["image"].append(Image.fromarray(image))
        rows["label"].append(Image.fromarray(label, mode="L"))
        rows["weather"].append("clear" if i % 2 == 0 else "fog")
        rows["landform"].append("highway")
        rows["anomaly_types"].append(["box"])
    from comsamy.constants import LANDFORMS, WEATHERS

    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "image": datasets.Image(),
            "label": datasets.Image(),
            "weather": datasets.ClassLabel(names=list(WEATHERS)),
            "landform": datasets.ClassLabel(names=list(LANDFORMS)),
            "anomaly_types": datasets.Sequence(datasets.Value("string")),
        }
    )
    return datasets.Dataset.from_dict(rows, features=features)


@pytest.fixture(scope="module")
def bl_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    model = create_baseline("rpl_eel", **TINY)
    path = tmp_path_factory.mktemp("ckpt") / "last.pt"
    save_checkpoint(path, {"model_name": "rpl_eel", "model_config": dict(TINY), "model": model.state_dict(), "step": 5})
    return path


@pytest.mark.parametrize("suffix", ["", ".zip"])
def test_archive_roundtrip_through_evaluator(bl_checkpoint: Path, tmp_path: Path, suffix: str) -> None:
    evaluation = pytest.importorskip("comsamy.evaluation")
    rows = _benchmark_rows()
    out = tmp_path / f"preds{suffix}"
    result = predict_archive(bl_checkpoint, out, data=rows, score="energy", device="cpu", progress=False)
    assert result.num_images == 3 and result.manifest["score_dtype"] == "float16"
    assert result.manifest["model"] == "rpl_eel" and result.manifest["outlier_data"] is True
    if suffix:
        with zipfile.ZipFile(out) as zf:
            assert sorted(zf.namelist()) == ["img0.npy", "img1.npy", "img2.npy", "manifest.json"]
    else:
        arr = np.load(out / "img1.npy")
        assert arr.dtype == np.float16 and arr.shape == (30, 40)
        assert json.loads((out / "manifest.json").read_text())["method"] == "rpl_eel-energy"
    report = evaluation.evaluate_archive(out, rows, config=None, split=None, workers=1, progress=False)
    assert report.overall.num_images == 3
    assert report.overall.num_anomaly_pixels == 3 * 64 and report.overall.num_void_pixels == 3 * 40
    assert 0.0 <= report.overall.auprc <= 1.0
    assert report.manifest is not None and report.manifest["score"] == "energy"


def test_scores_match_model_directly(bl_checkpoint: Path, tmp_path: Path) -> None:
    from baselines.checkpoint import build_from_checkpoint
    from baselines.data import to_tensor_image

    rows = _benchmark_rows(1)
    predict_archive(bl_checkpoint, tmp_path / "p", data=rows, score="eel", device="cpu", progress=False)
    model, _ = build_from_checkpoint(bl_checkpoint)
    model.eval()
    x = to_tensor_image(np.asarray(rows[0]["image"]))[None]
    want = model.anomaly_scores(x, score="eel")[0].numpy().astype(np.float16)
    np.testing.assert_array_equal(np.load(tmp_path / "p" / "img0.npy"), want)


def test_infer_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert infer_main([str(tmp_path / "absent.pt"), str(tmp_path / "o"), "--quiet"]) == 2
    assert "absent.pt" in capsys.readouterr().err
    torch.save({"format": "something-else"}, tmp_path / "bad.pt")
    assert infer_main([str(tmp_path / "bad.pt"), str(tmp_path / "o"), "--quiet"]) == 2
    assert "comsamy-baseline-checkpoint" in capsys.readouterr().err
    assert infer_main([str(tmp_path / "bad.pt"), str(tmp_path / "o"), "--input-size", "12"]) == 2
    assert "WIDTHxHEIGHT" in capsys.readouterr().err


def test_build_from_bad_checkpoint(tmp_path: Path) -> None:
    from baselines.checkpoint import load_checkpoint

    save_checkpoint(tmp_path / "c.pt", {"model_name": "rpl_eel"})
    with pytest.raises(ConfigError, match="model_config"):
        load_checkpoint(tmp_path / "c.pt")


def test_load_model_checks_checkpoint_fields(tmp_path: Path) -> None:
    """A checkpoint dict lacking a field is a ConfigError naming the file and field, as from load_checkpoint."""
    from baselines.model_loading import load_model

    save_checkpoint(tmp_path / "c.pt", {"model_name": "rpl_eel", "model_config": {}})
    with pytest.raises(ConfigError, match=r"'model'.*c\.pt"):
        load_model(tmp_path / "c.pt")
