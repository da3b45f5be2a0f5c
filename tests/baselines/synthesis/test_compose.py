"""Composition of a training set: determinism, resume after a crash, sharding, output layout, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from baselines.synthesis.compose import ComposeConfig, compose_dataset, sample_seed
from baselines.synthesis.errors import PlacementError
from comsamy.errors import ConfigError, DataValidationError, UsageError


def _rows(out: Path) -> list[dict]:
    import pyarrow.parquet as pq

    tables = [pq.read_table(p) for p in sorted((out / "data").glob("train-*.parquet"))]
    rows = []
    for t in tables:
        rows += t.to_pylist()
    return rows


def _compose(inliers, bank, out, **kw):
    workers = kw.pop("workers", 1)
    hook = kw.pop("on_sample", None)
    cfg = ComposeConfig(**{"count": 7, "seed": 5, "chunk_size": 2, **kw})
    return compose_dataset(inliers, [bank], out, cfg, progress=False, workers=workers, on_sample=hook)


def test_sample_seed_depends_on_seed_and_index():
    assert sample_seed(1, 2) == sample_seed(1, 2)
    assert len({sample_seed(s, i) for s in range(3) for i in range(50)}) == 150


@pytest.fixture(scope="module")
def reference(inliers, bank, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "out"
    _compose(inliers, bank, out)
    return out


def test_output_layout_and_labels(reference: Path, tmp_path: Path):
    import datasets

    import comsamy

    ds = datasets.load_dataset(str(reference), split="train", cache_dir=str(tmp_path / "hf-cache"))
    assert ds.column_names == ["id", "image", "label", "provenance"] and len(ds) == 7
    assert comsamy.load_dataset(str(reference), split="train")["id"] == ds["id"]
    manifest = [json.loads(x) for x in (reference / "provenance.jsonl").read_text().splitlines()]
    assert [m["index"] for m in manifest] == list(range(7))
    assert not (reference / ".chunks").exists()
    for row, m in zip(ds, manifest, strict=True):
        assert json.loads(row["provenance"]) == m
        img, lab = np.asarray(row["image"]), np.asarray(row["label"])
        assert img.shape[:2] == lab.shape and row["label"].mode == "L"
        values = set(np.unique(lab).tolist())
        assert 254 in values and values <= set(range(19)) | {254, 255}
        assert (lab == 254).sum() == sum(o["pixels"] for o in m["objects"])
        assert m["mode"] == "harmonized" and m["inlier_id"].startswith("in_") and m["sample_seed"] > 0
        for o in m["objects"]:
            assert o["bank"] == "blobs" and o["object_id"].startswith("obj_") and o["scale"] > 0


def test_deterministic_and_parallel_equals_serial(inliers, bank, reference: Path, tmp_path: Path):
    _compose(inliers, bank, tmp_path / "par", workers=2)
    assert _rows(tmp_path / "par") == _rows(reference)


def test_resume_after_crash_gives_exactly_the_uninterrupted_set(inliers, bank, reference: Path, tmp_path: Path):
    out = tmp_path / "crash"
    seen: list[int] = []

    def crash_after_5(i: int) -> None:
        seen.append(i)
        if len(seen) == 5:
            raise KeyboardInterrupt("simulated crash")

    with pytest.raises(KeyboardInterrupt):
        _compose(inliers, bank, out, on_sample=crash_after_5)
    assert len(list((out / ".chunks").glob("chunk-*.parquet"))) == 2  # chunks 0 and 1 done, chunk 2 lost
    assert not (out / "README.md").exists()
    again: list[int] = []
    s = _compose(inliers, bank, out, on_sample=again.append)
    assert again == [4, 5, 6] and s.skipped == 4 and s.generated == 3
    rows = _rows(out)
    assert len({r["id"] for r in rows}) == 7 and rows == _rows(reference)
    # a third run finds a complete set and does nothing
    assert _compose(inliers, bank, out).generated == 0


def test_ranks_share_the_work(inliers, bank, reference: Path, tmp_path: Path, monkeypatch):
    out = tmp_path / "ranks"
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    s1 = _compose(inliers, bank, out)
    assert not s1.assembled and s1.generated == 3  # chunks 1 and 3 (indices 2, 3, 6)
    monkeypatch.setenv("RANK", "0")
    s0 = _compose(inliers, bank, out)
    assert s0.assembled and s0.generated == 4
    assert _rows(out) == _rows(reference)


def test_copy_paste_uses_same_placements(inliers, bank, reference: Path, tmp_path: Path):
    _compose(inliers, bank, tmp_path / "cp", mode="copy-paste", anomaly_id=20)
    for a, b in zip(_rows(tmp_path / "cp"), _rows(reference), strict=True):
        pa, pb = json.loads(a["provenance"]), json.loads(b["provenance"])
        assert pa["inlier_id"] == pb["inlier_id"] and pa["mode"] == "copy-paste" and pa["anomaly_id"] == 20
        assert [o["box"] for o in pa["objects"]] == [o["box"] for o in pb["objects"]]
        assert a["image"] != b["image"]


def test_restart_with_other_settings_is_refused(inliers, bank, reference: Path, tmp_path: Path):
    with pytest.raises(UsageError, match="other settings"):
        _compose(inliers, bank, reference, seed=6)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "stuff.txt").write_text("hi")
    with pytest.raises(UsageError, match="empty or new folder"):
        _compose(inliers, bank, tmp_path / "x")


def test_bad_inputs(inliers, bank, tmp_path: Path):
    import datasets
    from PIL import Image

    with pytest.raises(ConfigError, match="--mode"):
        ComposeConfig(count=1, mode="magic")
    with pytest.raises(ConfigError, match="--count"):
        ComposeConfig(count=0)
    with pytest.raises(UsageError, match="bank folder"):
        _compose(inliers, tmp_path / "missing-bank", tmp_path / "o1")
    no_road = datasets.Dataset.from_dict(
        {"id": ["sky"], "image": [Image.new("RGB", (32, 24))], "label": [Image.new("L", (32, 24), 10)]},
        features=datasets.Features(
            {"id": datasets.Value("string"), "image": datasets.Image(), "label": datasets.Image()}
        ),
    )
    with pytest.raises(PlacementError, match="sky: no drivable pixels"):
        _compose(no_road, bank, tmp_path / "o2", count=1, max_tries=2)
    bad_size = datasets.Dataset.from_dict(
        {"id": ["odd"], "image": [Image.new("RGB", (32, 24))], "label": [Image.new("L", (30, 24), 0)]},
        features=no_road.features,
    )
    with pytest.raises(DataValidationError, match="inlier odd: expected a single-channel label"):
        _compose(bad_size, bank, tmp_path / "o3", count=1)
    with pytest.raises(DataValidationError, match="columns image and label"):
        _compose(datasets.Dataset.from_dict({"x": [1]}), bank, tmp_path / "o4", count=1)
