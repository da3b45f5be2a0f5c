"""Invariants: chunked = whole, merged = one accumulator, order independence, void changes nothing, workers."""

from __future__ import annotations

import json
import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from comsamy.metrics import (
    Histogram,
    MetricAccumulator,
    MetricResult,
    anomaly_metrics,
    compute_metrics,
    image_histogram,
    image_histogram_from_bits,
    sum_histograms,
)

WEATHERS = ("clear", "fog", "rain", "night")


def _images(rng: np.random.Generator, n: int = 9) -> dict[str, tuple[np.ndarray, np.ndarray, dict]]:
    out = {}
    for i in range(n):
        shape = (int(rng.integers(4, 30)), int(rng.integers(4, 30)))
        y = rng.choice(np.array([0, 1, 255], np.uint8), size=shape, p=[0.7, 0.2, 0.1])
        s = (rng.standard_normal(shape) + y.astype(bool) * (y == 1)).astype(np.float16)
        s[rng.random(shape) < 0.1] = 0.25  # ties across images
        meta = {
            "weather": WEATHERS[i % 4],
            "landform": ("forest", "highway")[i % 2],
            "anomaly_types": [["animal"], ["debris", "animal"], []][i % 3],
            "camera": f"cam{i % 2}",
        }
        out[f"img{i}"] = (s, y, meta)
    return out


def _accumulate(images: dict, ids: list[str], **kwargs: str) -> MetricAccumulator:
    acc = MetricAccumulator(**kwargs)  # type: ignore[arg-type]
    for i in ids:
        s, y, meta = images[i]
        acc.update(i, s, y, meta)
    return acc


def _values(result: MetricResult) -> tuple:
    """Everything but num_images (a chunk counts as an image)."""
    r = result.to_dict()
    del r["num_images"]
    return tuple(r.values())


def test_chunked_image_equals_whole(rng: np.random.Generator) -> None:
    y = rng.choice(np.array([0, 1, 255], np.uint8), size=(64, 48))
    s = rng.standard_normal((64, 48)).astype(np.float16)
    whole = _values(compute_metrics(image_histogram(s, y)))
    chunks = [image_histogram(s[a:b], y[a:b]) for a, b in ((0, 10), (10, 11), (11, 40), (40, 64))]
    assert _values(compute_metrics(sum_histograms(chunks))) == whole
    assert _values(compute_metrics(chunks[0] + chunks[1] + chunks[2] + chunks[3])) == whole  # sparse + sparse
    assert _values(compute_metrics(sum(chunks))) == whole  # built-in sum
    assert _values(compute_metrics(chunks[0].to_dense() + chunks[1] + chunks[2] + chunks[3])) == whole  # dense


def test_merged_accumulators_equal_one(rng: np.random.Generator) -> None:
    images = _images(rng)
    ids = list(images)
    one = _accumulate(images, ids).compute().to_dict()
    parts = [_accumulate(images, ids[k::3]) for k in range(3)]
    merged = parts[0].merge(parts[1]).merge(parts[2])
    assert merged.compute().to_dict() == one
    assert len(merged) == len(ids)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shuffled_images_equal_ordered(rng: np.random.Generator, seed: int) -> None:
    images = _images(rng)
    ids = list(images)
    shuffled = list(np.random.default_rng(seed).permutation(ids))
    assert _accumulate(images, shuffled).compute().to_dict() == _accumulate(images, ids).compute().to_dict()


def test_conditions_equal_pooling_by_hand(rng: np.random.Generator) -> None:
    images = _images(rng)
    result = _accumulate(images, list(images)).compute()
    assert list(result.by_condition) == ["split", "weather", "landform", "anomaly_type", "camera"]
    assert list(result.by_condition["split"]) == ["clear", "adverse"]
    assert list(result.by_condition["weather"]) == ["clear", "rain", "night", "fog"]  # vocabulary order
    for group, value, member in [
        ("split", "adverse", lambda m: m["weather"] != "clear"),
        ("weather", "fog", lambda m: m["weather"] == "fog"),
        ("landform", "forest", lambda m: m["landform"] == "forest"),
        ("anomaly_type", "animal", lambda m: "animal" in m["anomaly_types"]),
        ("camera", "cam1", lambda m: m["camera"] == "cam1"),
    ]:
        chosen = [v for v in images.values() if member(v[2])]
        want = anomaly_metrics([s for s, _, _ in chosen], [y for _, y, _ in chosen])
        assert result.condition(group, value) == want
    assert result.overall == anomaly_metrics([v[0] for v in images.values()], [v[1] for v in images.values()])


def test_void_pixels_change_nothing(rng: np.random.Generator) -> None:
    y = rng.choice(np.array([0, 1], np.uint8), size=(20, 20))
    s = rng.random((20, 20)).astype(np.float16)
    base = anomaly_metrics(s, y)
    y_void = np.concatenate([y, np.full((5, 20), 255, np.uint8)])
    s_void = np.concatenate([s, rng.random((5, 20)).astype(np.float16) * 100])
    with_void = anomaly_metrics(s_void, y_void)
    assert (with_void.auprc, with_void.fpr95, with_void.auroc) == (base.auprc, base.fpr95, base.auroc)
    assert with_void.num_void_pixels == 100 and base.num_void_pixels == 0


