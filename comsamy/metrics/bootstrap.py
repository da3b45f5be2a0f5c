"""Percentile bootstrap over images, from per-image histograms (never a re-read of the scores).

A resample draws ``m`` of a condition's ``m`` images with replacement; its pooled histogram is the sum of the drawn
images' histograms, each counted as often as it was drawn, so every resample's metrics are exact (no binning).
All resamples of a condition are one matrix product: the images' histograms are stacked on the union of their
keys (int32 counts, ``m × K``) and multiplied, block by block in float64 (exact integer arithmetic), by the
``B × m`` matrix of draw counts; the metrics of all ``B`` pooled histograms are then computed row-wise.

Memory: the stack is ``m × K × 8`` bytes (pos and neg), at most ``468 × 65,536 × 8`` = 245 MB for a whole-benchmark
condition whose images use every float16 key, typically a tenth of that; pooled resamples are processed in chunks
of about 32 MB. The draws depend only on ``seed``, the stream name (the condition) and the number of images in
order, so the same seed gives the same intervals for any number of worker processes.

Example:
    >>> import numpy as np
    >>> from comsamy.metrics import image_histogram
    >>> hists = [image_histogram(np.array([[0.9, 0.1 * i]]), np.array([[1, 0]], np.uint8)) for i in range(5)]
    >>> ci = bootstrap_intervals(hists, n=200, seed=0)
    >>> ci["auprc"]
    (1.0, 1.0)
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from comsamy.errors import UsageError
from comsamy.metrics.definitions import (
    AUPRC_DEFINITIONS,
    FPR95_DEFINITIONS,
    FPR_TARGET,
    METRIC_NAMES,
    TPR_TARGET,
    AuprcDefinition,
    Fpr95Definition,
    check_choice,
)
from comsamy.metrics.histogram import AnyHistogram, Histogram
from comsamy.metrics.ranking import fpr_at_tpr

__all__ = [
    "PairedDifference",
    "bootstrap_intervals",
    "bootstrap_metrics",
    "check_options",
    "paired_bootstrap",
    "percentile_interval",
    "resample_counts",
    "two_sided_p_value",
    "weighted_metrics",
]

_CHUNK_CELLS = 1 << 22  # pooled resamples per chunk x keys: 32 MB of float64
_BLOCK_ROWS = 64  # stacked images converted to float64 at a time

Interval = tuple[float | None, float | None]


@dataclass(frozen=True)
class PairedDifference:
    """One metric's paired comparison A − B.

    Attributes:
        difference: A − B on all images (None where either is undefined).
        interval: percentile bootstrap interval of A − B over the same resampled images.
        p_value: two-sided bootstrap p-value of "no difference" (None where undefined).
    """

    difference: float | None
    interval: Interval
    p_value: float | None

    @property
    def contains_zero(self) -> bool:
        """True when the interval contains 0 (or is undefined): the difference is not established."""
        lo, hi = self.interval
        return lo is None or hi is None or lo <= 0.0 <= hi

    def to_dict(self) -> dict[str, object]:
        """``{"difference", "ci", "p_value"}`` (JSON-ready)."""
        return {"difference": self.difference, "ci": list(self.interval), "p_value": self.p_value}


def check_options(n: int, level: float = 0.95, metrics: Iterable[str] = METRIC_NAMES, fpr95: str = "first",
                  auprc: str = "step") -> tuple[str, ...]:
    """Validate bootstrap options (raises :class:`~comsamy.errors.UsageError`); returns the metric names."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UsageError(f"bootstrap: expected a positive number of resamples, got {n!r}")
    if not isinstance(level, (int, float)) or not 0.0 < float(level) < 1.0:
        raise UsageError(f"ci_level: expected a level strictly between 0 and 1 (e.g. 0.95), got {level!r}")
    names = tuple(metrics)
    unknown = [m for m in names if m not in METRIC_NAMES]
    if unknown:
        raise UsageError(f"metrics: expected names among {', '.join(METRIC_NAMES)}, got {unknown}")
    check_choice("fpr95", fpr95, FPR95_DEFINITIONS)
    check_choice("auprc", auprc, AUPRC_DEFINITIONS)
    return names


