"""Bootstrap intervals and paired comparisons from per-image histograms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from comsamy.errors import UsageError
from comsamy.metrics import (
    MetricAccumulator,
    SparseHistogram,
    UndefinedMetricWarning,
    compute_metrics,
    image_histogram,
    sum_histograms,
)
from comsamy.metrics.bootstrap import (
    bootstrap_intervals,
    bootstrap_metrics,
    paired_bootstrap,
    percentile_interval,
    resample_counts,
    two_sided_p_value,
)
from comsamy.metrics.definitions import AUPRC_DEFINITIONS, FPR95_DEFINITIONS, METRIC_NAMES
from comsamy.metrics.resampled import descending_metrics, weighted_metrics


def _images(seed: int, n: int = 12, shift: float = 0.3) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        y = (rng.random((9, 11)) < 0.25).astype(np.uint8)
        y[0, :3] = (0, 1, 255)
        s = np.round(y * shift + rng.random(y.shape), 2)  # heavy ties
        out.append((s, y if i % 4 else np.where(y == 1, 0, y).astype(np.uint8)))  # every 4th: no anomaly
    return out


def _hists(images: list[tuple[np.ndarray, np.ndarray]]) -> list:
    return [image_histogram(s, y) for s, y in images]


@pytest.mark.parametrize("fpr95", FPR95_DEFINITIONS)
@pytest.mark.parametrize("auprc", AUPRC_DEFINITIONS)
def test_weighted_metrics_equal_compute_metrics(fpr95: str, auprc: str) -> None:
    """Row-wise metrics of weighted sums (with empty bins) equal the exact engine on the same pooled histogram."""
    hists = _hists(_images(1))
    weights = resample_counts(len(hists), n=25, seed=3)
    dense = [h.to_dense() for h in hists]
    pos = np.stack([sum((w * d.pos for w, d in zip(row, dense, strict=True)), np.zeros(1 << 16)) for row in weights])
    neg = np.stack([sum((w * d.neg for w, d in zip(row, dense, strict=True)), np.zeros(1 << 16)) for row in weights])
    got = weighted_metrics(pos, neg, fpr95=fpr95, auprc=auprc)  # type: ignore[arg-type]
    for r, row in enumerate(weights):
        pooled = sum_histograms([h for h, w in zip(hists, row, strict=True) for _ in range(w)])
        want = compute_metrics(pooled, fpr95=fpr95, auprc=auprc)  # type: ignore[arg-type]
        for name in METRIC_NAMES:
            assert got[name][r] == pytest.approx(getattr(want, name), abs=1e-12), (name, r)


@pytest.mark.parametrize("fpr95", FPR95_DEFINITIONS)
@pytest.mark.parametrize("seed", range(4))
def test_fast_descending_path_equals_compute_metrics(fpr95: str, seed: int) -> None:
    """The bootstrap's fast path (columns high to low, binary searches) on pooled rows with heavy ties."""
    rng = np.random.default_rng(seed)
    keys = 40
    pos = rng.integers(0, 4, size=(30, keys)) * (rng.random((30, keys)) < 0.4)
    neg = rng.integers(0, 6, size=(30, keys)) * (rng.random((30, keys)) < 0.6)
    pos[0], neg[1] = 0, 0  # undefined rows
    pos[2, :] = 0
    pos[2, 5], neg[2, :] = 19, 0  # one tie group holding all positives and every negative
    neg[2, 5] = 1
    pos[3, :], neg[3, :] = 0, 0
    pos[3, 0], neg[3, 0] = 47, 0  # T13 by columns: 47 positives, one tied with the only negative, then 2
    pos[3, 1], neg[3, 1] = 1, 1
    pos[3, 2] = pos[3, 3] = 1
    got = descending_metrics(pos.astype(np.float64), neg.astype(np.float64), fpr95=fpr95)  # type: ignore[arg-type]
    for r in range(pos.shape[0]):
        hist = SparseHistogram(np.arange(keys), pos[r][::-1], neg[r][::-1])  # column 0 = the highest key
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            want = compute_metrics(hist, fpr95=fpr95)  # type: ignore[arg-type]
        for name in METRIC_NAMES:
            w = getattr(want, name)
            if np.isnan(w):
                assert np.isnan(got[name][r]), (name, r)
            else:
                assert got[name][r] == pytest.approx(w, abs=1e-12), (name, r)
    assert got["fpr95"][3] == (1.0 if fpr95 in ("first", "closest", "strict") else 0.5)


def test_resample_counts_are_deterministic_and_sum_to_the_images() -> None:
    a = resample_counts(7, n=50, seed=11, stream="weather=fog")
    assert a.shape == (50, 7) and (a.sum(axis=1) == 7).all()
    assert (a == resample_counts(7, n=50, seed=11, stream="weather=fog")).all()
    assert not (a == resample_counts(7, n=50, seed=12, stream="weather=fog")).all()
    assert not (a == resample_counts(7, n=50, seed=11, stream="weather=rain")).all()