def test_subset_equals_fresh_accumulator(rng: np.random.Generator) -> None:
    images = _images(rng)
    acc = _accumulate(images, list(images))
    pick = ["img5", "img1", "img7"]
    assert acc.subset(pick).compute().to_dict() == _accumulate(images, pick).compute().to_dict()
    boot = list(np.random.default_rng(3).choice(list(images), size=len(images)))
    pooled = compute_metrics(sum_histograms(acc.image_histogram(i) for i in boot))  # bootstrap: a sum
    assert pooled.num_images == len(images)


def test_integer_maps_rank_as_integers(rng: np.random.Generator) -> None:
    y = rng.choice(np.array([0, 1, 255], np.uint8), size=(30, 30))
    y[0, :2] = (0, 1)
    s8 = rng.integers(0, 256, (30, 30)).astype(np.uint8)
    assert anomaly_metrics(s8, y) == anomaly_metrics(s8.astype(np.float32), y)  # 0..255 exact in float16
    s16 = rng.integers(0, 65536, (30, 30)).astype(np.uint16)
    s16[1] = s16[2]  # ties
    from tests.comsamy.metrics.oracles import sk_metrics

    keep = y != 255
    want = sk_metrics(y[keep], s16[keep].astype(np.float64))
    got = anomaly_metrics(s16, y)
    assert (got.auprc, got.auroc, got.fpr95) == pytest.approx((want["auprc"], want["auroc"], want["fpr95"]), abs=1e-12)
    assert anomaly_metrics(s16.astype(np.int64), y) == got  # any integer dtype within [0, 65535]
    acc = MetricAccumulator(precision="float32")
    acc.update("a", s16, y)
    assert acc.compute().score_kind == "integer"


def test_bits_entry_point_equals_float16(rng: np.random.Generator) -> None:
    y = rng.choice(np.array([0, 1, 255], np.uint8), size=(17, 23))
    s = rng.standard_normal((17, 23)).astype(np.float16)
    s[0, 0], s[0, 1] = -0.0, 0.0
    a, b = image_histogram(s, y), image_histogram_from_bits(s.view(np.uint16), y)
    assert np.array_equal(a.keys, b.keys) and np.array_equal(a.pos, b.pos) and np.array_equal(a.neg, b.neg)
    big_endian = s.view(np.uint16).astype(">u2")
    c = image_histogram_from_bits(big_endian, y)
    assert np.array_equal(a.keys, c.keys) and a.num_void == c.num_void


def _worker(args: tuple[str, np.ndarray, np.ndarray]) -> tuple[str, object]:
    image_id, s, y = args
    return image_id, image_histogram(s, y, image_id=image_id)


def test_worker_processes_give_identical_numbers(rng: np.random.Generator) -> None:
    images = _images(rng, n=6)
    serial = _accumulate(images, list(images)).compute().to_dict()
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_worker, [(i, s, y) for i, (s, y, _) in images.items()]))
    acc = MetricAccumulator()
    for image_id, hist in reversed(results):
        acc.add_histogram(image_id, pickle.loads(pickle.dumps(hist)), images[image_id][2])  # type: ignore[arg-type]
    assert acc.compute().to_dict() == serial


def test_float32_mode_merges_exactly(rng: np.random.Generator) -> None:
    images = _images(rng, n=4)
    ids = list(images)
    one = _accumulate(images, ids, precision="float32")
    parts = _accumulate(images, ids[:2], precision="float32").merge(_accumulate(images, ids[2:], precision="float32"))
    assert parts.compute().to_dict() == one.compute().to_dict()
    assert one.compute().precision == "float32"


@pytest.mark.parametrize("precision", ["float16", "float32"])
def test_running_sums_equal_kept_images(rng: np.random.Generator, precision: str) -> None:
    images = _images(rng)
    kept = _accumulate(images, list(images), precision=precision).compute().to_dict()
    lean = MetricAccumulator(precision=precision, keep_images=False)  # type: ignore[arg-type]
    for image_id, (s, y, meta) in images.items():
        lean.update(image_id, s, y, meta)
    assert lean.compute().to_dict() == kept
    assert json.dumps(lean.compute().to_dict()) == json.dumps(kept)  # same key order too
    if precision == "float16":  # fixed memory: one dense pair of arrays per condition, no per-image state
        assert not lean._hists and all(isinstance(h, Histogram) for h in lean._pooled().values())


def test_byte_order_and_layout_do_not_matter(rng: np.random.Generator) -> None:
    y = rng.choice(np.array([0, 1, 255], np.uint8), size=(12, 10))
    s = rng.standard_normal((12, 10))
    base = anomaly_metrics(s.astype(np.float16), y)
    assert anomaly_metrics(s.astype(">f2"), y) == base
    assert anomaly_metrics(np.asfortranarray(s.astype(np.float16)), np.asfortranarray(y)) == base
    assert anomaly_metrics(s.astype(np.float16).T.copy().T, y) == base
    ints = rng.integers(0, 60000, (12, 10))
    assert anomaly_metrics(ints.astype(">u2"), y) == anomaly_metrics(ints.astype(np.uint16), y)
