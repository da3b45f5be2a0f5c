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
    METRIC_NAMES,
    AuprcDefinition,
    Fpr95Definition,
    check_choice,
)
from comsamy.metrics.histogram import AnyHistogram, Histogram
from comsamy.metrics.resampled import descending_metrics, weighted_metrics

__all__ = [
    "PairedDifference",
    "bootstrap_intervals",
    "bootstrap_metrics",
    "check_options",
    "paired_bootstrap",
    "percentile_interval",
    "resample_counts",
    "two_sided_p_value",
]

_CHUNK_CELLS = 1 << 21  # pooled resamples per chunk x keys: 16 MB per float64 array
_BLOCK_ROWS = 64  # stacked images converted to float64 at a time (integer stacks)
_FLOAT_STACK_BYTES = 256 << 20  # pos + neg stacks kept as float64 up to this size

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


def check_options(
    n: int, level: float = 0.95, metrics: Iterable[str] = METRIC_NAMES, fpr95: str = "first", auprc: str = "step"
) -> tuple[str, ...]:
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
    """Per-image counts on the union of their keys, from the highest key down: ``(pos, neg)``, each ``(m, K)``.

    float64 (ready for the matrix product) when both fit in :data:`_FLOAT_STACK_BYTES`, else int32 / int64
    (converted a block of rows at a time by :func:`_pool`).
    """
    sparse = [h.to_sparse() if isinstance(h, Histogram) else h for h in hists]
    keys = np.unique(np.concatenate([h.keys for h in sparse])) if sparse else np.zeros(0, np.uint16)
    biggest = max((int(max(h.pos.max(initial=0), h.neg.max(initial=0))) for h in sparse), default=0)
    cells = len(sparse) * len(keys)
    dtype = np.float64 if 16 * cells <= _FLOAT_STACK_BYTES else (np.int32 if biggest < 2**31 else np.int64)
    pos = np.zeros((len(sparse), len(keys)), dtype)
    neg = np.zeros_like(pos)
    last = len(keys) - 1
    for i, h in enumerate(sparse):
        cols = last - np.searchsorted(keys, h.keys)  # descending: column 0 is the highest key
        pos[i, cols] = h.pos
        neg[i, cols] = h.neg
    return pos, neg


def _pool(weights: np.ndarray, stack: np.ndarray) -> np.ndarray:
    """``weights @ stack`` in float64 (exact integer sums); an integer stack is converted a block of rows at a time."""
    w = weights.astype(np.float64)
    if stack.dtype == np.float64:
        return w @ stack
    out = np.zeros((weights.shape[0], stack.shape[1]), np.float64)
    for start in range(0, stack.shape[0], _BLOCK_ROWS):
        block = stack[start : start + _BLOCK_ROWS].astype(np.float64)
        out += w[:, start : start + _BLOCK_ROWS] @ block
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


def _metrics_of_resamples(
    per_image: Sequence[AnyHistogram], weights: np.ndarray, names: tuple[str, ...], fpr95: str, auprc: str
) -> dict[str, np.ndarray]:
    pos_desc, neg_desc = _stack(per_image)
    chunk = max(1, _CHUNK_CELLS // max(1, pos_desc.shape[1]))
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, weights.shape[0], chunk):
        w = weights[start : start + chunk]
        parts.append(descending_metrics(_pool(w, pos_desc), _pool(w, neg_desc), names=names, fpr95=fpr95, auprc=auprc))  # type: ignore[arg-type]
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
    pos, neg = pos[:, ::-1], neg[:, ::-1]  # ascending keys
    row = weighted_metrics(
        pos.sum(axis=0, dtype=np.int64)[None, :],
        neg.sum(axis=0, dtype=np.int64)[None, :],
        names=names,
        fpr95=fpr95,  # type: ignore[arg-type]
        auprc=auprc,  # type: ignore[arg-type]
    )
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
        raise UsageError(
            f"paired_bootstrap: expected the same images for both methods, got {len(per_image_a)} "
            f"and {len(per_image_b)} histograms"
        )
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
