"""The one stateful piece: :class:`MetricAccumulator` collects per-image histograms and metadata.

It keeps each image's sparse histogram (a few hundred KB at most), so any subset, bootstrap resample or paired
comparison is a sum of stored histograms, never a re-read of the scores.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from comsamy.errors import MetricInputError, UsageError
from comsamy.metrics.conditions import ALL, group_images
from comsamy.metrics.definitions import (
    AUPRC_DEFINITIONS,
    FPR95_DEFINITIONS,
    PRECISIONS,
    AuprcDefinition,
    Fpr95Definition,
    Precision,
    check_choice,
)
from comsamy.metrics.histogram import AnyHistogram, Histogram, SparseHistogram, sum_histograms
from comsamy.metrics.image import image_histogram
from comsamy.metrics.ranking import UndefinedMetricWarning, compute_metrics
from comsamy.metrics.results import EvaluationResult, MetricResult


def _score_kind(hist: AnyHistogram) -> str:
    return "integer" if hist.kind == "integer" else "float"


class MetricAccumulator:
    """Collects images one by one (or as histograms from workers) and computes every condition's metrics.

    Args:
        precision: ranking precision of float scores, ``float16`` (canonical) or ``float32`` (exact).
        fpr95: FPR95 definition, ``first`` (default), ``closest`` or ``interp``.
        auprc: AUPRC definition, ``step`` (default) or ``trapezoid``.

    Example:
        >>> import numpy as np
        >>> acc = MetricAccumulator()
        >>> _ = acc.update("a", np.array([[0.9, 0.2]], np.float16), np.array([[1, 0]], np.uint8), {"weather": "fog"})
        >>> acc.compute().overall.auprc
        1.0
    """

    def __init__(
        self,
        *,
        precision: Precision = "float16",
        fpr95: Fpr95Definition = "first",
        auprc: AuprcDefinition = "step",
    ) -> None:
        self.precision: Precision = check_choice("precision", precision, PRECISIONS)  # type: ignore[assignment]
        self.fpr95: Fpr95Definition = check_choice("fpr95", fpr95, FPR95_DEFINITIONS)  # type: ignore[assignment]
        self.auprc: AuprcDefinition = check_choice("auprc", auprc, AUPRC_DEFINITIONS)  # type: ignore[assignment]
        self._hists: dict[str, SparseHistogram] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        self._first_of_kind: dict[str, str] = {}

    # --- filling ------------------------------------------------------------------------------------------
    def update(
        self, image_id: str, scores: object, labels: object, metadata: Mapping[str, Any] | None = None
    ) -> SparseHistogram:
        """Add one image from its score and label maps; returns the image's histogram."""
        self._check_new(image_id)
        hist = image_histogram(scores, labels, precision=self.precision, image_id=image_id)
        self.add_histogram(image_id, hist, metadata)
        return hist

    def add_histogram(self, image_id: str, hist: AnyHistogram, metadata: Mapping[str, Any] | None = None) -> None:
        """Add one image's histogram (e.g. computed in a worker process by :func:`image_histogram`)."""
        self._check_new(image_id)
        if not isinstance(hist, (SparseHistogram, Histogram)):
            raise MetricInputError(f"image {image_id!r}: expected a SparseHistogram, got {type(hist).__name__}")
        expected = "float16" if self.precision == "float16" else "float32"
        if hist.kind not in (expected, "integer"):
            raise MetricInputError(
                f"image {image_id!r}: expected a {expected} or integer histogram for precision={self.precision!r}, "
                f"got kind {hist.kind!r}"
            )
        kind = _score_kind(hist)
        other = "integer" if kind == "float" else "float"
        if other in self._first_of_kind:
            raise MetricInputError(
                f"image {image_id!r}: expected one kind of scores per evaluation, got {kind} scores here and {other} "
                f"scores in image {self._first_of_kind[other]!r}"
            )
        self._first_of_kind.setdefault(kind, image_id)
        self._hists[image_id] = hist.to_sparse()
        self._meta[image_id] = dict(metadata) if metadata else {}

    def merge(self, other: MetricAccumulator) -> MetricAccumulator:
        """Add every image of ``other`` (same settings, disjoint ids) to this accumulator; returns self."""
        if (other.precision, other.fpr95, other.auprc) != (self.precision, self.fpr95, self.auprc):
            raise UsageError(
                f"merge: expected an accumulator with precision={self.precision!r}, fpr95={self.fpr95!r}, "
                f"auprc={self.auprc!r}, got {other.precision!r}, {other.fpr95!r}, {other.auprc!r}"
            )
        for image_id, hist in other._hists.items():
            self.add_histogram(image_id, hist, other._meta[image_id])
        return self

    def _check_new(self, image_id: str) -> None:
        if image_id in self._hists:
            raise MetricInputError(f"image {image_id!r}: expected each image once, got it twice")

    # --- reading --------------------------------------------------------------------------------------------
    @property
    def image_ids(self) -> list[str]:
        """Ids in insertion order."""
        return list(self._hists)

    def __len__(self) -> int:
        return len(self._hists)

    def __contains__(self, image_id: object) -> bool:
        return image_id in self._hists

    def image_histogram(self, image_id: str) -> SparseHistogram:
        """The stored histogram of one image."""
        return self._hists[image_id]

    def metadata(self, image_id: str) -> dict[str, Any]:
        """The stored metadata of one image."""
        return dict(self._meta[image_id])

    @property
    def kind(self) -> str:
        """Histogram key space of the images added so far (``float16``, ``float32`` or ``integer``)."""
        if "integer" in self._first_of_kind:
            return "integer"
        return self.precision

    def histogram(self, image_ids: Iterable[str] | None = None) -> AnyHistogram:
        """Pooled histogram of the given images (default: all); dense for 16-bit kinds."""
        ids = self.image_ids if image_ids is None else list(image_ids)
        missing = [i for i in ids if i not in self._hists]
        if missing:
            raise MetricInputError(f"expected ids of added images, got unknown {missing[:5]}")
        return sum_histograms((self._hists[i] for i in ids), kind=self.kind)  # type: ignore[arg-type]

    def subset(self, image_ids: Iterable[str]) -> MetricAccumulator:
        """A new accumulator holding only the given images (their stored histograms; no re-read)."""
        out = MetricAccumulator(precision=self.precision, fpr95=self.fpr95, auprc=self.auprc)
        for image_id in dict.fromkeys(image_ids):
            if image_id not in self._hists:
                raise MetricInputError(f"subset: expected ids of added images, got unknown {image_id!r}")
            out.add_histogram(image_id, self._hists[image_id], self._meta[image_id])
        return out

    def _metrics(self, image_ids: Iterable[str], condition: str) -> MetricResult:
        return compute_metrics(self.histogram(image_ids), fpr95=self.fpr95, auprc=self.auprc, condition=condition)

    def compute(self) -> EvaluationResult:
        """Metrics of all images and of every condition (NaN plus a warning where undefined)."""
        overall = self._metrics(self.image_ids, ALL)
        by_condition = {
            group: {value: self._metrics(ids, f"{group}={value}") for value, ids in values.items()}
            for group, values in group_images(self.image_ids, self._meta).items()
        }
        return EvaluationResult(
            overall=overall,
            by_condition=by_condition,
            precision=self.precision,
            score_kind="integer" if "integer" in self._first_of_kind else "float",
            fpr95_definition=self.fpr95,
            auprc_definition=self.auprc,
        )

    def per_image(self) -> dict[str, MetricResult]:
        """Each image's own metrics (an extra, never the headline; NaN for images without anomalies, no warning)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            return {i: compute_metrics(h, fpr95=self.fpr95, auprc=self.auprc) for i, h in self._hists.items()}
