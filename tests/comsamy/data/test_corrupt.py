"""comsamy-data corrupt: every image under every weather x severity, labels unchanged, deterministic, resumable."""

from __future__ import annotations

import itertools
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import comsamy
from comsamy.data import import_benchmark
from comsamy.data.corrupt import corrupt_dataset, corrupted_id, image_seed
from comsamy.errors import UsageError
from comsamy.synthetic.weather import apply_weather, severity_of_level
from tests.comsamy.data import benchfixtures as bf


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    raw, _ = bf.lostandfound(tmp_path / "laf")
    import_benchmark("lostandfound", raw, tmp_path / "in")
    return tmp_path / "in"


def _table(folder: Path, shard: str) -> dict[str, list[object]]:
    return pq.read_table(folder / "data" / f"{shard}-00000-of-00001.parquet").to_pydict()


def test_every_weather_and_severity_with_labels_unchanged(imported: Path, tmp_path: Path) -> None:
    summary = corrupt_dataset(imported, tmp_path / "out", weathers=["fog", "night"], levels=[1, 4], seed=3, workers=1)
    ds = comsamy.load_dataset(tmp_path / "out", config="all", split="test")
    assert len(ds) == summary.num_images == 3 * (1 + 2 * 2)
    assert ds.column_names == ["id", "image", "label", "scene", "sequence", "weather", "severity"]
    source = _table(imported, "train")
    fog4 = _table(tmp_path / "out", "fog-s4")
    clean = _table(tmp_path / "out", "clean")
    first = source["id"][0]
    i = fog4["id"].index(corrupted_id(first, "fog", 4))
    assert fog4["label"][i]["bytes"] == source["label"][0]["bytes"]  # void (255) and all, byte for byte
    assert clean["image"][clean["id"].index(first)]["bytes"] == source["image"][0]["bytes"]
    import io

    from PIL import Image

    want = apply_weather(
        Image.open(io.BytesIO(source["image"][0]["bytes"])), "fog", severity=0.8, seed=image_seed(first, "fog", 4, 3)
    )
    got = Image.open(io.BytesIO(fog4["image"][i]["bytes"]))
    assert np.array_equal(np.asarray(got), np.asarray(want))  # PNG sources stay lossless
    weather = ds.features["weather"]
    assert {(weather.int2str(w), s) for w, s in zip(ds["weather"], ds["severity"], strict=True)} == {
        ("clear", 0),
        ("fog", 1),
        ("fog", 4),
        ("night", 1),
        ("night", 4),
    }
    assert summary.images_per_second_per_core > 0


def test_deterministic_per_image_weather_severity_and_seed(imported: Path, tmp_path: Path) -> None:
    corrupt_dataset(imported, tmp_path / "a", weathers=["rain"], levels=[2], seed=1, workers=1)
    corrupt_dataset(imported, tmp_path / "b", weathers=["sandstorm", "rain"], levels=[5, 2], seed=1, workers=1)
    corrupt_dataset(imported, tmp_path / "c", weathers=["rain"], levels=[2], seed=2, workers=1)
    a, b, c = (_table(tmp_path / x, "rain-s2")["image"] for x in "abc")
    assert a == b and a != c


