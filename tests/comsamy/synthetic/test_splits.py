"""Object splits: disjoint kinds, hues and textures; deterministic sprites, banks and benchmark images per split."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from comsamy.errors import UsageError
from comsamy.synthetic import (
    CATEGORIES,
    OBJECT_KINDS,
    OBJECT_SPLITS,
    ObjectSplit,
    get_split,
    render_benchmark_image,
    render_object,
    write_object_bank,
)


def _in_sectors(hue: float, split: ObjectSplit) -> bool:
    return any(lo <= hue < hi for lo, hi in split.hue_sectors)


def test_splits_partition_the_kinds_and_each_covers_every_category() -> None:
    kinds = [k for s in OBJECT_SPLITS.values() for k in s.kinds]
    assert sorted(kinds) == sorted(OBJECT_KINDS)  # every kind once: a partition
    for split in OBJECT_SPLITS.values():
        assert {OBJECT_KINDS[k].category for k in split.kinds} == set(CATEGORIES), split.name


def test_hue_sectors_and_texture_ranges_are_disjoint() -> None:
    for a, b in itertools.combinations(OBJECT_SPLITS.values(), 2):
        for (lo1, hi1), (lo2, hi2) in itertools.product(a.hue_sectors, b.hue_sectors):
            assert hi1 <= lo2 or hi2 <= lo1, (a.name, b.name)
        assert a.texture[1] < b.texture[0] or b.texture[1] < a.texture[0], (a.name, b.name)


@pytest.mark.parametrize("name", sorted(OBJECT_SPLITS))
def test_recolor_draws_hues_only_from_the_split(name: str) -> None:
    split = OBJECT_SPLITS[name]
    rng = np.random.default_rng(0)
    for base in [(230, 100, 20), (30, 70, 160), (120, 115, 110), (30, 30, 32), (240, 238, 232)]:
        for _ in range(20):
            color = split.recolor(base, rng)
            assert _in_sectors(split.hue_of(color), split) or abs(split.hue_of(color) - split.hue_sectors[0][0]) < 1.5
            tex = split.draw_texture(rng)
            assert split.texture[0] <= tex <= split.texture[1]


def test_split_sprites_are_deterministic_and_differ_from_the_default_look() -> None:
    a = render_object("barrel", np.random.default_rng(3), 50, split="train")
    b = render_object("barrel", np.random.default_rng(3), 50, split="train")
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    plain = render_object("barrel", np.random.default_rng(3), 50)
    assert plain[0].shape != a[0].shape or not np.array_equal(plain[0], a[0])
    assert np.array_equal(plain[0], render_object("barrel", np.random.default_rng(3), 50, split=None)[0])


def test_a_kind_outside_the_split_and_an_unknown_split_are_refused() -> None:
    with pytest.raises(UsageError, match="split 'test'"):
        render_object("cow", np.random.default_rng(0), 40, split="test")  # cow is a training kind
    with pytest.raises(UsageError, match="split: expected one of"):
        get_split("holdout")
    with pytest.raises(UsageError, match="hue_sectors"):
        ObjectSplit("bad", ("cow",), ((200.0, 100.0),), (0.1, 0.2))


def test_bank_of_a_split_names_it_and_holds_only_its_kinds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    split = OBJECT_SPLITS["val"]
    bank = write_object_bank(tmp_path / "bank", count=len(split.kinds) + 1, seed=2, size=32, split="val")
    rows = [json.loads(line) for line in (bank / "provenance.jsonl").read_text().splitlines()]
    assert {r["kind"] for r in rows} == set(split.kinds)
    assert all(r["split"] == "val" for r in rows)
    again = write_object_bank(tmp_path / "again", count=len(split.kinds) + 1, seed=2, size=32, split="val")
    for r in rows:
        assert (bank / "images" / f"{r['id']}.png").read_bytes() == (again / "images" / f"{r['id']}.png").read_bytes()


def test_benchmark_images_of_a_split_draw_every_object_from_it() -> None:
    for i, weather in enumerate(("clear", "fog", "night")):
        ex = render_benchmark_image("country_road", weather, np.random.default_rng(i), (160, 90), split="test")
        assert ex.anomaly_types and set(ex.anomaly_types) <= set(OBJECT_SPLITS["test"].kinds)
        assert {o.kind for o in ex.objects} <= set(OBJECT_SPLITS["test"].kinds)
        again = render_benchmark_image("country_road", weather, np.random.default_rng(i), (160, 90), split="test")
        assert np.array_equal(ex.image, again.image) and np.array_equal(ex.label, again.label)
