"""Metrics of many pooled histograms at once (one per row), for bootstrap resamples.

Rows are pooled histograms over the same ordered keys, empty bins allowed; every function returns exactly the
numbers :func:`~comsamy.metrics.compute_metrics` gives on each row (tested), NaN where a row has no anomaly or no
inlier pixel.

:func:`descending_metrics` is the fast path used by :mod:`comsamy.metrics.bootstrap` (columns from the highest
score down): the default AUPRC, FPR95 ``first`` / ``closest``, AUROC and TPR at 5 % FPR in a few passes over the
``B × K`` counts (AUROC as ``Σ neg_k (tps_k − pos_k / 2) / (P N)``, thresholds by binary search per row).
:func:`weighted_metrics` computes every definition (``strict``, ``interp``, ``trapezoid`` too) on the full curves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from comsamy.metrics.definitions import (
    FPR_TARGET,
    METRIC_NAMES,
    TPR_TARGET,
    AuprcDefinition,
    Fpr95Definition,
)
from comsamy.metrics.ranking import fpr_at_tpr

__all__ = ["descending_metrics", "weighted_metrics"]

_FAST_FPR95 = ("first", "closest")


def _smallest_reaching(totals: np.ndarray, target: float) -> np.ndarray:
    """Per row, the smallest integer count ``v`` with ``v / total >= target`` in float64 (as the curve computes it)."""
    v = np.ceil(totals * target)
    for _ in range(3):  # the float product is within one count of the float quotient's turning point
        v = np.where((v - 1) / totals >= target, v - 1, v)
        v = np.where(v / totals < target, v + 1, v)
    return v


def _largest_within(totals: np.ndarray, target: float) -> np.ndarray:
    """Per row, the largest integer count ``v`` with ``v / total <= target`` in float64."""
    v = np.floor(totals * target)
    for _ in range(3):
        v = np.where((v + 1) / totals <= target, v + 1, v)
        v = np.where(v / totals > target, v - 1, v)
    return v


def descending_metrics(
    pos: np.ndarray,
    neg: np.ndarray,
    *,
    names: Sequence[str] = METRIC_NAMES,
    fpr95: Fpr95Definition = "first",
    auprc: AuprcDefinition = "step",
) -> dict[str, np.ndarray]:
    """Metrics of each row of ``(B, K)`` float64 counts whose columns go from the highest score to the lowest.

    ``pos`` and ``neg`` may be modified in place (they are not needed afterwards).
    """
    if auprc != "step" or fpr95 not in _FAST_FPR95:
        return weighted_metrics(pos[:, ::-1], neg[:, ::-1], names=names, fpr95=fpr95, auprc=auprc)
    rows = pos.shape[0]
    tps, fps = np.cumsum(pos, axis=1), np.cumsum(neg, axis=1)
    total_p, total_n = tps[:, -1].copy(), fps[:, -1].copy()
    defined = (total_p > 0) & (total_n > 0)
    p_safe, n_safe = np.where(defined, total_p, 1.0), np.where(defined, total_n, 1.0)
    out: dict[str, np.ndarray] = {}
    if "auroc" in names:  # Σ_k Δfpr_k (tpr_k + tpr_{k-1}) / 2 = Σ_k neg_k (tps_k − pos_k / 2) / (P N)
        area = np.einsum("ij,ij->i", neg, tps) - 0.5 * np.einsum("ij,ij->i", neg, pos)
        out["auroc"] = area / (p_safe * n_safe)
    if "auprc" in names:  # Σ_k ΔR_k P_k = Σ_k pos_k · tps_k / (tps_k + fps_k) / P (empty leading bins add 0)
        seen = np.add(tps, fps, out=neg)  # neg is no longer needed
        np.maximum(seen, 1.0, out=seen)
        np.divide(tps, seen, out=seen)
        out["auprc"] = np.einsum("ij,ij->i", pos, seen) / p_safe
    need_fpr = "fpr95" in names
    if need_fpr or "tpr_at_5fpr" in names:
        reach = _smallest_reaching(p_safe, TPR_TARGET)
        within = _largest_within(n_safe, FPR_TARGET)
        fpr95_values = np.full(rows, np.nan)
        tpr5 = np.full(rows, np.nan)
        for r in np.flatnonzero(defined):
            row_tps, row_fps, p, n = tps[r], fps[r], p_safe[r], n_safe[r]
            if "tpr_at_5fpr" in names:
                j = int(np.searchsorted(row_fps, within[r], side="right")) - 1  # last point with FPR <= 5 %
                tpr5[r] = row_tps[j] / p if j >= 0 else 0.0
            if not need_fpr:
                continue
            if fpr95 == "first":
                j = int(np.searchsorted(row_tps, reach[r], side="left"))  # first point with TPR >= 95 %
                fpr95_values[r] = row_fps[j] / n
                continue
            fpr95_values[r] = _closest(row_tps, row_fps, p, n)
        if need_fpr:
            out["fpr95"] = fpr95_values
        if "tpr_at_5fpr" in names:
            out["tpr_at_5fpr"] = tpr5
    return {name: np.where(defined, out[name], np.nan) for name in names}


def _closest(tps: np.ndarray, fps: np.ndarray, p: float, n: float) -> float:
    """Hendrycks' rule on one descending row (see :func:`comsamy.metrics.ranking.fpr_at_tpr`)."""
    last = int(np.searchsorted(tps, p, side="left"))  # first point with every positive found
    above = int(np.searchsorted(tps[: last + 1], TPR_TARGET * p, side="right"))
    above = min(above, last)
    # the crossing: the last point with TPR <= 0.95 (or the (0, 0) start) and the first one above it
    lo = max(above - 1, -1)
    candidates = []
    for j in (lo - 1, lo, above, above + 1):
        if -1 <= j <= last:
            tpr = tps[j] / p if j >= 0 else 0.0
            candidates.append((abs(tpr - TPR_TARGET), -tpr, j))
    best = min(candidates)
    j = best[2]
    if j < 0:
        return 0.0
    j = min(int(np.searchsorted(tps, tps[j], side="right")) - 1, last)  # lowest threshold with that TPR
    return float(fps[j] / n)


