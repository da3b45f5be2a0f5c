"""AUPRC, FPR95 and AUROC from a pooled histogram (exact; equal to scikit-learn on the same ranked data).

All functions take the counts per distinct score, ordered by ascending score, with no empty bins; the curves are
built from the highest score down, one point per distinct score (ties are one threshold), as scikit-learn's
``roc_curve(..., drop_intermediate=False)`` and ``precision_recall_curve`` do.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from comsamy.errors import UndefinedMetricWarning
from comsamy.metrics.definitions import (
    AUPRC_DEFINITIONS,
    FPR95_DEFINITIONS,
    FPR_TARGET,
    TPR_TARGET,
    AuprcDefinition,
    Fpr95Definition,
    check_choice,
)
from comsamy.metrics.histogram import AnyHistogram, Histogram
from comsamy.metrics.results import MetricResult


def cumulative_counts(hist: AnyHistogram) -> tuple[np.ndarray, np.ndarray]:
    """True and false positives (int64) at each distinct threshold, from the highest score down.

    Args:
        hist: a sparse or dense histogram.

    Returns:
        ``(tps, fps)``, each (T,) for the T used keys; ``tps[-1]`` / ``fps[-1]`` are the totals.
    """
    if isinstance(hist, Histogram):
        hist = hist.to_sparse()
    used = (hist.pos != 0) | (hist.neg != 0)
    tps = np.cumsum(hist.pos[used][::-1], dtype=np.int64)
    fps = np.cumsum(hist.neg[used][::-1], dtype=np.int64)
    return tps, fps


def roc_points(tps: np.ndarray, fps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The full ROC curve ``(fpr, tpr)`` starting at (0, 0), one point per distinct threshold."""
    fpr = np.concatenate(([0.0], fps / fps[-1]))
    tpr = np.concatenate(([0.0], tps / tps[-1]))
    return fpr, tpr


