"""Scenes: train-id labels, landform signatures, perspective; benchmark composition and label policy."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from comsamy.constants import IGNORE_INDEX, LANDFORMS, NUM_INLIER_CLASSES, TRAIN_ID
from comsamy.errors import UsageError
from comsamy.synthetic import OBJECT_KINDS, render_benchmark_image, render_scene
from comsamy.synthetic.compose import SIZE_SCALE

SIZE = (160, 90)
VALID = set(range(NUM_INLIER_CLASSES)) | {IGNORE_INDEX}


def _scene(landform: str, seed: int = 0, **kw):  # type: ignore[no-untyped-def]
    return render_scene(landform, np.random.default_rng(seed), SIZE, hood=False, **kw)


def _frac(labels: np.ndarray, name: str) -> float:
    return float((labels == TRAIN_ID[name]).mean())


@pytest.mark.parametrize("landform", LANDFORMS)
def test_scene_labels_are_train_ids_with_road_and_sky(landform: str) -> None:
    sc = _scene(landform)
    assert sc.image.shape == (90, 160, 3) and sc.image.dtype == np.uint8
    assert sc.labels.shape == (90, 160) and sc.labels.dtype == np.uint8
    assert set(np.unique(sc.labels)) <= VALID
    assert _frac(sc.labels, "road") > 0.08
    assert _frac(sc.labels, "sky") > 0.01
    # every class present has its own look: mean colours of the big classes differ
    means = {c: sc.image[sc.labels == c].mean(0) for c in np.unique(sc.labels) if (sc.labels == c).mean() > 0.05}
    cs = list(means)
    for i in range(len(cs)):
        for j in range(i + 1, len(cs)):
            assert np.abs(means[cs[i]] - means[cs[j]]).max() > 8, (landform, cs[i], cs[j])


def test_landform_signatures() -> None:
    urban = _scene("urban_road").labels
    assert _frac(urban, "building") > 0.1 and _frac(urban, "sidewalk") > 0.03
    assert _frac(_scene("highway").labels, "fence") > 0.003  # guard rails
    assert _frac(_scene("forest").labels, "vegetation") > 0.25
    polar = _scene("polar")
    terrain = polar.image[polar.labels == TRAIN_ID["terrain"]].astype(float)
    assert terrain.mean() > 190  # snow
    desert = _scene("desert")
    sand = desert.image[desert.labels == TRAIN_ID["terrain"]].astype(float).mean(0)
    assert sand[0] > sand[2] + 50  # yellow-orange
    grass = _scene("grassland")
    g = grass.image[grass.labels == TRAIN_ID["terrain"]].astype(float).mean(0)
    assert g[1] > g[0] and g[1] > g[2]
    assert _frac(grass.labels, "terrain") > 0.3


def test_scene_is_deterministic_and_seed_dependent() -> None:
    a, b, c = _scene("highway", 1), _scene("highway", 1), _scene("highway", 2)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.image, c.image)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hood_is_ignored(seed: int) -> None:
    with_hood = render_scene("country_road", np.random.default_rng(seed), SIZE, hood=True)
    without = render_scene("country_road", np.random.default_rng(seed), SIZE, hood=False)
    hood = with_hood.labels != without.labels
    assert (with_hood.labels[-1] == IGNORE_INDEX).all()
    assert (with_hood.labels[hood] == IGNORE_INDEX).all()
    assert not hood[: int(0.85 * SIZE[1])].any()


def test_roadside_billboards_are_ignored() -> None:
    found = 0
    for seed in range(12):
        sc = render_scene("highway", np.random.default_rng(seed), SIZE, hood=False)
        void = sc.labels == IGNORE_INDEX
        if void.any():
            found += 1
            g = sc.geometry
            ys, xs = np.nonzero(void)
            foot = ys.max()
            x_m = (xs[ys == foot].mean() - float(g.center(g.t_of_row(foot)))) / float(g.ppm(g.t_of_row(foot)))
            assert abs(x_m) > sc.near_m + 3  # well off the driving area
    assert found >= 2


def test_perspective_scale_grows_toward_the_bottom() -> None:
    g = _scene("grassland").geometry
    assert g.row(0.0) == pytest.approx(g.horizon) and g.row(1.0) == pytest.approx(SIZE[1])
    assert float(g.ppm(0.8)) == pytest.approx(2 * float(g.ppm(0.4)))
    assert g.t_of_row(g.row(0.37)) == pytest.approx(0.37)


@pytest.mark.parametrize(
    ("args", "needle"), [(("moon", SIZE), "landform"), (("forest", (10, 10)), "size"), (("forest", "big"), "size")]
)
def test_scene_bad_arguments(args: tuple, needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        render_scene(args[0], np.random.default_rng(0), args[1])
    with pytest.raises(UsageError, match="weather"):
        render_scene("forest", np.random.default_rng(0), SIZE, weather="hail")


@functools.cache
def _examples(n: int = 14):  # type: ignore[no-untyped-def]
    return [render_benchmark_image(LANDFORMS[i % 7], "clear", np.random.default_rng([9, i]), SIZE) for i in range(n)]


def test_label_is_exactly_the_visible_composited_objects() -> None:
    for ex in _examples():
        anomaly = np.zeros(ex.label.shape, bool)
        void = ex.scene.labels == IGNORE_INDEX
        for o in ex.objects:
            assert not (o.visible & (ex.scene.labels == IGNORE_INDEX)).any()  # nothing drawn over the hood
            (void if o.void else anomaly)[o.visible] = True
        assert np.array_equal(ex.label == 1, anomaly)
        assert np.array_equal(ex.label == 255, void)
        assert set(np.unique(ex.label)) <= {0, 1, 255}
        assert ex.anomaly_types and set(ex.anomaly_types) <= set(OBJECT_KINDS)
        assert set(ex.anomaly_types) == {o.kind for o in ex.objects if not o.void and o.visible.any()}
        # the pixels under an anomaly changed from the bare scene (clear weather: no effect on top)
        if anomaly.any():
            assert np.abs(ex.image[anomaly].astype(int) - ex.scene.image[anomaly]).sum(-1).mean() > 5


def test_objects_are_bigger_lower_in_the_frame() -> None:
    rows = []
    for ex in _examples(21):
        g = ex.scene.geometry
        for o in ex.objects:
            h_box = o.box[3] - o.box[1]
            real = OBJECT_KINDS[o.kind].height_m
            # the foot stands on the ground row of its depth (sunk by 3 % of the canvas, plus rounding)
            assert abs(o.box[3] - float(g.row(o.t))) <= 0.08 * h_box + 1.5
            rows.append((o.t, h_box, real * float(g.ppm(o.t)), h_box / (real * float(g.ppm(1.0)))))
    t, h_box, expected, size_at_bottom = (np.array(v) for v in zip(*rows, strict=True))
    ok = (expected >= 8) & (h_box < 0.5 * SIZE[1])  # rounding dominates below; the height cap above
    assert ok.sum() > 10
    ratio = h_box[ok] / expected[ok]
    assert (ratio > 0.55 * SIZE_SCALE[0]).all() and (ratio < 1.08 * SIZE_SCALE[1]).all()
    # objects lower in the frame (larger t) are larger, relative to their real height
    near, far = size_at_bottom[t > 0.8], size_at_bottom[t < 0.55]
    assert len(near) >= 5 and len(far) >= 3
    assert near.mean() > 1.4 * far.mean()
    assert np.corrcoef(t, size_at_bottom)[0, 1] > 0.5


def test_void_objects_are_off_the_driving_area() -> None:
    seen = 0
    for ex in _examples(21):
        g = ex.scene.geometry
        for o in ex.objects:
            if o.void and o.visible.any():
                seen += 1
                foot_x = (o.box[0] + o.box[2]) / 2
                x_m = (foot_x - float(g.center(o.t))) / float(g.ppm(o.t))
                assert abs(x_m) > ex.scene.near_m + 3
    assert seen > 0


def test_weather_leaves_labels_alone() -> None:
    a = render_benchmark_image("forest", "clear", np.random.default_rng(4), SIZE)
    b = render_benchmark_image("forest", "fog", np.random.default_rng(4), SIZE)
    assert a.anomaly_types == b.anomaly_types
    assert not np.array_equal(a.image, b.image)


def test_layout_does_not_depend_on_the_size() -> None:
    small = render_benchmark_image("urban_road", "rain", np.random.default_rng(21), (96, 54))
    large = render_benchmark_image("urban_road", "rain", np.random.default_rng(21), (384, 216))
    big = [(o.kind, o.void, o.t) for o in large.objects]
    # objects too small to draw (under 4 pixels) are skipped on the small frame; the rest are the same
    assert [(o.kind, o.void, o.t) for o in small.objects] == [
        b for b in big if b in [(o.kind, o.void, o.t) for o in small.objects]
    ]
    assert [b for b in big if not b[1]] == [(o.kind, o.void, o.t) for o in small.objects if not o.void]
    assert small.scene.geometry.curve == large.scene.geometry.curve
    # the anomaly share of the frame is about the same
    assert abs((small.label == 1).mean() - (large.label == 1).mean()) < 0.03