def weighted_metrics(
    pos: np.ndarray,
    neg: np.ndarray,
    *,
    names: Sequence[str] = METRIC_NAMES,
    fpr95: Fpr95Definition = "first",
    auprc: AuprcDefinition = "step",
) -> dict[str, np.ndarray]:
    """Metrics of many pooled histograms at once, one per row of ``pos`` / ``neg`` (keys ascending, empty bins
    allowed); the same numbers :func:`~comsamy.metrics.compute_metrics` gives on each row (NaN where a row has no
    anomaly or no inlier pixel).

    Args:
        pos: ``(B, K)`` anomaly-pixel counts (float64 or integers).
        neg: ``(B, K)`` inlier-pixel counts.
        names: metrics to compute.
        fpr95: FPR95 definition.
        auprc: AUPRC definition.
    """
    pos, neg = np.atleast_2d(pos).astype(np.float64), np.atleast_2d(neg).astype(np.float64)
    rows, k = pos.shape
    tps, fps = np.cumsum(pos[:, ::-1], axis=1), np.cumsum(neg[:, ::-1], axis=1)
    total_p, total_n = tps[:, -1:], fps[:, -1:]
    defined = (total_p[:, 0] > 0) & (total_n[:, 0] > 0)
    if auprc == "trapezoid" and "auprc" in names:
        # bins before a row's first pixel repeat its first real point (zero-width segments); the other metrics
        # treat those bins as copies of the (0, 0) start already
        first = np.argmax((tps + fps) > 0, axis=1)
        fill = np.maximum(np.arange(k)[None, :], first[:, None])
        tps, fps = np.take_along_axis(tps, fill, 1), np.take_along_axis(fps, fill, 1)
    out: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr, fpr = tps / total_p, fps / total_n
        zeros = np.zeros((rows, 1))
        tpr_full, fpr_full = np.hstack([zeros, tpr]), np.hstack([zeros, fpr])
        if "auprc" in names:
            seen = tps + fps
            precision = np.divide(tps, seen, out=np.zeros_like(tps), where=seen > 0)
            if auprc == "step":  # an empty bin adds recall 0 (its precision is set to 0, never 0/0)
                out["auprc"] = np.sum(np.diff(tpr, axis=1, prepend=0.0) * precision, axis=1)
            else:
                out["auprc"] = np.sum(np.diff(tpr, axis=1) * (precision[:, 1:] + precision[:, :-1]) / 2.0, axis=1)
        if "auroc" in names:
            out["auroc"] = np.sum(np.diff(fpr_full, axis=1) * (tpr_full[:, 1:] + tpr_full[:, :-1]) / 2.0, axis=1)
        if "tpr_at_5fpr" in names:
            last_ok = np.sum(fpr_full <= FPR_TARGET, axis=1) - 1
            out["tpr_at_5fpr"] = np.take_along_axis(tpr_full, last_ok[:, None], 1)[:, 0]
        if "fpr95" in names:
            out["fpr95"] = _fpr95_rows(pos, neg, tps, tpr_full, fpr_full, fpr95, defined)
    for name in out:
        out[name] = np.where(defined, out[name], np.nan)
    return {name: out[name] for name in names}


def _fpr95_rows(
    pos: np.ndarray,
    neg: np.ndarray,
    tps: np.ndarray,
    tpr_full: np.ndarray,
    fpr_full: np.ndarray,
    definition: str,
    defined: np.ndarray,
) -> np.ndarray:
    if definition == "first":
        pick = np.argmax(tpr_full >= TPR_TARGET, axis=1)
        return np.take_along_axis(fpr_full, pick[:, None], 1)[:, 0]
    if definition == "closest":
        last = np.argmax(tps >= tps[:, -1:], axis=1) + 1  # first point with every positive found
        dist = np.abs(tpr_full - TPR_TARGET)
        dist[np.arange(dist.shape[1])[None, :] > last[:, None]] = np.inf
        best = dist == np.min(dist, axis=1, keepdims=True)
        pick = dist.shape[1] - 1 - np.argmax(best[:, ::-1], axis=1)  # highest index: lowest threshold
        return np.take_along_axis(fpr_full, pick[:, None], 1)[:, 0]
    out = np.full(pos.shape[0], np.nan)
    for r in np.flatnonzero(defined):  # strict / interp need the row's real points (scikit-learn's thinning)
        used = (pos[r] + neg[r]) > 0
        row_tps = np.cumsum(pos[r, used][::-1]).astype(np.int64)
        row_fps = np.cumsum(neg[r, used][::-1]).astype(np.int64)
        out[r] = fpr_at_tpr(row_tps, row_fps, definition=definition)  # type: ignore[arg-type]
    return out