def pr_points(tps: np.ndarray, fps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(recall, precision)`` per distinct threshold from the highest score down (no (0, 1) point)."""
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return recall, precision


def average_precision(tps: np.ndarray, fps: np.ndarray) -> float:
    """Step-rule AP: ``Σ_k (R_k − R_{k−1}) · P_k`` with ``R_0 = 0`` (scikit-learn's ``average_precision_score``)."""
    recall, precision = pr_points(tps, fps)
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def auprc_trapezoid(tps: np.ndarray, fps: np.ndarray) -> float:
    """Trapezoid area under the PR points, without the (R=0, P=1) point (SMIYC before 2023)."""
    recall, precision = pr_points(tps, fps)
    return float(np.sum(np.diff(recall) * (precision[1:] + precision[:-1]) / 2.0))


def auroc(tps: np.ndarray, fps: np.ndarray) -> float:
    """Trapezoid area under the full ROC curve (scikit-learn's ``roc_auc_score``)."""
    fpr, tpr = roc_points(tps, fps)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def thinned_indices(tps: np.ndarray, fps: np.ndarray) -> np.ndarray:
    """Indices of the points scikit-learn's ``roc_curve(drop_intermediate=True)`` keeps (before its (0, 0) point).

    A point is dropped when it lies on a straight, evenly stepped run of three points: both second differences of
    ``fps`` and ``tps`` are zero there (scikit-learn's rule).
    """
    if len(fps) <= 2:
        return np.arange(len(fps))
    bend = np.logical_or(np.diff(fps, 2), np.diff(tps, 2))
    return np.flatnonzero(np.concatenate(([True], bend, [True])))


def _closest_index(tpr: np.ndarray, tps: np.ndarray, target: float) -> int:
    """Hendrycks' ``fpr_and_fdr_at_recall`` pick on the full curve (point 0 is the (0, 0) start).

    Only points up to the first one reaching TPR = 1 count; the nearest TPR wins; on equal distance (equal TPR, or
    e.g. 0.94 and 0.96) the point with the lowest threshold, i.e. the highest index, wins.
    """
    last = int(np.searchsorted(tps, tps[-1])) + 1  # first threshold with every positive found (+1: the start point)
    dist = np.abs(tpr[: last + 1] - target)
    return int(np.flatnonzero(dist == dist.min())[-1])


def fpr_at_tpr(
    tps: np.ndarray, fps: np.ndarray, *, definition: Fpr95Definition = "first", target: float = TPR_TARGET
) -> float:
    """FPR at a target TPR on the exact ROC curve.

    Args:
        tps: cumulative true positives per threshold, from :func:`cumulative_counts`.
        fps: cumulative false positives per threshold.
        definition: ``first``: ``fpr[argmax(tpr >= target)]`` (highest threshold reaching the target, equality
            counts). ``closest``: Hendrycks' ``fpr_and_fdr_at_recall`` (RPL, PEBAL): the point whose TPR is
            nearest the target (may sit below it), among points up to the first with TPR = 1; on an exact
            distance tie the higher TPR, among thresholds sharing that TPR the lowest one (highest FPR).
            ``strict``: the first point of scikit-learn's thinned ``roc_curve`` (``drop_intermediate=True``) with
            TPR > target (RbA). ``interp``: FPR linearly interpolated between the last point with TPR <= target
            and the next one, as ``np.interp(target, tpr, fpr)`` does (exactly at the target: the last point
            with that TPR).
        target: the TPR, 0.95 for FPR95.
    """
    check_choice("fpr95", definition, FPR95_DEFINITIONS)
    fpr, tpr = roc_points(tps, fps)
    if definition == "first":
        return float(fpr[int(np.argmax(tpr >= target))])
    if definition == "closest":
        return float(fpr[_closest_index(tpr, tps, target)])
    if definition == "strict":
        keep = thinned_indices(tps, fps) + 1
        thin_fpr, thin_tpr = np.concatenate(([0.0], fpr[keep])), np.concatenate(([0.0], tpr[keep]))
        return float(thin_fpr[int(np.argmax(thin_tpr > target))])
    below = int(np.searchsorted(tpr, target, side="right")) - 1  # last point with TPR <= target
    above = min(below + 1, len(tpr) - 1)  # the next point (TPR > target)
    if above == below or tpr[below] == target:
        return float(fpr[below])
    slope = (fpr[above] - fpr[below]) / (tpr[above] - tpr[below])  # as np.interp computes it
    return float(slope * (target - tpr[below]) + fpr[below])


def tpr_at_fpr(tps: np.ndarray, fps: np.ndarray, *, target: float = FPR_TARGET) -> float:
    """TPR at the lowest threshold whose FPR <= ``target`` on the exact ROC curve (ISSU's TPR at 5 % FPR).

    The highest TPR reachable without exceeding the target FPR; no interpolation.
    """
    fpr, tpr = roc_points(tps, fps)
    return float(tpr[int(np.searchsorted(fpr, target, side="right")) - 1])


def _condition_label(condition: str | None) -> str:
    return f"condition {condition!r}" if condition else "the pooled pixels"


def compute_metrics(
    hist: AnyHistogram,
    *,
    fpr95: Fpr95Definition = "first",
    auprc: AuprcDefinition = "step",
    condition: str | None = None,
) -> MetricResult:
    """AUPRC, FPR95, AUROC and TPR at 5 % FPR of a pooled histogram.

    Args:
        hist: the pooled histogram (sum of per-image histograms).
        fpr95: ``first`` (default), ``closest``, ``strict`` or ``interp``.
        auprc: ``step`` (default, average precision) or ``trapezoid``.
        condition: name used in the warning when the metrics are undefined.

    Returns:
        A :class:`MetricResult`; NaN metrics plus an :class:`UndefinedMetricWarning` when there is no anomaly or no
        inlier pixel.
    """
    check_choice("fpr95", fpr95, FPR95_DEFINITIONS)
    check_choice("auprc", auprc, AUPRC_DEFINITIONS)
    n_pos, n_neg = hist.num_anomaly_pixels, hist.num_inlier_pixels
    counts = {
        "num_images": hist.num_images,
        "num_anomaly_pixels": n_pos,
        "num_inlier_pixels": n_neg,
        "num_void_pixels": hist.num_void,
        "fpr95_definition": fpr95,
        "auprc_definition": auprc,
    }
    if n_pos == 0 or n_neg == 0:
        missing = "anomaly" if n_pos == 0 else "inlier"
        warnings.warn(
            f"{_condition_label(condition)}: no {missing} pixels among {n_pos + n_neg} non-void pixels of "
            f"{hist.num_images} image(s); AUPRC, FPR95 and AUROC are undefined (NaN)",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return MetricResult(auprc=math.nan, fpr95=math.nan, auroc=math.nan, tpr_at_5fpr=math.nan, **counts)  # type: ignore[arg-type]
    tps, fps = cumulative_counts(hist)
    ap = average_precision(tps, fps) if auprc == "step" else auprc_trapezoid(tps, fps)
    return MetricResult(
        auprc=ap,
        fpr95=fpr_at_tpr(tps, fps, definition=fpr95),
        auroc=auroc(tps, fps),
        tpr_at_5fpr=tpr_at_fpr(tps, fps),
        **counts,  # type: ignore[arg-type]
    )
