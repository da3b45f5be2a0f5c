"""Importers of the field's benchmarks: real layouts and encodings in, ComsAmy's layout and 0/1/255 labels out."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import comsamy
from comsamy.data import ImportOptions, benchmark_name, import_benchmark
from comsamy.data.benchmarks import parse_label_map
from comsamy.errors import DataValidationError, UsageError
from tests.comsamy.data import benchfixtures as bf

Builder = Callable[[Path], tuple[Path, bf.Expected, ImportOptions]]


def _ra(tmp: Path) -> tuple[Path, bf.Expected, ImportOptions]:
    return (*bf.roadanomaly(tmp / "RoadAnomaly_jpg"), ImportOptions())


def _ra21(tmp: Path) -> tuple[Path, bf.Expected, ImportOptions]:
    return (*bf.smiyc(tmp / "dataset_AnomalyTrack"), ImportOptions())


def _ro21(tmp: Path) -> tuple[Path, bf.Expected, ImportOptions]:
    return (*bf.smiyc(tmp / "dataset_ObstacleTrack", track="obstacle"), ImportOptions())


def _laf(tmp: Path) -> tuple[Path, bf.Expected, ImportOptions]:
    return (*bf.lostandfound(tmp / "dataset_LostAndFound"), ImportOptions())


def _fslaf(tmp: Path) -> tuple[Path, bf.Expected, ImportOptions]:
    return (*bf.fishyscapes_laf(tmp / "fishyscapes_lostandfound", tmp / "laf"), ImportOptions(base=tmp / "laf"))


def _fss(tmp: Path) -> tuple[Path, bf.Expected, ImportOptions]:
    raw, expected, _ = bf.fishyscapes_static(tmp / "fs_val_v3", tmp / "cityscapes")
    return raw, expected, ImportOptions(base=tmp / "cityscapes")


def _generic(tmp: Path) -> tuple[Path, bf.Expected, ImportOptions]:
    return (*bf.generic(tmp / "mine"), ImportOptions(label_map=parse_label_map("2=1,0=0,*=255")))


CASES: dict[str, Builder] = {
    "roadanomaly": _ra,
    "roadanomaly21": _ra21,
    "roadobstacle21": _ro21,
    "lostandfound": _laf,
    "fishyscapes_laf": _fslaf,
    "fishyscapes_static": _fss,
    "generic": _generic,
}
COLUMNS = {
    "roadobstacle21": ["sequence", "time_of_day"],
    "lostandfound": ["scene", "sequence"],
    "fishyscapes_laf": ["scene", "laf_split"],
    "fishyscapes_static": ["city"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_import_remaps_labels_exactly_and_loads(name: str, tmp_path: Path) -> None:
    raw, expected, options = CASES[name](tmp_path)
    summary = import_benchmark(name, raw, tmp_path / "out", options=options)
    ds = comsamy.load_dataset(tmp_path / "out", config="all", split="test")
    assert sorted(ds["id"]) == sorted(expected) and summary.num_images == len(expected)
    assert ds.column_names == ["id", "image", "label", *COLUMNS.get(name, [])]
    assert benchmark_name(tmp_path / "out") == name
    raw_rows = ds.cast_column("label", __import__("datasets").Image(decode=False)).cast_column(
        "image", __import__("datasets").Image(decode=False)
    )
    for row in raw_rows:
        image_path, want = expected[row["id"]]
        label = Image.open(io.BytesIO(row["label"]["bytes"]))
        assert label.mode == "L" and np.array_equal(np.asarray(label), want)
        if name != "fishyscapes_static":
            assert row["image"]["bytes"] == image_path.read_bytes()  # released bytes, untouched


def test_labels_already_in_0_1_255_keep_their_source_bytes(tmp_path: Path) -> None:
    raw, _expected = bf.smiyc(tmp_path / "dataset_AnomalyTrack")
    import_benchmark("roadanomaly21", raw, tmp_path / "out")
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "out" / "data" / "test-00000-of-00001.parquet")
    for ident, label in zip(table.column("id").to_pylist(), table.column("label").to_pylist(), strict=True):
        assert label["bytes"] == (raw / "labels_masks" / f"{ident}_labels_semantic.png").read_bytes()


def test_fishyscapes_static_blends_the_overlay_into_the_cityscapes_image(tmp_path: Path) -> None:
    raw, _, blended = bf.fishyscapes_static(tmp_path / "fs", tmp_path / "cs")
    import_benchmark("fishyscapes_static", raw, tmp_path / "out", options=ImportOptions(base=tmp_path / "cs"))
    ds = comsamy.load_dataset(tmp_path / "out", config="all", split="test")
    for row in ds:
        assert np.array_equal(np.asarray(row["image"]), blended[row["id"]])


def test_smiyc_notes_held_out_images_and_metadata(tmp_path: Path) -> None:
    raw, _ = bf.smiyc(tmp_path / "dataset_ObstacleTrack", track="obstacle", held_out=2)
    summary = import_benchmark("roadobstacle21", raw, tmp_path / "out")
    assert any("held-out test set" in n for n in summary.notes)
    ds = comsamy.load_dataset(tmp_path / "out", config="all", split="test")
    night = next(r for r in ds if r["id"] == "driveway_3")
    assert night["time_of_day"] == "night" and night["sequence"] == "driveway"


def test_lostandfound_has_a_config_per_split(tmp_path: Path) -> None:
    raw, _ = bf.lostandfound(tmp_path / "laf")
    import_benchmark("lostandfound", raw, tmp_path / "out")
    assert len(comsamy.load_dataset(tmp_path / "out", config="train", split="test")) == 2
    assert comsamy.load_dataset(tmp_path / "out", config="test", split="test")["sequence"] == [
        "04_Maurener_Weg_8_000002"
    ]


def _fails(name: str, raw: Path, out: Path, *fragments: str, options: ImportOptions | None = None) -> None:
    with pytest.raises(DataValidationError) as info:
        import_benchmark(name, raw, out, options=options)
    report = info.value.report()
    for fragment in fragments:
        assert fragment in report, report
    assert not out.exists() and not list(out.parent.glob(f".{out.name}.tmp-*"))


def test_label_at_another_resolution_is_refused_not_resized(tmp_path: Path) -> None:
    raw, _ = bf.roadanomaly(tmp_path / "ra")
    label = raw / "frames" / "cones03_road_works.labels" / "labels_semantic.png"
    Image.fromarray(np.zeros((bf.H * 2, bf.W * 2), np.uint8), "L").save(label)
    _fails(
        "roadanomaly",
        raw,
        tmp_path / "out",
        "frames/cones03_road_works.labels/labels_semantic.png",
        f"expected the image's size {bf.W}x{bf.H}, got {2 * bf.W}x{2 * bf.H}",
        "never resized",
    )


def test_missing_labels_and_unmapped_values_are_all_reported(tmp_path: Path) -> None:
    raw, _ = bf.lostandfound(tmp_path / "laf")
    (raw / "gtCoarse/train/01_Hanns_Klemm_Str_45/01_Hanns_Klemm_Str_45_000001_000060_gtCoarse_labelIds.png").unlink()
    raw2, _ = bf.roadanomaly(tmp_path / "ra")
    _fails(
        "lostandfound",
        raw,
        tmp_path / "out",
        "01_Hanns_Klemm_Str_45_000001_000060_gtCoarse_labelIds.png",
        "got no such file",
    )
    _fails(
        "generic",
        raw2 / "frames",
        tmp_path / "out2",
        "expected folders",
        options=ImportOptions(label_map=parse_label_map("0=0")),
    )
    gen, _ = bf.generic(tmp_path / "gen")
    _fails(
        "generic",
        gen,
        tmp_path / "out3",
        "labels/a01.png",
        "labels/b02.png",
        "got 2, 3",
        options=ImportOptions(label_map=parse_label_map("0=0")),
    )


def test_rgb_label_and_unreadable_image_are_named(tmp_path: Path) -> None:
    raw, _ = bf.smiyc(tmp_path / "dataset_AnomalyTrack")
    Image.new("RGB", (bf.W, bf.H)).save(raw / "labels_masks" / "validation0001_labels_semantic.png")
    (raw / "images" / "validation0002.jpg").write_bytes(b"not a jpeg")
    _fails(
        "roadanomaly21",
        raw,
        tmp_path / "out",
        "labels_masks/validation0001_labels_semantic.png: expected a single-channel",
        "images/validation0002.jpg: expected a readable",
    )


def test_fishyscapes_without_base_says_what_to_pass(tmp_path: Path) -> None:
    raw, _ = bf.fishyscapes_laf(tmp_path / "fs", tmp_path / "laf")
    with pytest.raises(DataValidationError, match="leftImg8bit"):
        import_benchmark("fishyscapes_laf", raw, tmp_path / "out")
    (raw / "0000_01_Hanns_Klemm_Str_45_000000_000080_labels.png").rename(
        raw / "0007_01_Nowhere_000000_000001_labels.png"
    )
    _fails(
        "fishyscapes_laf",
        raw,
        tmp_path / "out",
        "0007_01_Nowhere_000000_000001_labels.png",
        "--base",
        options=ImportOptions(base=tmp_path / "laf"),
    )


def test_extra_files_are_ignored_with_a_note(tmp_path: Path) -> None:
    raw, expected = bf.generic(tmp_path / "gen")
    (raw / "images" / "notes.txt").write_text("x")
    summary = import_benchmark(
        "generic", raw, tmp_path / "out", options=ImportOptions(label_map=parse_label_map("2=1,0=0,*=255"))
    )
    assert summary.num_images == len(expected) and "images/notes.txt" in summary.notes[0]


def test_label_map_parsing() -> None:
    m = parse_label_map("0=255,1=0,2-200=1,*=255")
    assert [m.target(v) for v in (0, 1, 2, 200, 201)] == [255, 0, 1, 1, 255]
    for bad in ("2=3", "x=1", "1", "5-2=1", "1=1,1=0", "*=1,*=0", ""):
        with pytest.raises(UsageError, match="--map|label map"):
            parse_label_map(bad)
    sixteen = np.array([[0, 1000], [2, 65535]], np.uint16)
    mapped, _, unmapped, counts = parse_label_map("0=0,1000=1,*=255").apply(sixteen)
    assert mapped.tolist() == [[0, 1], [255, 255]] and mapped.dtype == np.uint8 and not unmapped
    assert counts == {0: 1, 1: 1, 255: 2}


def test_unknown_benchmark_and_names_of_other_folders(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="expected a benchmark in"):
        import_benchmark("cityscapes", tmp_path, tmp_path / "out")
    assert benchmark_name("sample") == "comsamy"
    assert benchmark_name(tmp_path / "nothing") is None


@pytest.mark.parametrize("name", ["roadanomaly", "roadobstacle21", "lostandfound", "fishyscapes_static"])
def test_evaluate_archive_on_each_imported_benchmark(name: str, tmp_path: Path) -> None:
    from comsamy.evaluation import evaluate_archive
    from tests.comsamy.evaluation import evalfixtures as ef

    raw, expected, options = CASES[name](tmp_path)
    import_benchmark(name, raw, tmp_path / "out", options=options)
    scores = {i: (want == 1).astype(np.float32) * 0.8 + 0.1 for i, (_, want) in expected.items()}
    report = evaluate_archive(ef.write_archive(tmp_path / "p.zip", scores), tmp_path / "out", workers=1, progress=False)
    assert report.overall.auprc == pytest.approx(1.0)
    for column in COLUMNS.get(name, []):  # conditions come from the benchmark's metadata columns
        assert column in report.by_condition, sorted(report.by_condition)


def test_validate_checks_imported_folders(tmp_path: Path) -> None:
    from comsamy.data import validate_dataset_folder

    raw, _ = bf.lostandfound(tmp_path / "laf")
    import_benchmark("lostandfound", raw, tmp_path / "out")
    assert validate_dataset_folder(tmp_path / "out").num_test == 3
    (tmp_path / "out" / "data" / "extra.parquet").write_bytes(b"x")
    card = tmp_path / "out" / "README.md"
    card.write_text(card.read_text().replace("num_examples: 3", "num_examples: 4"))
    with pytest.raises(DataValidationError) as info:
        validate_dataset_folder(tmp_path / "out")
    assert (
        "data/extra.parquet" in info.value.report() and "all/test to declare 3 examples, got 4" in info.value.report()
    )


def test_frame_list_cannot_point_outside_the_release(tmp_path: Path) -> None:
    raw, _ = bf.roadanomaly(tmp_path / "ra")
    (tmp_path / "secret.jpg").write_bytes((raw / "frames" / "cones03_road_works.jpg").read_bytes())
    (raw / "frame_list.json").write_text('["cones03_road_works.jpg", "../../secret.jpg"]')
    _fails("roadanomaly", raw, tmp_path / "out", "frame_list.json: expected plain file names", "'../../secret.jpg'")


def test_generic_reads_16_bit_labels_with_a_suffix(tmp_path: Path) -> None:
    raw = tmp_path / "sixteen"
    (raw / "rgb").mkdir(parents=True)
    (raw / "gt").mkdir()
    Image.new("RGB", (bf.W, bf.H), (9, 99, 199)).save(raw / "rgb" / "f1.png")
    src = np.zeros((bf.H, bf.W), np.uint16)
    src[:, :8], src[:, 8:16], src[0, 0] = 1000, 40000, 65535
    Image.fromarray(src).save(raw / "gt" / "f1_gt.png")
    assert Image.open(raw / "gt" / "f1_gt.png").mode.startswith("I")
    options = ImportOptions(
        images="rgb", labels="gt", label_suffix="_gt", label_map=parse_label_map("0=0,1000=1,40000-65535=255")
    )
    import_benchmark("generic", raw, tmp_path / "out", options=options, name="sixteen")
    row = comsamy.load_dataset(tmp_path / "out", config="all", split="test")[0]
    want = np.select([src == 1000, src == 0], [1, 0], 255).astype(np.uint8)
    assert row["label"].mode == "L" and np.array_equal(np.asarray(row["label"]), want)
    assert benchmark_name(tmp_path / "out") == "sixteen"
