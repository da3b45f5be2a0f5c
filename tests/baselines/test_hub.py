"""One saved-model format (PyTorchModelHubMixin) for the RPL / inlier baselines; training checkpoints convert to it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from baselines.checkpoint import export_pretrained, save_checkpoint
from baselines.hub import load_pretrained_baseline
from baselines.inference import predict_archive
from baselines.registry import create_baseline
from baselines.rpl.model import InlierSegmenter, RPLSegmenter
from comsamy.errors import ConfigError
from tests.baselines.blfixtures import TINY
from tests.baselines.test_inference import _benchmark_rows


@pytest.mark.parametrize(("name", "cls"), [("rpl_energy", RPLSegmenter), ("inlier_segmenter", InlierSegmenter)])
def test_save_pretrained_round_trip(tmp_path: Path, name: str, cls: type) -> None:
    torch.manual_seed(3)
    model = create_baseline(name, **TINY, blur=True).eval()
    folder = model.save_pretrained(tmp_path / name)
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    config = json.loads((folder / "config.json").read_text())
    assert config["comsamy_model"] == name and config["pretrained"] is None and config["blur"] is True
    torch.manual_seed(99)
    loaded = cls.from_pretrained(folder)
    again = load_pretrained_baseline(folder, blur=False)
    assert type(again) is cls and again.config.blur is False and loaded.config == model.config
    x = torch.randn(1, 3, 32, 40)
    assert torch.equal(loaded.anomaly_scores(x, score="eel"), model.anomaly_scores(x, score="eel"))
    other = InlierSegmenter if cls is RPLSegmenter else RPLSegmenter
    with pytest.raises(ConfigError, match="expected a"):
        other.from_pretrained(folder)


def test_a_training_checkpoint_exports_to_a_folder_that_infer_reads(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = create_baseline("rpl_eel", **TINY)
    ckpt = save_checkpoint(
        tmp_path / "last.pt",
        {"model_name": "rpl_eel", "model_config": dict(TINY), "model": model.state_dict(), "step": 7},
    )
    folder = export_pretrained(ckpt, tmp_path / "exported")
    rows = _benchmark_rows(1)
    a = predict_archive(ckpt, tmp_path / "from_ckpt", data=rows, score="energy", device="cpu", progress=False)
    b = predict_archive(str(folder), tmp_path / "from_folder", data=rows, score="energy", device="cpu", progress=False)
    assert a.manifest["model_kind"] == "checkpoint" and b.manifest["model_kind"] == "pretrained"
    np.testing.assert_array_equal(
        np.load(tmp_path / "from_ckpt" / "img0.npy"), np.load(tmp_path / "from_folder" / "img0.npy")
    )


def test_bad_folders_and_weights(tmp_path: Path) -> None:
    folder = create_baseline("rpl_eel", **TINY).save_pretrained(tmp_path / "m")
    with pytest.raises(ConfigError, match="unknown"):
        RPLSegmenter.from_pretrained(folder, no_such_field=1)
    (folder / "model.safetensors").write_bytes(b"truncated")
    with pytest.raises(ConfigError, match="safetensors"):
        RPLSegmenter.from_pretrained(folder)
    (folder / "config.json").write_text(json.dumps({"comsamy_model": "nonsense"}))
    with pytest.raises(ConfigError, match="nonsense"):
        load_pretrained_baseline(folder)
