"""PR and ROC curves of a pooled histogram, downsampled for plotting (leaderboard curves)."""

from __future__ import annotations

import numpy as np

from comsamy.errors import MetricInputError
from comsamy.metrics.histogram import AnyHistogram, Histogram
from comsamy.metrics.keys import keys_to_values
from comsamy.metrics.ranking import cumulative_counts, pr_points, roc_points

DEFAULT_MAX_POINTS = 1000


def _thresholds(hist: AnyHistogram) -> np.ndarray:
    sparse = hist.to_sparse() if isinstance(hist, Histogram) else hist
    used = (sparse.pos != 0) | (sparse.neg != 0)
    return keys_to_values(sparse.keys[used], sparse.kind)[::-1]


def _check(hist: AnyHistogram, what: str, max_points: int) -> None:
    if max_points < 2:
        raise MetricInputError(f"{what}: expected max_points >= 2, got {max_points}")
    if hist.num_anomaly_pixels == 0 or hist.num_inlier_pixels == 0:
        raise MetricInputError(
            f"{what}: expected anomaly and inlier pixels, got {hist.num_anomaly_pixels} and {hist.num_inlier_pixels}"
        )


def downsample(x: np.ndarray, y: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` points spread evenly along the curve's length (first and last kept)."""
    n = len(x)
    if n <= max_points:
        return np.arange(n)
    step = np.abs(np.diff(x)) + np.abs(np.diff(y))
    length = np.concatenate(([0.0], np.cumsum(step)))
    total = length[-1] if length[-1] > 0 else 1.0
    targets = np.linspace(0.0, total, max_points)
    idx = np.unique(np.searchsorted(length, targets, side="left").clip(0, n - 1))
    idx[0], idx[-1] = 0, n - 1
    return np.unique(idx)


def roc_curve(hist: AnyHistogram, *, max_points: int = DEFAULT_MAX_POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve ``(fpr, tpr, thresholds)`` from (0, 0) to (1, 1), at most ``max_points`` points.

    The first point has threshold ``inf``; the others are the score values (float64) from high to low.
    """
    _check(hist, "roc_curve", max_points)
    tps, fps = cumulative_counts(hist)
    fpr, tpr = roc_points(tps, fps)
    thr = np.concatenate(([np.inf], _thresholds(hist)))
    keep = downsample(fpr, tpr, max_points)
    return fpr[keep], tpr[keep], thr[keep]


def pr_curve(hist: AnyHistogram, *, max_points: int = DEFAULT_MAX_POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision-recall curve ``(precision, recall, thresholds)``, recall increasing, at most ``max_points`` points.

    The first point is (recall 0, precision 1) with threshold ``inf`` (as plotted by scikit-learn); the others are
    one per distinct score from high to low.
    """
    _check(hist, "pr_curve", max_points)
    tps, fps = cumulative_counts(hist)
    recall, precision = pr_points(tps, fps)
    recall = np.concatenate(([0.0], recall))
    precision = np.concatenate(([1.0], precision))
    thr = np.concatenate(([np.inf], _thresholds(hist)))
    keep = downsample(recall, precision, max_points)
    return precision[keep], recall[keep], thr[keep]
