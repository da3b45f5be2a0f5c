"""Component-level metrics as Segment Me If You Can (SMIYC) defines them: sIoU, PPV and mean F1.

A score map is binarised at one threshold (``scores >= threshold``; by default the pixel-F1-optimal threshold of
the pooled curve, :func:`best_f1_threshold`). Inside the non-void region, 8-connected components are taken of the
prediction and of the ground-truth anomaly mask; predicted components under ``min_pred_size`` pixels are dropped
and ground-truth components under ``min_gt_size`` pixels are turned void (SMIYC's anomaly track: 500 / 100; its
obstacle track: 50 / 10). Then, for each ground-truth component ``k`` with ``K̂`` the union of the predicted
components that touch it and ``A(k)`` the pixels of the other ground-truth components inside ``K̂``::

    sIoU(k) = |k ∩ K̂| / |(k ∪ K̂) \\ A(k)|

and for each predicted component ``p``: ``PPV(p) = |p ∩ G| / |p|`` (``G``: every ground-truth component). At each
``τ`` in 0.25, 0.30, ..., 0.75: TP = ground-truth components with sIoU >= τ, FN = those with sIoU < τ, FP =
predicted components with PPV < τ; ``F1(τ) = 2 TP / (2 TP + FN + FP)`` with the counts summed over the images, and
``mean_f1`` is the mean of the 11 values. ``siou`` / ``ppv`` are means over every component of the pooled images.

Per image only counts are kept (:class:`ComponentStats`, a few dozen numbers): no mask outlives its image.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from comsamy.constants import LABEL_ANOMALY, LABEL_VOID
from comsamy.errors import MetricInputError, UsageError
from comsamy.metrics.histogram import AnyHistogram, Histogram
from comsamy.metrics.keys import keys_to_values
from comsamy.metrics.ranking import cumulative_counts

__all__ = [
    "DEFAULT_MIN_GT_SIZE",
    "DEFAULT_MIN_PRED_SIZE",
    "LABELLERS",
    "SIOU_THRESHOLDS",
    "ComponentResult",
    "ComponentStats",
    "best_f1_threshold",
    "binarize",
    "binarize_bits",
    "check_size",
    "check_threshold",
    "component_result",
    "component_stats",
    "label8",
    "labeller",
]

DEFAULT_MIN_PRED_SIZE = 500
"""Predicted components with fewer pixels are dropped (SMIYC anomaly track)."""
DEFAULT_MIN_GT_SIZE = 100
"""Ground-truth components with fewer pixels are turned void (SMIYC anomaly track)."""
SIOU_THRESHOLDS: tuple[float, ...] = tuple(float(t) for t in np.linspace(0.25, 0.75, 11))
"""τ = 0.25, 0.30, ..., 0.75 (as SMIYC computes them: ``np.linspace(0.25, 0.75, 11)``)."""
_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class ComponentStats:
    """Component counts of one image (or a sum of images); summable with ``+``.

    Attributes:
        num_gt: ground-truth components kept (>= ``min_gt_size`` pixels).
        num_pred: predicted components kept (>= ``min_pred_size`` pixels, at least one pixel in the final region).
        siou: the sIoU of each ground-truth component, in label order (a sum keeps every image's values).
        ppv: the PPV of each predicted component.
    """

    num_gt: int = 0
    num_pred: int = 0
    siou: tuple[float, ...] = ()
    ppv: tuple[float, ...] = ()

    def __add__(self, other: ComponentStats) -> ComponentStats:
        return ComponentStats(
            self.num_gt + other.num_gt, self.num_pred + other.num_pred, self.siou + other.siou, self.ppv + other.ppv
        )

    def tp(self, tau: float) -> int:
        """Ground-truth components with sIoU >= ``tau``."""
        return sum(1 for v in self.siou if v >= tau)

    def fn(self, tau: float) -> int:
        """Ground-truth components with sIoU < ``tau``."""
        return self.num_gt - self.tp(tau)

    def fp(self, tau: float) -> int:
        """Predicted components with PPV < ``tau``."""
        return sum(1 for v in self.ppv if v < tau)

    def counts(self) -> dict[str, Any]:
        """``num_gt_components``, ``num_pred_components`` and TP / FN / FP at τ = 0.25, 0.50, 0.75 (per-image CSV)."""
        out: dict[str, Any] = {"num_gt_components": self.num_gt, "num_pred_components": self.num_pred}
        for tau in (0.25, 0.5, 0.75):
            pct = round(tau * 100)
            out[f"tp_{pct}"], out[f"fn_{pct}"], out[f"fp_{pct}"] = self.tp(tau), self.fn(tau), self.fp(tau)
        return out


@dataclass(frozen=True)
class ComponentResult:
    """Component-level metrics of a pooled set of images (NaN where undefined).

    Attributes:
        siou: mean sIoU over the ground-truth components (NaN without any).
        ppv: mean PPV over the predicted components (NaN without any).
        mean_f1: mean over τ = 0.25..0.75 of F1(τ) (NaN without any component at all).
        threshold: the score threshold used (prediction = score >= threshold).
        num_gt_components: ground-truth components.
        num_pred_components: predicted components.
        f1: F1 at each τ of :data:`SIOU_THRESHOLDS`.
    """

    siou: float
    ppv: float
    mean_f1: float
    threshold: float
    num_gt_components: int
    num_pred_components: int
    f1: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON ``components`` object (NaN -> ``None``)."""

        def clean(v: float) -> float | None:
            return None if math.isnan(v) else float(v)

        return {
            "siou": clean(self.siou),
            "ppv": clean(self.ppv),
            "mean_f1": clean(self.mean_f1),
            "threshold": clean(self.threshold),
            "num_gt_components": self.num_gt_components,
            "num_pred_components": self.num_pred_components,
        }


def check_size(name: str, value: object) -> int:
    """A component size filter: a non-negative integer, else a :class:`UsageError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise UsageError(f"{name}: expected a non-negative integer, got {value!r}")
    return int(value)


def check_threshold(value: object) -> float | None:
    """``"best-f1"`` / None -> None; a finite number -> float; anything else a :class:`UsageError`."""
    if value is None or value == "best-f1":
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UsageError(f"component threshold: expected 'best-f1' or a number, got {value!r}") from None
    if not math.isfinite(number):
        raise UsageError(f"component threshold: expected a finite number, got {value!r}")
    return number


def best_f1_threshold(hist: AnyHistogram) -> float:
    """The score threshold whose binary map (``score >= t``) has the highest pixel F1 on a pooled histogram.

    Ties go to the lowest such threshold (SMIYC's ``nanargmax`` over scikit-learn's ascending thresholds).
    NaN when the histogram has no anomaly pixel.

    >>> from comsamy.metrics import image_histogram
    >>> h = image_histogram(np.array([[0.9, 0.8, 0.3, 0.1]], np.float16), np.array([[1, 1, 0, 0]], np.uint8))
    >>> best_f1_threshold(h)
    0.7998046875
    """
    if hist.num_anomaly_pixels == 0:
        return math.nan
    tps, fps = cumulative_counts(hist)
    f1 = 2.0 * tps / (tps + fps + tps[-1])
    best = int(np.flatnonzero(f1 == f1.max())[-1])
    sparse = hist.to_sparse() if isinstance(hist, Histogram) else hist
    used = (sparse.pos != 0) | (sparse.neg != 0)
    return float(keys_to_values(sparse.keys[used], sparse.kind)[::-1][best])


def _ceil_to(threshold: float, dtype: np.dtype) -> Any:
    """The smallest value of ``dtype`` >= ``threshold`` (so ``x >= result`` iff ``float(x) >= threshold``)."""
    if np.issubdtype(dtype, np.integer):
        return math.ceil(threshold)
    value = dtype.type(threshold)
    if float(value) < threshold:
        value = np.nextafter(value, dtype.type(np.inf))
    return value


def binarize(scores: np.ndarray, threshold: float) -> np.ndarray:
    """``scores >= threshold`` (bool, same shape), exact: ``x >= threshold`` compared as real numbers.

    Float16 maps take the integer path of :func:`binarize_bits`; integer maps compare with ``ceil(threshold)``.

    >>> binarize(np.array([[0.1, 0.5, 0.7]], np.float16), 0.5).tolist()
    [[False, True, True]]
    """
    arr = np.asarray(scores)
    if arr.dtype == np.float16:
        return binarize_bits(arr.view(np.uint16), threshold)
    return arr >= _ceil_to(threshold, arr.dtype)


def binarize_bits(bits: np.ndarray, threshold: float) -> np.ndarray:
    """``value >= threshold`` for float16 scores given as raw bit patterns (uint16, any byte order)."""
    bits = np.asarray(bits)
    if bits.dtype.byteorder not in ("=", "|", "<" if np.little_endian else ">"):
        bits = bits.astype(np.uint16)
    cut = _ceil_to(threshold, np.dtype(np.float16))
    if float(cut) > 0:  # positive floats order like their bit patterns read as int16; negatives are < 0 there
        return bits.view(np.int16) >= np.int16(np.array(cut, np.float16).view(np.int16))
    return bits.view(np.float16) >= cut


def _box(mask: np.ndarray) -> tuple[slice, slice] | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


LABELLERS = ("opencv", "scipy")
"""Connected-component labellers, fastest first: OpenCV's ``connectedComponents`` when ``cv2`` is installed
(≈ 2 ms for a 1920x1080 mask), else ``scipy.ndimage.label`` (≈ 10-25 ms). Both give the same partition."""
_labeller: list[str] = []  # the one chosen on first use in this process


def labeller() -> str:
    """The labeller this process uses: ``"opencv"`` if ``cv2`` imports, else ``"scipy"`` (ImportError if neither)."""
    if not _labeller:
        try:
            import cv2  # noqa: F401

            _labeller.append("opencv")
        except ImportError:
            import scipy.ndimage  # noqa: F401  (the ImportError names the missing package)

            _labeller.append("scipy")
    return _labeller[0]


def label8(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected labels (int32, 0 = background) of a 2-D bool mask and the number of components."""
    if labeller() == "opencv":
        import cv2

        count, labels = cv2.connectedComponents(
            np.ascontiguousarray(mask).view(np.uint8), connectivity=8, ltype=cv2.CV_32S
        )
        return labels, int(count) - 1
    from scipy import ndimage

    labels, count = ndimage.label(mask, structure=_EIGHT_CONNECTED)
    return labels, int(count)


def component_stats(
    prediction: np.ndarray,
    labels: np.ndarray,
    *,
    min_pred_size: int = DEFAULT_MIN_PRED_SIZE,
    min_gt_size: int = DEFAULT_MIN_GT_SIZE,
    image_id: str | None = None,
) -> ComponentStats:
    """sIoU of each ground-truth component and PPV of each predicted component of one image.

    Args:
        prediction: (H, W) bool, the binary prediction (e.g. :func:`binarize` of the scores).
        labels: (H, W) uint8 label map: 0 inlier, 1 anomaly, 255 void.
        min_pred_size: predicted components with fewer non-void pixels are dropped.
        min_gt_size: ground-truth components with fewer pixels are turned void (with the prediction there).
        image_id: the image, for error messages.

    Returns:
        The image's :class:`ComponentStats`.

    >>> lab = np.zeros((4, 6), np.uint8); lab[1:3, 1:3] = 1
    >>> component_stats(lab == 1, lab, min_pred_size=1, min_gt_size=1)
    ComponentStats(num_gt=1, num_pred=1, siou=(1.0,), ppv=(1.0,))
    """
    min_pred_size = check_size("min_pred_size", min_pred_size)
    min_gt_size = check_size("min_gt_size", min_gt_size)
    pred = np.asarray(prediction)
    lab = np.asarray(labels)
    where = f"image {image_id!r}: " if image_id else ""
    if pred.shape != lab.shape or lab.ndim != 2:
        raise MetricInputError(f"{where}expected a 2-D prediction of the label's shape {lab.shape}, got {pred.shape}")
    gt_mask = lab == LABEL_ANOMALY
    pred_mask = pred.astype(bool, copy=False) & (lab != LABEL_VOID)
    box = _box(gt_mask | pred_mask)  # both labellings run on the box around every anomaly and prediction pixel
    if box is None:
        return ComponentStats()
    gt_mask, pred_mask = gt_mask[box], pred_mask[box]
    gt_lab, num_gt = label8(gt_mask)
    pred_lab, num_pred = label8(pred_mask)
    g_all, p_all = gt_lab[gt_mask], pred_lab[gt_mask]  # at every ground-truth pixel: its component, the prediction's
    gt_size = np.bincount(g_all, minlength=num_gt + 1)
    pred_size = np.bincount(pred_lab[pred_mask], minlength=num_pred + 1)  # predicted pixels only: ~10x faster
    gt_keep = gt_size >= min_gt_size
    pred_keep = pred_size >= min_pred_size
    gt_keep[0] = pred_keep[0] = False
    on = p_all > 0
    g, p = g_all[on], p_all[on]
    # predicted pixels on ground-truth components that became void leave the region (and their component's size)
    lost = np.bincount(p[~gt_keep[g]], minlength=num_pred + 1)
    pred_size = pred_size - lost
    pred_keep &= pred_size > 0
    both = gt_keep[g] & pred_keep[p]
    g, p = g[both], p[both]
    pairs, inter = np.unique(g.astype(np.int64) * (num_pred + 1) + p, return_counts=True)
    pair_g, pair_p = pairs // (num_pred + 1), pairs % (num_pred + 1)
    on_gt = np.bincount(pair_p, weights=inter, minlength=num_pred + 1)  # pixels of each prediction on any GT
    siou = []
    for k in np.flatnonzero(gt_keep):
        mine = pair_g == k
        touching = pair_p[mine]
        intersection = float(inter[mine].sum())
        covered = float(pred_size[touching].sum())  # |K̂|
        adjustment = float(on_gt[touching].sum()) - intersection  # other GT components' pixels inside K̂
        siou.append(intersection / (covered + float(gt_size[k]) - intersection - adjustment))
    kept = np.flatnonzero(pred_keep)
    ppv = tuple(float(on_gt[j] / pred_size[j]) for j in kept)
    return ComponentStats(len(siou), len(ppv), tuple(siou), ppv)


def component_result(stats: Iterable[ComponentStats], *, threshold: float) -> ComponentResult:
    """Pool images' :class:`ComponentStats` into the metrics (mean sIoU, mean PPV, mean F1 over τ).

    The result does not depend on the order of the images (sums are exact, ``math.fsum``).
    """
    items = list(stats)
    total = ComponentStats(
        sum(s.num_gt for s in items),
        sum(s.num_pred for s in items),
        tuple(v for s in items for v in s.siou),
        tuple(v for s in items for v in s.ppv),
    )
    siou = math.fsum(total.siou) / total.num_gt if total.num_gt else math.nan
    ppv = math.fsum(total.ppv) / total.num_pred if total.num_pred else math.nan
    f1 = []
    for tau in SIOU_THRESHOLDS:
        tp, fn, fp = total.tp(tau), total.fn(tau), total.fp(tau)
        f1.append(2 * tp / (2 * tp + fn + fp) if (2 * tp + fn + fp) else math.nan)
    mean_f1 = math.fsum(f1) / len(f1) if total.num_gt + total.num_pred else math.nan
    return ComponentResult(siou, ppv, mean_f1, float(threshold), total.num_gt, total.num_pred, tuple(f1))
