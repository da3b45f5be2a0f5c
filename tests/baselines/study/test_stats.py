"""Seed and image intervals: hand-checked values, paired resamples, seed means of resamples."""

from __future__ import annotations

import math

import numpy as np

from baselines.study.stats import image_resamples, interval_summary, seed_interval
from comsamy.metrics import image_histogram


def _hists(rng: np.random.Generator, n: int, shift: float) -> list:
    out = []
    for _ in range(n):
        labels = (rng.random((6, 6)) < 0.3).astype(np.uint8)
        labels[0, 0], labels[0, 1] = 1, 0
        scores = (rng.random((6, 6)) + shift * labels).astype(np.float16)
        out.append(image_histogram(scores, labels))
    return out


def test_seed_interval_is_the_student_t_interval() -> None:
    lo, hi = seed_interval([1.0, 2.0, 3.0, 4.0], level=0.95)
    half = 3.182446305284263 * math.sqrt(5 / 3) / 2  # t(0.975, 3) * sd / sqrt(n)
    assert math.isclose(lo, 2.5 - half, rel_tol=1e-9) and math.isclose(hi, 2.5 + half, rel_tol=1e-9)
    assert seed_interval([0.3], level=0.95) == (None, None)
    assert seed_interval([0.3, float("nan")], level=0.95) == (None, None)


def test_image_resamples_are_paired_and_average_over_seeds() -> None:
    rng = np.random.default_rng(0)
    a = [_hists(rng, 12, 0.5), _hists(rng, 12, 0.7)]
    same = image_resamples(a, n=50, seed=3, stream="all")
    again = image_resamples(a, n=50, seed=3, stream="all")
    assert np.array_equal(same["auprc"], again["auprc"])  # same draws for the same seed and stream
    one = image_resamples(a[:1], n=50, seed=3, stream="all")
    two = image_resamples(a[1:], n=50, seed=3, stream="all")
    assert np.allclose(same["fpr95"], (one["fpr95"] + two["fpr95"]) / 2)
    other = image_resamples(a, n=50, seed=3, stream="split=clear")
    assert not np.array_equal(other["auprc"], same["auprc"])  # conditions draw independently


def test_interval_summary_holds_mean_seeds_and_both_intervals() -> None:
    s = interval_summary([0.4, 0.5, 0.6], np.linspace(0.3, 0.7, 101), level=0.9)
    assert math.isclose(s["mean"], 0.5) and s["per_seed"] == [0.4, 0.5, 0.6]
    assert s["seed_interval"][0] < 0.5 < s["seed_interval"][1]
    assert math.isclose(s["image_interval"][0], 0.32) and math.isclose(s["image_interval"][1], 0.68)
    wide = interval_summary([0.02, 0.9, 0.99], None, level=0.95)  # a t-interval past the metric's range
    assert wide["seed_interval"] == [0.0, 1.0] and wide["image_interval"] == [None, None]
