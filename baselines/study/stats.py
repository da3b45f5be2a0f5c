"""Intervals of the study: over training seeds (Student t) and over test images (percentile bootstrap).

Image intervals come from :mod:`comsamy.metrics.bootstrap`: for every seed the per-image histograms are resampled
with the same draws (they depend only on the bootstrap seed, the stream name and the number of images), so the
``b``-th resample of every seed and every method holds the same images; the seed mean of resample ``b`` is one
bootstrap value of the seed-mean metric, and the difference of two methods' values is the paired bootstrap value
of their difference.

>>> lo, hi = seed_interval([0.50, 0.52, 0.54], level=0.95)
>>> round(lo, 3), round(hi, 3)
(0.47, 0.57)
>>> seed_interval([0.5], level=0.95)
(None, None)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["METRICS", "image_resamples", "interval_summary", "seed_interval"]

METRICS = ("auprc", "fpr95")
"""The two metrics of the paper, as fractions."""

Interval = tuple[float | None, float | None]


def seed_interval(values: Sequence[float], *, level: float) -> Interval:
    """Two-sided Student-t interval of the mean of per-seed values; ``(None, None)`` with fewer than two seeds."""
    from scipy import stats

    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], np.float64)
    if x.size < 2:
        return None, None
    half = float(stats.t.ppf(0.5 + level / 2.0, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)
    m = float(x.mean())
    return m - half, m + half


def image_resamples(
    per_seed_hists: Sequence[Sequence[Any]], *, n: int, seed: int, stream: str
) -> dict[str, np.ndarray]:
    """The ``n`` bootstrap values over images of the seed-mean AUPRC and FPR95: ``{metric: (n,) array}``.

    Args:
        per_seed_hists: for each training seed, the per-image histograms of one method, images in one fixed order
            (the same order for every seed and every method that is compared).
        n: resamples.
        seed: bootstrap seed.
        stream: the condition's name (``all``, ``split=clear``, ...): independent draws per condition.
    """
    from comsamy.metrics.bootstrap import bootstrap_metrics

    values = [bootstrap_metrics(list(h), n=n, seed=seed, stream=stream, metrics=METRICS) for h in per_seed_hists]
    return {m: np.mean(np.stack([v[m] for v in values]), axis=0) for m in METRICS}


def interval_summary(per_seed: Sequence[float], resamples: np.ndarray | None, *, level: float) -> dict[str, Any]:
    """``{"mean", "per_seed", "seed_interval", "image_interval"}`` of one metric (JSON-ready).

    The seed interval of a metric (a fraction) is clipped to [0, 1]: with few seeds a t-interval can reach past
    the metric's range.
    """
    from comsamy.metrics.bootstrap import percentile_interval

    vals = [float(v) for v in per_seed]
    lo, hi = seed_interval(vals, level=level)
    return {
        "mean": float(np.mean(vals)),
        "per_seed": vals,
        "seed_interval": [None if lo is None else max(0.0, lo), None if hi is None else min(1.0, hi)],
        "image_interval": list(percentile_interval(resamples, level)) if resamples is not None else [None, None],
    }
