"""Every kind of invalid raw release is refused with its file named, and nothing is written."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from comsamy.data import export_release, validate_raw_release
from comsamy.errors import DataValidationError


def _rewrite_metadata(raw: Path, edit: Callable[[list[list[str]]], None], name: str = "metadata.csv") -> None:
    with open(raw / name, newline="") as f:
        rows = list(csv.reader(f))
    edit(rows)
    with open(raw / name, "w", newline="") as f:
        csv.writer(f).writerows(rows)


def _label(raw: Path, ident: str) -> np.ndarray:
    return np.asarray(Image.open(raw / "labels" / f"{ident}.png"))


def size_mismatch(raw: Path) -> None:
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(raw / "labels" / "img002.png")


def value_seven(raw: Path) -> None:
    label = _label(raw, "img003").copy()
    label[3, 3] = 7
    Image.fromarray(label).save(raw / "labels" / "img003.png")


def unknown_weather(raw: Path) -> None:
    _rewrite_metadata(raw, lambda rows: rows[2].__setitem__(1, "snow"))


def unknown_landform(raw: Path) -> None:
    _rewrite_metadata(raw, lambda rows: rows[3].__setitem__(2, "mountain"))


def duplicate_id(raw: Path) -> None:
    _rewrite_metadata(raw, lambda rows: rows.append(list(rows[4])))


def duplicate_image_file(raw: Path) -> None:
    Image.open(raw / "images" / "img000.jpg").save(raw / "images" / "img000.png")


def missing_image(raw: Path) -> None:
    (raw / "images" / "img005.png").unlink()


def missing_label(raw: Path) -> None:
    (raw / "labels" / "img006.png").unlink()


def palette_mask(raw: Path) -> None:
    Image.fromarray(_label(raw, "img001")).convert("P").save(raw / "labels" / "img001.png")


def rgb_mask(raw: Path) -> None:
    Image.fromarray(_label(raw, "img004")).convert("RGB").save(raw / "labels" / "img004.png")


def unreadable_image(raw: Path) -> None:
    data = (raw / "images" / "img007.png").read_bytes()
    (raw / "images" / "img007.png").write_bytes(data[: len(data) // 2])


def truncated_jpeg(raw: Path) -> None:
    data = (raw / "images" / "img006.jpg").read_bytes()
    (raw / "images" / "img006.jpg").write_bytes(data[: len(data) * 2 // 3])


def bad_header(raw: Path) -> None:
    _rewrite_metadata(raw, lambda rows: rows.__setitem__(0, ["id", "weather", "terrain", "anomaly_types"]))


def grey_image(raw: Path) -> None:
    Image.open(raw / "images" / "img008.jpg").convert("L").save(raw / "images" / "img008.jpg")


def unlisted_file(raw: Path) -> None:
    Image.fromarray(np.zeros((24, 32), np.uint8)).save(raw / "labels" / "ghost.png")


def inlier_label_value(raw: Path) -> None:
    label = np.asarray(Image.open(raw / "inliers" / "labels" / "inl001.png")).copy()
    label[0, 0] = 19  # train ids stop at 18
    Image.fromarray(label).save(raw / "inliers" / "labels" / "inl001.png")


CASES = [
    (size_mismatch, "labels/img002.png", "got 12x10"),
    (value_seven, "labels/img003.png", "got 7"),
    (unknown_weather, "metadata.csv line 3", "'snow'"),
    (unknown_landform, "metadata.csv line 4", "'mountain'"),
    (duplicate_id, "metadata.csv line 11", "duplicate id 'img003'"),
    (duplicate_image_file, "images/img000.png", "duplicate id 'img000'"),
    (missing_image, "images/img005.jpg|png", "missing"),
    (missing_label, "labels/img006.png", "missing"),
    (palette_mask, "labels/img001.png", "palette (mode P)"),
    (rgb_mask, "labels/img004.png", "got mode RGB"),
    (unreadable_image, "images/img007.png", "unreadable"),
    (truncated_jpeg, "images/img006.jpg", "unreadable"),
    (bad_header, "metadata.csv", "expected the header id,weather,landform,anomaly_types"),
    (grey_image, "images/img008.jpg", "got mode L"),
    (unlisted_file, "labels/ghost.png", "unlisted"),
    (inlier_label_value, "inliers/labels/inl001.png", "got 19"),
]


@pytest.mark.parametrize(("corrupt", "file", "detail"), CASES, ids=[c[0].__name__ for c in CASES])
def test_invalid_release_is_refused_with_the_file_named(
    raw_release: Path, tmp_path: Path, corrupt: Callable[[Path], None], file: str, detail: str
) -> None:
    corrupt(raw_release)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(DataValidationError) as info:
        export_release(raw_release, tmp_path / "out")
    matching = [p for p in info.value.problems if p.startswith(file)]
    assert matching, info.value.report()
    assert any(detail in p for p in matching), info.value.report()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no temp folder left


def test_every_problem_is_reported_at_once(raw_release: Path) -> None:
    value_seven(raw_release)
    rgb_mask(raw_release)
    unknown_weather(raw_release)
    with pytest.raises(DataValidationError) as info:
        validate_raw_release(raw_release)
    assert len(info.value.problems) == 3, info.value.report()
    assert "3 problem(s)" in str(info.value)


def test_bad_header_is_one_problem_not_one_per_file(raw_release: Path) -> None:
    bad_header(raw_release)
    with pytest.raises(DataValidationError) as info:
        validate_raw_release(raw_release)
    assert len(info.value.problems) == 1, info.value.report()


def test_a_clean_release_validates(raw_release: Path) -> None:
    release = validate_raw_release(raw_release)
    assert [i.id for i in release.test] == [f"img{k:03d}" for k in range(9)]
    assert len(release.inliers) == 3
    assert release.to_dict()["test"][0]["label_info"]["mode"] == "L"


def test_not_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="not a folder"):
        validate_raw_release(tmp_path / "nope")
