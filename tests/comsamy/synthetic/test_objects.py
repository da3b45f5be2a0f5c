"""Anomaly sprites and the object bank."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from comsamy.errors import UsageError
from comsamy.synthetic import CATEGORIES, OBJECT_KINDS, render_object, write_object_bank


def test_vocabulary_covers_every_category() -> None:
    cats = [k.category for k in OBJECT_KINDS.values()]
    assert set(cats) == set(CATEGORIES)
    for c in CATEGORIES:
        assert cats.count(c) >= 2
    assert len(OBJECT_KINDS) >= 15
    assert all(name == kind.name for name, kind in OBJECT_KINDS.items())
    assert OBJECT_KINDS["elk"].to_dict()["category"] == "animal"


@pytest.mark.parametrize("kind", sorted(OBJECT_KINDS))
def test_every_kind_is_a_solid_shaded_object(kind: str) -> None:
    rgb, mask = render_object(kind, np.random.default_rng(0), 60)
    assert rgb.dtype == np.uint8 and mask.dtype == bool and rgb.shape == (*mask.shape, 3)
    assert mask.shape[0] <= 60
    assert mask.shape[0] >= 0.5 * 60  # the object fills its canvas height
    assert mask.mean() > 0.2  # a silhouette, not scattered noise
    assert (rgb[~mask] == 0).all()
    # cropped to the silhouette: every border row/column touches it
    assert mask[0].any() and mask[-1].any() and mask[:, 0].any() and mask[:, -1].any()
    # shaded, not flat: the object has several tones
    assert rgb[mask].std(axis=0).max() > 8


def test_render_is_deterministic_and_seed_dependent() -> None:
    a = render_object("cow", np.random.default_rng(5), 50)
    b = render_object("cow", np.random.default_rng(5), 50)
    c = render_object("cow", np.random.default_rng(6), 50)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert a[0].shape != c[0].shape or not np.array_equal(a[0], c[0])


def test_tire_has_a_hole() -> None:
    _, mask = render_object("tire", np.random.default_rng(0), 80)
    h, w = mask.shape
    assert not mask[h // 2, w // 2]
    assert mask[h // 2, 2] or mask[h // 2, 3]


def test_bigger_canvas_bigger_object() -> None:
    small = render_object("rock", np.random.default_rng(1), 20)[1].sum()
    big = render_object("rock", np.random.default_rng(1), 80)[1].sum()
    assert 10 < big / small < 22  # area grows with the square of the height (16x), up to edge rounding


@pytest.mark.parametrize(
    ("kind", "height", "needle"), [("unicorn", 40, "kind"), ("cow", 3, "height_px"), ("cow", 12.5, "height_px")]
)
def test_bad_arguments(kind: str, height: object, needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        render_object(kind, np.random.default_rng(0), height)  # type: ignore[arg-type]


def test_object_bank_layout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    n = len(OBJECT_KINDS) + 2
    bank = write_object_bank(tmp_path / "bank", count=n, seed=3, size=40)
    rows = [json.loads(line) for line in (bank / "provenance.jsonl").read_text().splitlines()]
    assert len(rows) == n
    assert {r["kind"] for r in rows} == set(OBJECT_KINDS)
    for r in rows:
        assert set(r) == {"id", "kind", "category", "seed", "source"}
        assert r["source"] == "procedural" and r["seed"] == 3 and r["category"] == OBJECT_KINDS[r["kind"]].category
        img = Image.open(bank / "images" / f"{r['id']}.png")
        mask = Image.open(bank / "masks" / f"{r['id']}.png")
        assert img.mode == "RGB" and mask.mode == "L" and img.size == mask.size
        assert set(np.unique(np.asarray(mask))) <= {0, 255}
    again = write_object_bank(tmp_path / "again", count=n, seed=3, size=40)
    for f in sorted(p.relative_to(bank) for p in bank.rglob("*") if p.is_file()):
        assert (bank / f).read_bytes() == (again / f).read_bytes()


@pytest.mark.parametrize(("kwargs", "needle"), [({"count": 0}, "count"), ({"size": 4}, "size")])
def test_object_bank_bad_arguments(tmp_path, kwargs: dict, needle: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=needle):
        write_object_bank(tmp_path, **kwargs)