def test_intervals_contain_the_point_estimate_and_shrink_with_level() -> None:
    hists = _hists(_images(2, n=20))
    point = compute_metrics(sum_histograms(hists))
    wide = bootstrap_intervals(hists, n=300, seed=0, level=0.95)
    narrow = bootstrap_intervals(hists, n=300, seed=0, level=0.5)
    for name in METRIC_NAMES:
        lo, hi = wide[name]
        assert lo is not None and hi is not None and lo <= getattr(point, name) <= hi
        assert lo <= narrow[name][0] <= narrow[name][1] <= hi
        assert hi > lo  # 20 different images: resamples differ


def test_identical_images_give_a_degenerate_interval() -> None:
    s, y = _images(3, n=2)[1]
    hists = _hists([(s, y)] * 6)
    values = bootstrap_metrics(hists, n=40, seed=5)
    want = compute_metrics(hists[0])
    for name in METRIC_NAMES:
        assert np.allclose(values[name], getattr(want, name), atol=1e-12)


def test_undefined_resamples_are_left_out_and_all_undefined_is_none() -> None:
    s, y = _images(4, n=2)[1]
    no_anomaly = np.where(y == 1, 0, y).astype(np.uint8)
    assert bootstrap_intervals(_hists([(s, no_anomaly)] * 3), n=20, seed=0)["auprc"] == (None, None)
    assert percentile_interval(np.array([np.nan, 0.2, 0.4]), 0.5) == pytest.approx((0.25, 0.35))


def test_paired_difference_of_a_method_with_itself_is_zero() -> None:
    hists = _hists(_images(5))
    diffs = paired_bootstrap(hists, hists, n=50, seed=1)
    for d in diffs.values():
        assert d.difference == 0.0 and d.interval == (0.0, 0.0) and d.p_value == 1.0 and d.contains_zero


def test_paired_difference_finds_a_clearly_better_method() -> None:
    good = _hists(_images(6, n=16, shift=0.8))
    bad = _hists(_images(6, n=16, shift=0.05))
    diffs = paired_bootstrap(good, bad, n=200, seed=2)
    assert diffs["auprc"].difference > 0 and diffs["auprc"].interval[0] > 0 and not diffs["auprc"].contains_zero
    assert diffs["fpr95"].interval[1] < 0
    assert diffs["auprc"].p_value == pytest.approx(2 / 201)


def test_two_sided_p_value() -> None:
    assert two_sided_p_value(np.array([1.0, 2.0, 3.0])) == pytest.approx(2 / 4)
    assert two_sided_p_value(np.array([-1.0, 1.0, 2.0, 3.0])) == pytest.approx(2 * 2 / 5)
    assert two_sided_p_value(np.array([-1.0, 1.0])) == pytest.approx(1.0)
    assert two_sided_p_value(np.array([np.nan])) is None


def test_accumulator_intervals_do_not_depend_on_insertion_chunks() -> None:
    images = _images(7, n=10)
    meta = [{"weather": w} for w in ["clear", "fog"] * 5]
    acc = MetricAccumulator()
    for i, ((s, y), m) in enumerate(zip(images, meta, strict=True)):
        acc.update(f"im{i}", s, y, m)
    merged = MetricAccumulator()
    for part in (range(4), range(4, 10)):
        chunk = MetricAccumulator()
        for i in part:
            chunk.update(f"im{i}", *images[i], meta[i])
        merged.merge(chunk)
    one = acc.with_intervals(acc.compute(), n=60, seed=9).to_dict()
    two = merged.with_intervals(merged.compute(), n=60, seed=9).to_dict()
    assert one == two
    assert set(one["overall"]["ci"]) == set(METRIC_NAMES)
    assert one["by_condition"]["weather"]["fog"]["ci"] != one["overall"]["ci"]
    # the same images (split=adverse is exactly weather=fog here) share one computation
    assert one["by_condition"]["split"]["adverse"]["ci"] == one["by_condition"]["weather"]["fog"]["ci"]


@pytest.mark.parametrize("bad", [{"n": 0}, {"n": True}, {"level": 1.0}, {"level": 0}, {"metrics": ["auc"]}])
def test_bad_options_are_usage_errors(bad: dict) -> None:
    hists = _hists(_images(8, n=2))
    options = {"n": 5, "seed": 0, **bad}
    with pytest.raises(UsageError, match="expected"):
        bootstrap_intervals(hists, **options)


def test_compare_needs_the_same_images() -> None:
    images = _images(9, n=3)
    a, b = MetricAccumulator(), MetricAccumulator()
    for i, (s, y) in enumerate(images):
        a.update(f"im{i}", s, y)
        if i:
            b.update(f"im{i}", s, y)
    with pytest.raises(UsageError, match=r"compare: expected both methods on the same images, got 1 image\(s\) only"):
        a.compare(b, n=5)
    with pytest.raises(UsageError, match="compare: expected both methods scored with"):
        a.compare(MetricAccumulator(fpr95="closest"), n=5)
