"""Exact score histograms: one image's counts of anomaly (pos) and inlier (neg) pixels per ordered score key.

A :class:`SparseHistogram` holds only the keys an image uses (a few KB); a dense :class:`Histogram` holds all
65,536 keys of a 16-bit key space (1 MB, independent of the number of images). Both add up with ``+``; the sum of
the per-image histograms of any set of images is that set's pooled histogram, from which every metric follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from comsamy.errors import MetricInputError
from comsamy.metrics.definitions import Kind

NUM_BINS = 1 << 16


def _int64(a: object) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def _counts(a: object) -> np.ndarray:
    """Counts as int32 (per-image histograms: half the memory) or int64; other dtypes become int64."""
    arr = np.asarray(a)
    if arr.dtype in (np.int32, np.int64) and arr.flags.c_contiguous:
        return arr
    return _int64(arr)


@dataclass(frozen=True, eq=False)
class SparseHistogram:
    """Counts per used score key, keys ascending (higher key = higher score).

    Attributes:
        keys: (K,) sorted unique keys: uint16 for kinds ``float16`` / ``integer``, uint32 for ``float32``.
        pos: (K,) anomaly-pixel counts per key (int32 for single images, else int64).
        neg: (K,) inlier-pixel counts per key.
        kind: key space (``"float16"``, ``"integer"`` or ``"float32"``).
        num_void: void pixels seen (removed from ``pos`` / ``neg``).
        num_images: images summed into this histogram.
    """

    keys: np.ndarray
    pos: np.ndarray
    neg: np.ndarray
    kind: Kind = "float16"
    num_void: int = 0
    num_images: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "pos", _counts(self.pos))
        object.__setattr__(self, "neg", _counts(self.neg))
        dtype = np.uint32 if self.kind == "float32" else np.uint16
        object.__setattr__(self, "keys", np.ascontiguousarray(self.keys, dtype=dtype))
        if not (self.keys.shape == self.pos.shape == self.neg.shape) or self.keys.ndim != 1:
            raise MetricInputError(
                f"SparseHistogram: expected keys, pos, neg of one length, got {self.keys.shape}, {self.pos.shape}, "
                f"{self.neg.shape}"
            )

    @property
    def num_anomaly_pixels(self) -> int:
        """Non-void anomaly pixels (label 1)."""
        return int(self.pos.sum())

    @property
    def num_inlier_pixels(self) -> int:
        """Non-void inlier pixels (label 0)."""
        return int(self.neg.sum())

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return int(self.keys.nbytes + self.pos.nbytes + self.neg.nbytes)

    @classmethod
    def empty(cls, kind: Kind = "float16") -> SparseHistogram:
        """A histogram of zero images."""
        return cls(np.zeros(0), np.zeros(0), np.zeros(0), kind=kind, num_void=0, num_images=0)

    def to_sparse(self) -> SparseHistogram:
        """Return self (for code that accepts either form)."""
        return self

    def to_dense(self) -> Histogram:
        """The dense 65,536-bin form (16-bit kinds only)."""
        if self.kind == "float32":
            raise MetricInputError("SparseHistogram.to_dense: expected a 16-bit kind (float16, integer), got float32")
        pos = np.zeros(NUM_BINS, np.int64)
        neg = np.zeros(NUM_BINS, np.int64)
        idx = self.keys.astype(np.intp)
        pos[idx] = self.pos
        neg[idx] = self.neg
        return Histogram(pos, neg, kind=self.kind, num_void=self.num_void, num_images=self.num_images)

    def __add__(self, other: object) -> SparseHistogram | Histogram:
        if isinstance(other, Histogram):
            return other + self
        if not isinstance(other, SparseHistogram):
            return NotImplemented
        return sum_histograms([self, other], dense=False)

    def __radd__(self, other: object) -> SparseHistogram | Histogram:
        if isinstance(other, int) and other == 0:  # lets built-in sum() start at 0
            return self
        return NotImplemented


@dataclass(frozen=True, eq=False)
class Histogram:
    """Dense counts over all 65,536 keys of a 16-bit key space (memory independent of the number of images).

    Attributes:
        pos: (65536,) int64 anomaly-pixel counts per key.
        neg: (65536,) int64 inlier-pixel counts per key.
        kind: ``"float16"`` or ``"integer"``.
        num_void: void pixels seen.
        num_images: images summed into this histogram.
    """

    pos: np.ndarray = field(default_factory=lambda: np.zeros(NUM_BINS, np.int64))
    neg: np.ndarray = field(default_factory=lambda: np.zeros(NUM_BINS, np.int64))
    kind: Kind = "float16"
    num_void: int = 0
    num_images: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "pos", _int64(self.pos))
        object.__setattr__(self, "neg", _int64(self.neg))
        if self.pos.shape != (NUM_BINS,) or self.neg.shape != (NUM_BINS,):
            raise MetricInputError(
                f"Histogram: expected pos and neg of shape ({NUM_BINS},), got {self.pos.shape} and {self.neg.shape}"
            )
        if self.kind == "float32":
            raise MetricInputError(
                "Histogram: expected a 16-bit kind (float16, integer), got float32; use SparseHistogram"
            )

    @property
    def num_anomaly_pixels(self) -> int:
        """Non-void anomaly pixels (label 1)."""
        return int(self.pos.sum())

    @property
    def num_inlier_pixels(self) -> int:
        """Non-void inlier pixels (label 0)."""
        return int(self.neg.sum())

    def to_dense(self) -> Histogram:
        """Return self."""
        return self

    def to_sparse(self) -> SparseHistogram:
        """Only the used keys."""
        keys = np.flatnonzero((self.pos != 0) | (self.neg != 0))
        return SparseHistogram(keys, self.pos[keys], self.neg[keys], self.kind, self.num_void, self.num_images)

    def __add__(self, other: object) -> Histogram:
        if not isinstance(other, (Histogram, SparseHistogram)):
            return NotImplemented
        return sum_histograms([self, other], dense=True)  # type: ignore[return-value]

    def __radd__(self, other: object) -> Histogram:
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented


AnyHistogram = SparseHistogram | Histogram


def _common_kind(hists: list[AnyHistogram], kind: Kind | None) -> Kind:
    kinds = {h.kind for h in hists}
    if kind is not None:
        kinds.add(kind)
    if len(kinds) > 1:
        raise MetricInputError(
            f"expected histograms of one kind of scores, got {sorted(kinds)}; an evaluation holds either float scores "
            "(ranked at one precision) or integer scores, never both"
        )
    return kinds.pop() if kinds else "float16"


def sum_histograms(
    hists: Iterable[AnyHistogram], *, kind: Kind | None = None, dense: bool | None = None
) -> AnyHistogram:
    """Add up histograms (e.g. per-image histograms returned by worker processes) in one vectorised step.

    Args:
        hists: histograms of one kind, sparse or dense.
        kind: the expected kind (also used when ``hists`` is empty).
        dense: return a dense :class:`Histogram` (16-bit kinds only); default: dense for 16-bit kinds, sparse for
            ``float32``.

    Returns:
        The pooled histogram; ``num_images`` and ``num_void`` are summed too.
    """
    items = list(hists)
    kind_ = _common_kind(items, kind)
    if dense is None:
        dense = kind_ != "float32"
    if kind_ == "float32" and dense:
        raise MetricInputError("sum_histograms: expected dense=False for float32 histograms, got dense=True")
    total = HistogramSum(kind_)
    total.add_all(items)
    out = total.result()
    return out.to_dense() if dense else out.to_sparse()


class HistogramSum:
    """A running, in-place sum of histograms of one kind (fixed memory for 16-bit kinds: two 65,536-bin arrays).

    Args:
        kind: the key space every added histogram must have.
    """

    def __init__(self, kind: Kind = "float16") -> None:
        self.kind: Kind = kind
        self.num_void = 0
        self.num_images = 0
        self._pos = np.zeros(NUM_BINS if kind != "float32" else 0, np.int64)
        self._neg = np.zeros_like(self._pos)
        self._pending: list[AnyHistogram] = []  # float32 only: merged lazily, in one step

    def add(self, hist: AnyHistogram) -> None:
        """Add one histogram in place."""
        if hist.kind != self.kind:
            _common_kind([hist], self.kind)  # raises the mixed-kinds error
        self.num_void += hist.num_void
        self.num_images += hist.num_images
        if self.kind == "float32":
            self._pending.append(hist)
        elif isinstance(hist, Histogram):
            self._pos += hist.pos
            self._neg += hist.neg
        else:  # keys are unique within one sparse histogram, so fancy "+=" is exact
            idx = hist.keys.astype(np.intp)
            self._pos[idx] += hist.pos
            self._neg[idx] += hist.neg

    def add_all(self, hists: Iterable[AnyHistogram]) -> None:
        """Add several histograms."""
        for h in hists:
            self.add(h)

    def result(self) -> AnyHistogram:
        """The sum so far: a dense :class:`Histogram` (a copy) or, for float32, a :class:`SparseHistogram`."""
        if self.kind == "float32":
            merged = _sum_sparse32(self._pending, 0, 0)
            self._pending = [merged] if merged.keys.size else []
            return SparseHistogram(merged.keys, merged.pos, merged.neg, "float32", self.num_void, self.num_images)
        return Histogram(self._pos.copy(), self._neg.copy(), self.kind, self.num_void, self.num_images)


def _sum_sparse32(items: list[AnyHistogram], num_void: int, num_images: int) -> SparseHistogram:
    sparse = [h.to_sparse() for h in items]
    if not sparse:
        out = SparseHistogram.empty("float32")
        return SparseHistogram(out.keys, out.pos, out.neg, "float32", num_void, num_images)
    keys = np.concatenate([h.keys for h in sparse])
    ukeys, inv = np.unique(keys, return_inverse=True)
    pos = np.zeros(len(ukeys), np.int64)
    neg = np.zeros(len(ukeys), np.int64)
    np.add.at(pos, inv, np.concatenate([h.pos for h in sparse]))
    np.add.at(neg, inv, np.concatenate([h.neg for h in sparse]))
    return SparseHistogram(ukeys, pos, neg, "float32", num_void, num_images)
