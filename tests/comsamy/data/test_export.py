"""Export -> load round trip: bytes, features, configs, splits, streaming, atomic writes."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from comsamy.constants import LANDFORMS, WEATHERS
from comsamy.data import benchmark_features, export_release, inlier_features, load_dataset
from comsamy.errors import UsageError


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _metadata(raw: Path) -> dict[str, dict[str, str]]:
    with open(raw / "metadata.csv", newline="") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def test_round_trip_bytes_and_metadata_are_exact(exported: tuple[Path, Path]) -> None:
    raw, out = exported
    meta = _metadata(raw)
    ds = (
        load_dataset(out, config="all", split="test")
        .cast_column("image", _raw_image())
        .cast_column("label", _raw_image())
    )
    assert ds.features == _raw_features()
    assert sorted(ds["id"]) == sorted(meta)
    for row in ds:
        rid = row["id"]
        label_src = (raw / "labels" / f"{rid}.png").read_bytes()
        image_src = next((raw / "images").glob(f"{rid}.*")).read_bytes()
        assert _sha(row["label"]["bytes"]) == _sha(label_src)
        assert _sha(row["image"]["bytes"]) == _sha(image_src)
        assert WEATHERS[row["weather"]] == meta[rid]["weather"]
        assert LANDFORMS[row["landform"]] == meta[rid]["landform"]
        assert row["anomaly_types"] == meta[rid]["anomaly_types"].split(";")


def _raw_image():
    from datasets import Image as ImageFeature

    return ImageFeature(decode=False)


def _raw_features():
    f = benchmark_features().copy()
    f["image"] = _raw_image()
    f["label"] = _raw_image()
    return f


def test_decoded_rows_have_exact_features_and_mode_l_labels(exported: tuple[Path, Path]) -> None:
    _, out = exported
    ds = load_dataset(out, config="all", split="test")
    assert ds.features == benchmark_features()
    row = ds[0]
    assert row["label"].mode == "L" and row["image"].mode == "RGB"
    assert row["label"].size == row["image"].size
    assert set(np.unique(np.asarray(row["label"])).tolist()) <= {0, 1, 255}


def test_configs_and_splits_partition_by_weather(exported: tuple[Path, Path]) -> None:
    raw, out = exported
    per_weather = Counter(row["weather"] for row in _metadata(raw).values())
    default = load_dataset(out)
    assert set(default) == {"clear", "adverse"}
    assert len(default["clear"]) == per_weather["clear"]
    assert len(default["adverse"]) == sum(per_weather.values()) - per_weather["clear"]
    assert set(default["adverse"]["weather"]) == {WEATHERS.index(w) for w in WEATHERS[1:]}
    for weather in WEATHERS:
        ds = load_dataset(out, config=weather, split="test")
        assert len(ds) == per_weather[weather]
        assert set(ds["weather"]) <= {WEATHERS.index(weather)}
    inliers = load_dataset(out, config="inliers", split="train")
    assert inliers.features == inlier_features() and len(inliers) == 4


def test_plain_datasets_load_dataset_reads_the_folder(exported: tuple[Path, Path], tmp_path: Path) -> None:
    import datasets

    _, out = exported
    ds = datasets.load_dataset(str(out), "all", split="test", cache_dir=str(tmp_path / "c"))
    assert ds.features == benchmark_features() and len(ds) == 16
    assert set(datasets.get_dataset_config_names(str(out))) == {"default", "all", "inliers", *WEATHERS}


def test_streaming_yields_the_same_rows(exported: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    monkeypatch.setattr(datasets.config, "TORCH_AVAILABLE", False)  # streaming would import torch (slow) for nothing
    _, out = exported
    streamed = load_dataset(out, config="all", split="test", streaming=True)
    rows = list(streamed)
    assert [r["id"] for r in rows] == load_dataset(out, config="all", split="test")["id"]
    assert rows[0]["label"].mode == "L"


def test_weathers_without_images_get_no_config(tmp_path: Path) -> None:
    from tests.comsamy.data.rawfactory import make_raw_release

    raw = make_raw_release(tmp_path / "raw", n=3, inliers=0)  # clear, rain, night only
    export_release(raw, tmp_path / "out")
    with pytest.raises(UsageError, match="sandstorm"):
        load_dataset(tmp_path / "out", config="sandstorm", split="test")
    assert len(load_dataset(tmp_path / "out", config="all", split="test")) == 3
    assert len(load_dataset(tmp_path / "out", config="night", split="test")) == 1
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "out" / "data").iterdir()) == ["clear", "night", "rain"]
    assert "inliers" not in (tmp_path / "out" / "README.md").read_text()


def test_card_states_provenance_and_counts(exported: tuple[Path, Path], tmp_path: Path) -> None:
    raw, out = exported
    card = (out / "README.md").read_text()
    assert "synthetic" in card and "16 test images" in card and "Label policy" in card
    export_release(raw, tmp_path / "real", synthetic=False)
    assert "This copy is synthetic" not in (tmp_path / "real" / "README.md").read_text()


def test_existing_output_is_refused_then_replaced_with_force(raw_release: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(UsageError, match="non-empty folder"):
        export_release(raw_release, out)
    assert (out / "keep.txt").exists()
    export_release(raw_release, out, force=True)
    assert not (out / "keep.txt").exists() and (out / "README.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "raw"]  # no temp folders left


def _exif_jpeg(path: Path, pixels: np.ndarray, orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pixels).save(path, format="JPEG", exif=exif.tobytes())


def test_exif_orientation_is_applied_only_when_needed(tmp_path: Path) -> None:
    from tests.comsamy.data.rawfactory import make_raw_release

    raw = make_raw_release(tmp_path / "raw", n=2, size=(32, 24), inliers=0)
    rng = np.random.default_rng(1)
    # img000: rotated 90 degrees by EXIF (orientation 6): stored 24x32, displayed 32x24 like its label
    (raw / "images" / "img000.jpg").unlink()
    _exif_jpeg(raw / "images" / "img000.jpg", rng.integers(0, 255, (32, 24, 3), dtype=np.uint8), 6)
    # img001: upright EXIF tag (1): bytes must stay untouched
    (raw / "images" / "img001.png").unlink()
    _exif_jpeg(raw / "images" / "img001.jpg", rng.integers(0, 255, (24, 32, 3), dtype=np.uint8), 1)
    export_release(raw, tmp_path / "out")
    ds = load_dataset(tmp_path / "out", config="all", split="test").cast_column("image", _raw_image())
    rows = {r["id"]: r for r in ds}
    rotated = Image.open(io.BytesIO(rows["img000"]["image"]["bytes"]))
    assert rotated.size == (32, 24) and rotated.getexif().get(0x0112, 1) == 1
    assert rows["img001"]["image"]["bytes"] == (raw / "images" / "img001.jpg").read_bytes()


def test_palette_masks_convert_by_index_only_on_request(tmp_path: Path) -> None:
    from comsamy.errors import DataValidationError
    from tests.comsamy.data.rawfactory import make_raw_release

    raw = make_raw_release(tmp_path / "raw", n=1, inliers=0)
    index = np.zeros((24, 32), np.uint8)
    index[5:10, 5:10] = 1
    index[0, :] = 255
    mask = Image.fromarray(index, mode="L").convert("P")
    palette = [0, 0, 0] * 256
    palette[3:6] = [250, 250, 250]  # index 1 is bright: a luminance conversion would give ~250, not 1
    mask.putpalette(palette)
    mask.save(raw / "labels" / "img000.png")
    assert Image.open(raw / "labels" / "img000.png").mode == "P"
    with pytest.raises(DataValidationError, match="palette"):
        export_release(raw, tmp_path / "out")
    export_release(raw, tmp_path / "out", convert_palette=True)
    label = load_dataset(tmp_path / "out", config="all", split="test")[0]["label"]
    assert label.mode == "L"
    np.testing.assert_array_equal(np.asarray(label), index)