def test_resumes_finished_shards_and_refuses_other_content(imported: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    corrupt_dataset(imported, out, weathers=["frost", "blizzard"], levels=[1], workers=1)
    (out / "data" / "blizzard-s1-00000-of-00001.parquet").unlink()  # as if interrupted before the last shard
    (out / "README.md").unlink()
    kept = (out / "data" / "frost-s1-00000-of-00001.parquet").stat().st_mtime_ns
    again = corrupt_dataset(imported, out, weathers=["frost", "blizzard"], levels=[1], workers=1)
    assert again.shards_skipped == 2 and again.shards_written == 1
    assert (out / "data" / "frost-s1-00000-of-00001.parquet").stat().st_mtime_ns == kept
    assert len(comsamy.load_dataset(out, config="all", split="test")) == 9
    with pytest.raises(UsageError, match="--force"):
        corrupt_dataset(imported, out, weathers=["fog"], levels=[1], workers=1)


def test_bad_weathers_and_levels(imported: Path, tmp_path: Path) -> None:
    for weathers, levels in ((["clear"], [1]), (["hail"], [1]), (["fog"], [0]), (["fog"], [6]), (["fog", "fog"], [1])):
        with pytest.raises(UsageError, match="--weathers|--severities"):
            corrupt_dataset(imported, tmp_path / "out", weathers=weathers, levels=levels, workers=1)
    with pytest.raises(UsageError, match="level"):
        severity_of_level(6)


def test_memory_does_not_grow_with_the_number_of_images(tmp_path: Path) -> None:
    """Streaming: the peak Python memory of a 24-image run is that of a 2-image run (one image at a time).

    Each corrupted 512x256 noise image is a ~400 kB PNG, so keeping the 22 extra results would add ~9 MB. A first,
    unmeasured run pays the one-time costs (imports, caches) that would otherwise land in the small run's peak. The
    allowance (3 MB) covers per-row-group bookkeeping, which grows by ~35 kB an image with pyarrow 15."""
    from PIL import Image

    from comsamy.data.benchmarks import ImportOptions, parse_label_map

    rng = np.random.default_rng(0)
    peaks = []
    for run, n in enumerate((2, 2, 24)):
        raw = tmp_path / f"g{run}"
        (raw / "images").mkdir(parents=True)
        (raw / "labels").mkdir()
        for k in range(n):
            Image.fromarray(rng.integers(0, 256, (256, 512, 3), dtype=np.uint8)).save(raw / "images" / f"i{k:02d}.png")
            Image.fromarray(np.zeros((256, 512), np.uint8), "L").save(raw / "labels" / f"i{k:02d}.png")
        import_benchmark("generic", raw, tmp_path / f"in{run}", options=ImportOptions(label_map=parse_label_map("0=0")))
        tracemalloc.start()
        corrupt_dataset(tmp_path / f"in{run}", tmp_path / f"out{run}", weathers=["fog"], levels=[1], workers=1)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[2] < peaks[1] + 3_000_000, peaks


def test_evaluation_breaks_down_by_weather_and_severity(imported: Path, tmp_path: Path) -> None:
    from comsamy.evaluation import evaluate_archive
    from tests.comsamy.evaluation import evalfixtures as ef

    out = tmp_path / "out"
    corrupt_dataset(imported, out, weathers=["fog"], levels=[1, 2], workers=1)
    ds = comsamy.load_dataset(out, config="all", split="test")
    scores = {row["id"]: np.full((bf.H, bf.W), 0.5, np.float32) for row in ds}
    report = evaluate_archive(ef.write_archive(tmp_path / "p.zip", scores), out, workers=1, progress=False)
    assert {"weather", "severity"} <= set(report.by_condition)
    assert set(report.by_condition["severity"]) == {"0", "1", "2"}


def test_a_comsamy_export_keeps_its_weather_as_source_weather(tmp_path: Path) -> None:
    from comsamy.data import export_release, validate_dataset_folder
    from tests.comsamy.data.rawfactory import make_raw_release

    export_release(make_raw_release(tmp_path / "raw", n=3, inliers=0), tmp_path / "exp")
    corrupt_dataset(tmp_path / "exp", tmp_path / "out", weathers=["sandstorm"], levels=[3], workers=1)
    ds = comsamy.load_dataset(tmp_path / "out", config="sandstorm", split="test")
    assert ds.column_names[-3:] == ["source_weather", "weather", "severity"] and set(ds["severity"]) == {3}
    assert validate_dataset_folder(tmp_path / "out").num_test == 6
    assert comsamy.data.benchmark_name(tmp_path / "out") == "comsamy-weather"


def test_each_level_is_stronger_than_the_one_before() -> None:
    """Mean change from the clean image grows with the level, for every weather (what the contact sheet shows)."""
    from PIL import Image

    from comsamy.constants import ADVERSE_WEATHERS
    from comsamy.data import sample_path

    table = pq.read_table(sample_path() / "data" / "clear-00000-of-00001.parquet", columns=["image"])
    import io

    image = Image.open(io.BytesIO(table.column("image")[2].as_py()["bytes"])).convert("RGB").resize((160, 90))
    clean = np.asarray(image, np.float32)
    for weather in ADVERSE_WEATHERS:
        change = [
            np.abs(np.asarray(apply_weather(image, weather, level=k), np.float32) - clean).mean() for k in range(6)
        ]
        assert change[0] == 0 and all(b > a for a, b in itertools.pairwise(change)), (weather, change)


@pytest.mark.slow
def test_contact_sheet_script_renders(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    out = tmp_path / "sheet.png"
    subprocess.run(
        [sys.executable, str(root / "scripts" / "weather_contact_sheet.py"), "--out", str(out)],
        check=True,
        timeout=120,
        cwd=root,
    )
    from PIL import Image

    assert Image.open(out).size == (90 + 6 * 240, 22 + 6 * 135)
