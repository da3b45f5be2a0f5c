"""Training runs are reused only when their whole config hash matches; evaluation fills per-image histograms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from baselines.study.data import benchmark_rows, inlier_dataset
from baselines.study.runs import evaluate_checkpoint, run_hash, train_or_reuse


def _mapping(out: Path, **changes: object) -> dict:
    base = {
        "model": "inlier_segmenter",
        "model_config": {"width": 0.0625, "structure": [1] * 6},
        "out_dir": str(out),
        "steps": 2,
        "ckpt_every": 2,
        "lr": 1e-3,
        "batch_size": 2,
        "device": "cpu",
        "progress": False,
        "seed": 0,
        "threads": 1,
        "log_every": 1,
        "data": {"dataset": "study-inliers", "config": None, "crop_size": 32, "seed": 0},
    }
    return {**base, **changes}


def test_run_hash_covers_config_data_and_parent() -> None:
    cfg = _mapping(Path("x"))
    h = run_hash(cfg, data_fingerprint="d", parent_hash=None)
    assert h == run_hash(json.loads(json.dumps(cfg)), data_fingerprint="d", parent_hash=None)
    assert h != run_hash({**cfg, "lr": 2e-3}, data_fingerprint="d", parent_hash=None)
    assert h != run_hash(cfg, data_fingerprint="e", parent_hash=None)
    assert h != run_hash(cfg, data_fingerprint="d", parent_hash="p")
    moved = {**cfg, "out_dir": "elsewhere/x", "model_config": {**cfg["model_config"], "pretrained": "/moved/last.pt"}}
    assert h == run_hash(moved, data_fingerprint="d", parent_hash=None)  # where files live is not the config
    assert h != run_hash(
        {**cfg, "model_config": {**cfg["model_config"], "width": 0.125}}, data_fingerprint="d", parent_hash=None
    )


@pytest.mark.slow
def test_reuse_takes_only_a_matching_checkpoint(tmp_path: Path) -> None:
    from baselines.data import DataConfig, SegmentationTrainSet

    rows = inlier_dataset(2, (64, 36), 0)
    train_set = SegmentationTrainSet(rows, DataConfig(dataset="study-inliers", config=None, crop_size=32))
    out = tmp_path / "run"
    first = train_or_reuse("a", _mapping(out), data_fingerprint="d", train_set=train_set, reuse=True)
    assert not first.reused and (out / "study_run.json").is_file()
    again = train_or_reuse("a", _mapping(out), data_fingerprint="d", train_set=train_set, reuse=True)
    assert again.reused and again.config_hash == first.config_hash
    changed = train_or_reuse("a", _mapping(out, lr=2e-3), data_fingerprint="d", train_set=train_set, reuse=True)
    assert not changed.reused and changed.config_hash != first.config_hash
    other_data = train_or_reuse("a", _mapping(out, lr=2e-3), data_fingerprint="e", train_set=train_set, reuse=True)
    assert not other_data.reused
    side = json.loads((out / "study_run.json").read_text())
    side["config_hash"] = "0" * 16  # a tampered or stale side file
    (out / "study_run.json").write_text(json.dumps(side))
    assert not train_or_reuse("a", _mapping(out, lr=2e-3), data_fingerprint="e", train_set=train_set, reuse=True).reused
    accs = evaluate_checkpoint(out / "last.pt", benchmark_rows(7, (64, 36), 0, "val"), ("msp", "eel"))
    assert set(accs) == {"msp", "eel"} and all(len(a) == 7 for a in accs.values())
    assert 0.0 <= accs["eel"].compute().overall.auprc <= 1.0
