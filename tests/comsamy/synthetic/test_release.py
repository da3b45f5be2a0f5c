"""write_raw_release: schema of the raw release, determinism, distribution, bad arguments."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from comsamy.constants import (
    ADVERSE_WEATHERS,
    IGNORE_INDEX,
    LANDFORMS,
    NUM_CLEAR_PAPER,
    NUM_IMAGES_PAPER,
    NUM_INLIER_CLASSES,
    WEATHERS,
)
from comsamy.errors import UsageError
from comsamy.synthetic import OBJECT_KINDS, plan_release, write_raw_release

KW = {"images": 14, "size": (96, 64), "inliers": 7}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_raw_release(tmp_path_factory.mktemp("raw") / "rel", seed=0, **KW)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_raw_release_schema(release: Path) -> None:
    assert (release / "metadata.csv").read_text().splitlines()[0] == "id,weather,landform,anomaly_types"
    rows = _csv(release / "metadata.csv")
    assert len(rows) == 14 and len({r["id"] for r in rows}) == 14
    for r in rows:
        img = Image.open(release / "images" / f"{r['id']}.jpg")
        lab = Image.open(release / "labels" / f"{r['id']}.png")
        assert img.format == "JPEG" and img.mode == "RGB" and img.size == (96, 64)
        assert lab.format == "PNG" and lab.mode == "L" and lab.size == (96, 64)
        values = set(np.unique(np.asarray(lab)).tolist())
        assert values <= {0, 1, 255} and 1 in values
        assert r["weather"] in WEATHERS and r["landform"] in LANDFORMS
        types = r["anomaly_types"].split(";")
        assert types and set(types) <= set(OBJECT_KINDS)
    assert sorted(p.stem for p in (release / "images").iterdir()) == sorted(r["id"] for r in rows)
    assert sorted(p.stem for p in (release / "labels").iterdir()) == sorted(r["id"] for r in rows)


def test_inlier_set_schema(release: Path) -> None:
    inl = release / "inliers"
    assert (inl / "metadata.csv").read_text().splitlines()[0] == "id,weather,landform"
    rows = _csv(inl / "metadata.csv")
    assert len(rows) == 7 and {r["landform"] for r in rows} == set(LANDFORMS)
    seen: set[int] = set()
    for r in rows:
        img = Image.open(inl / "images" / f"{r['id']}.png")
        lab = Image.open(inl / "labels" / f"{r['id']}.png")
        assert img.mode == "RGB" and lab.mode == "L" and img.size == lab.size == (96, 64)
        seen |= set(np.unique(np.asarray(lab)).tolist())
    assert seen <= set(range(NUM_INLIER_CLASSES)) | {IGNORE_INDEX}
    assert {0, 8, 9, 10} <= seen  # road, vegetation, terrain, sky at least


def test_same_seed_same_bytes_other_seed_other_bytes(release: Path, tmp_path: Path) -> None:
    again = write_raw_release(tmp_path / "again", seed=0, **KW)
    assert _files(again) == _files(release)
    other = _files(write_raw_release(tmp_path / "other", seed=1, **KW))
    assert other.keys() == _files(release).keys()
    assert other["metadata.csv"] != _files(release)["metadata.csv"] or any(
        other[k] != v for k, v in _files(release).items() if k.startswith("images/")
    )
    assert all(other[k] != v for k, v in _files(release).items() if k.startswith("inliers/images/"))


def test_parallel_workers_write_the_same_bytes(tmp_path: Path) -> None:
    kw = {"images": 4, "size": (64, 40), "inliers": 2, "seed": 5}
    one = _files(write_raw_release(tmp_path / "one", **kw))
    two = _files(write_raw_release(tmp_path / "two", workers=2, **kw))
    assert one == two


@pytest.mark.parametrize("n", [49, NUM_IMAGES_PAPER])
def test_distribution_follows_the_paper(n: int) -> None:
    plan = plan_release(n, seed=0)
    weathers = Counter(p.weather for p in plan)
    landforms = Counter(p.landform for p in plan)
    assert weathers["clear"] == round(n * NUM_CLEAR_PAPER / NUM_IMAGES_PAPER)
    assert abs(weathers["clear"] / n - 250 / 468) < 0.02
    adverse = [weathers[w] for w in ADVERSE_WEATHERS]
    assert min(adverse) >= 3 and max(adverse) - min(adverse) <= 1
    assert set(landforms) == set(LANDFORMS) and max(landforms.values()) - min(landforms.values()) <= 1
    assert len({p.id for p in plan}) == n
    if n == NUM_IMAGES_PAPER:
        assert weathers["clear"] == NUM_CLEAR_PAPER
        # every (weather, landform) pair occurs
        assert len({(p.weather, p.landform) for p in plan}) == 49


def test_plan_is_seeded() -> None:
    assert plan_release(49, seed=0) == plan_release(49, seed=0)
    assert plan_release(49, seed=0) != plan_release(49, seed=1)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"images": 0}, "images"),
        ({"images": 2.5}, "images"),
        ({"size": (16, 16)}, "size"),
        ({"size": "480x270"}, "size"),
        ({"seed": -1}, "seed"),
        ({"seed": "a"}, "seed"),
        ({"inliers": -1}, "inliers"),
        ({"workers": 0}, "workers"),
    ],
)
def test_bad_arguments_write_nothing(tmp_path: Path, kwargs: dict, needle: str) -> None:
    with pytest.raises(UsageError, match=needle) as info:
        write_raw_release(tmp_path / "out", **kwargs)
    assert "expected" in str(info.value)
    assert not (tmp_path / "out").exists()