def resample_counts(num_images: int, *, n: int, seed: int, stream: str = "all") -> np.ndarray:
    """How often each image is drawn in each of ``n`` resamples: an ``(n, num_images)`` int array, rows sum to
    ``num_images``.

    Args:
        num_images: images of the condition, in a fixed order.
        n: resamples.
        seed: the user's seed.
        stream: a name that separates independent draws (the condition, e.g. ``"weather=fog"``); the same
            ``(seed, stream, num_images)`` always gives the same draws.
    """
    if num_images < 1:
        raise UsageError(f"bootstrap: expected at least one image, got {num_images}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, zlib.crc32(stream.encode())]))
    drawn = rng.integers(0, num_images, size=(n, num_images))
    offsets = (np.arange(n, dtype=np.int64) * num_images)[:, None]
    return np.bincount((drawn + offsets).ravel(), minlength=n * num_images).reshape(n, num_images)


def _stack(hists: Sequence[AnyHistogram]) -> tuple[np.ndarray, np.ndarray]:
    """Per-image counts on the union of their keys, ascending: ``(pos, neg)``, each ``(m, K)`` int32/int64."""
    sparse = [h.to_sparse() if isinstance(h, Histogram) else h for h in hists]
    keys = np.unique(np.concatenate([h.keys for h in sparse])) if sparse else np.zeros(0, np.uint16)
    biggest = max((int(max(h.pos.max(initial=0), h.neg.max(initial=0))) for h in sparse), default=0)
    dtype = np.int32 if biggest < 2**31 else np.int64
    pos = np.zeros((len(sparse), len(keys)), dtype)
    neg = np.zeros_like(pos)
    for i, h in enumerate(sparse):
        cols = np.searchsorted(keys, h.keys)
        pos[i, cols] = h.pos
        neg[i, cols] = h.neg
    return pos, neg


def _pool(weights: np.ndarray, stack: np.ndarray) -> np.ndarray:
    """``weights @ stack`` in float64, the stack converted a block of rows at a time (exact integer sums)."""
    out = np.zeros((weights.shape[0], stack.shape[1]), np.float64)
    w = weights.astype(np.float64)
    for start in range(0, stack.shape[0], _BLOCK_ROWS):
        block = stack[start : start + _BLOCK_ROWS].astype(np.float64)
        out += w[:, start : start + _BLOCK_ROWS] @ block
    return out


def weighted_metrics(pos: np.ndarray, neg: np.ndarray, *, names: Sequence[str] = METRIC_NAMES,
                     fpr95: Fpr95Definition = "first", auprc: AuprcDefinition = "step") -> dict[str, np.ndarray]:
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


def _fpr95_rows(pos: np.ndarray, neg: np.ndarray, tps: np.ndarray, tpr_full: np.ndarray, fpr_full: np.ndarray,
                definition: str, defined: np.ndarray) -> np.ndarray:
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


def bootstrap_metrics(
    per_image: Sequence[AnyHistogram],
    *,
    n: int,
    seed: int,
    stream: str = "all",
    metrics: Iterable[str] = METRIC_NAMES,
    fpr95: Fpr95Definition = "first",
    auprc: AuprcDefinition = "step",
) -> dict[str, np.ndarray]:
    """Each metric on each of ``n`` resamples of the images: ``{metric: (n,) array}`` (NaN where undefined)."""
    names = check_options(n, 0.95, metrics, fpr95, auprc)
    weights = resample_counts(len(per_image), n=n, seed=seed, stream=stream)
    return _metrics_of_resamples(per_image, weights, names, fpr95, auprc)


def _metrics_of_resamples(per_image: Sequence[AnyHistogram], weights: np.ndarray, names: tuple[str, ...],
                          fpr95: str, auprc: str) -> dict[str, np.ndarray]:
    pos_stack, neg_stack = _stack(per_image)
    chunk = max(1, _CHUNK_CELLS // max(1, pos_stack.shape[1]))
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, weights.shape[0], chunk):
        w = weights[start : start + chunk]
        parts.append(weighted_metrics(_pool(w, pos_stack), _pool(w, neg_stack), names=names,
                                      fpr95=fpr95, auprc=auprc))  # type: ignore[arg-type]
    return {name: np.concatenate([p[name] for p in parts]) for name in names}


def percentile_interval(values: np.ndarray, level: float = 0.95) -> Interval:
    """The central ``level`` percentile interval of the defined (non-NaN) values; ``(None, None)`` if none is."""
    finite = np.asarray(values, np.float64)
    finite = finite[~np.isnan(finite)]
    if finite.size == 0:
        return None, None
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(finite, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def two_sided_p_value(differences: np.ndarray) -> float | None:
    """Bootstrap p-value of "no difference": ``min(1, 2 · min(#(d <= 0) + 1, #(d >= 0) + 1) / (B + 1))``."""
    d = np.asarray(differences, np.float64)
    d = d[~np.isnan(d)]
    if d.size == 0:
        return None
    low, high = int(np.sum(d <= 0)) + 1, int(np.sum(d >= 0)) + 1
    return float(min(1.0, 2.0 * min(low, high) / (d.size + 1)))


def bootstrap_intervals(
    per_image: Sequence[AnyHistogram],
    *,
    n: int,
    seed: int,
    level: float = 0.95,
    metrics: Iterable[str] = METRIC_NAMES,
    fpr95: Fpr95Definition = "first",
    auprc: AuprcDefinition = "step",
    stream: str = "all",
) -> dict[str, Interval]:
    """Percentile bootstrap intervals over images of each metric of the pooled images.

    Args:
        per_image: one histogram per image (e.g. :meth:`MetricAccumulator.image_histogram`), in a fixed order.
        n: resamples (1000 is usual).
        seed: random seed; the same seed gives the same intervals.
        level: central coverage, 0.95 for a 95 % interval.
        metrics: which of ``auprc``, ``fpr95``, ``auroc``, ``tpr_at_5fpr``.
        fpr95: FPR95 definition.
        auprc: AUPRC definition.
        stream: the condition's name (independent draws per condition).

    Returns:
        ``{metric: (lo, hi)}``; ``(None, None)`` where no resample defines the metric.
    """
    names = check_options(n, level, metrics, fpr95, auprc)
    values = bootstrap_metrics(per_image, n=n, seed=seed, stream=stream, metrics=names, fpr95=fpr95, auprc=auprc)
    return {name: percentile_interval(values[name], level) for name in names}


def _point(per_image: Sequence[AnyHistogram], names: tuple[str, ...], fpr95: str, auprc: str) -> dict[str, float]:
    pos, neg = _stack(per_image)
    row = weighted_metrics(pos.sum(axis=0, dtype=np.int64)[None, :], neg.sum(axis=0, dtype=np.int64)[None, :],
                           names=names, fpr95=fpr95, auprc=auprc)  # type: ignore[arg-type]
    return {name: float(row[name][0]) for name in names}


def paired_bootstrap(
    per_image_a: Sequence[AnyHistogram],
    per_image_b: Sequence[AnyHistogram],
    *,
    n: int,
    seed: int,
    level: float = 0.95,
    metrics: Iterable[str] = METRIC_NAMES,
    fpr95: Fpr95Definition = "first",
    auprc: AuprcDefinition = "step",
    stream: str = "all",
    point: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, PairedDifference]:
    """Paired comparison of two methods on the same images: A − B, its interval and a two-sided p-value.

    Both methods are evaluated on the same resampled images (image ``i`` of A and of B is the same dataset image).

    Args:
        per_image_a: method A's per-image histograms.
        per_image_b: method B's, same images in the same order.
        n: resamples.
        seed: random seed.
        level: interval coverage.
        metrics: which metrics.
        fpr95: FPR95 definition.
        auprc: AUPRC definition.
        stream: the condition's name.
        point: ``{metric: (a, b)}`` values on all images when already known (else computed here).

    Returns:
        ``{metric: PairedDifference}``.
    """
    names = check_options(n, level, metrics, fpr95, auprc)
    if len(per_image_a) != len(per_image_b):
        raise UsageError(f"paired_bootstrap: expected the same images for both methods, got {len(per_image_a)} "
                         f"and {len(per_image_b)} histograms")
    weights = resample_counts(len(per_image_a), n=n, seed=seed, stream=stream)
    values_a = _metrics_of_resamples(per_image_a, weights, names, fpr95, auprc)
    values_b = _metrics_of_resamples(per_image_b, weights, names, fpr95, auprc)
    if point is None:
        pa, pb = _point(per_image_a, names, fpr95, auprc), _point(per_image_b, names, fpr95, auprc)
        point = {name: (pa[name], pb[name]) for name in names}
    out: dict[str, PairedDifference] = {}
    for name in names:
        a, b = point[name]
        diff = None if (math.isnan(a) or math.isnan(b)) else float(a - b)
        deltas = values_a[name] - values_b[name]
        out[name] = PairedDifference(diff, percentile_interval(deltas, level), two_sided_p_value(deltas))
    return out


