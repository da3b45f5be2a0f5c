"""The one stateful piece: :class:`MetricAccumulator` collects per-image histograms and metadata.

By default it keeps each image's sparse histogram (tens to a few hundred KB), so any subset, bootstrap resample or
paired comparison is a sum of stored histograms, never a re-read of the scores. With ``keep_images=False`` it keeps
only one running 65,536-bin sum per condition: memory independent of the number of images.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from comsamy.errors import MetricInputError, UsageError
from comsamy.metrics.conditions import ALL, Condition, conditions_of, group_images, sort_groups, sort_values
from comsamy.metrics.definitions import (
    AUPRC_DEFINITIONS,
    FPR95_DEFINITIONS,
    METRIC_NAMES,
    PRECISIONS,
    AuprcDefinition,
    Fpr95Definition,
    Kind,
    Precision,
    check_choice,
)
from comsamy.metrics.histogram import AnyHistogram, Histogram, HistogramSum, SparseHistogram, sum_histograms
from comsamy.metrics.image import image_histogram
from comsamy.metrics.ranking import UndefinedMetricWarning, compute_metrics
from comsamy.metrics.results import Comparison, EvaluationResult, MetricResult

_OVERALL: Condition = (ALL, ALL)


def _stream(condition: Condition) -> str:
    """The bootstrap stream of a condition: ``all`` or ``group=value``."""
    return ALL if condition == _OVERALL else f"{condition[0]}={condition[1]}"


_T = TypeVar("_T")


def _once_per_image_set(fn: Callable[[Condition, list[str]], _T]) -> Callable[[Condition, list[str]], _T]:
    """``fn`` computed once per distinct list of image ids: conditions holding exactly the same images
    (``split=clear`` and ``weather=clear``) share the result of the first of them that asks."""
    done: dict[tuple[str, ...], _T] = {}

    def once(condition: Condition, ids: list[str]) -> _T:
        key = tuple(ids)
        if key not in done:
            done[key] = fn(condition, ids)
        return done[key]

    return once


def _map_results(
    result: EvaluationResult,
    ids: Mapping[Condition, list[str]],
    fn: Callable[[Condition, list[str], MetricResult], MetricResult],
) -> EvaluationResult:
    """``result`` with ``fn(condition, ids, metrics)`` applied to every metrics object, in report order (overall
    first, then the conditions)."""
    overall = fn(_OVERALL, ids[_OVERALL], result.overall)
    by_condition = {
        group: {value: fn((group, value), ids[(group, value)], r) for value, r in values.items()}
        for group, values in result.by_condition.items()
    }
    return replace(result, overall=overall, by_condition=by_condition)


class MetricAccumulator:
    """Collects images one by one (or as histograms from workers) and computes every condition's metrics.

    Args:
        precision: ranking precision of float scores, ``float16`` (canonical) or ``float32`` (exact).
        fpr95: FPR95 definition, ``first`` (default), ``closest``, ``strict`` or ``interp``.
        auprc: AUPRC definition, ``step`` (default) or ``trapezoid``.
        keep_images: keep per-image histograms (needed by :meth:`subset`, :meth:`per_image`, :meth:`merge` of
            this accumulator into another); ``False`` keeps only running sums per condition (fixed memory).

    Example:
        >>> import numpy as np
        >>> acc = MetricAccumulator()
        >>> _ = acc.update("a", np.array([[0.9, 0.2]], np.float16), np.array([[1, 0]], np.uint8), {"weather": "fog"})
        >>> acc.compute().condition("weather", "fog").auprc
        1.0
    """

    def __init__(
        self,
        *,
        precision: Precision = "float16",
        fpr95: Fpr95Definition = "first",
        auprc: AuprcDefinition = "step",
        keep_images: bool = True,
    ) -> None:
        self.precision: Precision = check_choice("precision", precision, PRECISIONS)  # type: ignore[assignment]
        self.fpr95: Fpr95Definition = check_choice("fpr95", fpr95, FPR95_DEFINITIONS)  # type: ignore[assignment]
        self.auprc: AuprcDefinition = check_choice("auprc", auprc, AUPRC_DEFINITIONS)  # type: ignore[assignment]
        self.keep_images = keep_images
        self._hists: dict[str, SparseHistogram] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        self._conditions: dict[str, list[Condition]] = {}
        self._sums: dict[Condition, HistogramSum] = {}  # keep_images=False only
        self._first_of_kind: dict[str, str] = {}

    # --- filling ------------------------------------------------------------------------------------------
    def update(
        self, image_id: str, scores: object, labels: object, metadata: Mapping[str, Any] | None = None
    ) -> SparseHistogram:
        """Add one image from its (H, W) score and label maps; returns the image's histogram.

        Raises:
            MetricInputError: bad maps (see :func:`~comsamy.metrics.image_histogram`), a repeated id, bad metadata,
                or float scores beside integer scores.
        """
        self._check_new(image_id)
        hist = image_histogram(scores, labels, precision=self.precision, image_id=image_id)
        self.add_histogram(image_id, hist, metadata)
        return hist

    def add_histogram(self, image_id: str, hist: AnyHistogram, metadata: Mapping[str, Any] | None = None) -> None:
        """Add one image's histogram (e.g. computed in a worker process by :func:`image_histogram`)."""
        self._check_new(image_id)
        if not isinstance(hist, (SparseHistogram, Histogram)):
            raise MetricInputError(f"image {image_id!r}: expected a SparseHistogram, got {type(hist).__name__}")
        if hist.kind not in (self.precision, "integer"):
            raise MetricInputError(
                f"image {image_id!r}: expected a {self.precision} or integer histogram for "
                f"precision={self.precision!r}, got kind {hist.kind!r}"
            )
        kind = "integer" if hist.kind == "integer" else "float"
        other = "integer" if kind == "float" else "float"
        if other in self._first_of_kind:
            raise MetricInputError(
                f"image {image_id!r}: expected one kind of scores per evaluation, got {kind} scores here and {other} "
                f"scores in image {self._first_of_kind[other]!r}"
            )
        conditions = conditions_of(image_id, metadata)  # validates the metadata now, naming the image
        self._first_of_kind.setdefault(kind, image_id)
        self._meta[image_id] = dict(metadata) if metadata else {}
        self._conditions[image_id] = conditions
        if self.keep_images:
            self._hists[image_id] = hist.to_sparse()
            return
        for condition in [_OVERALL, *conditions]:
            self._sums.setdefault(condition, HistogramSum(hist.kind)).add(hist)

    def merge(self, other: MetricAccumulator) -> MetricAccumulator:
        """Add every image of ``other`` (same settings, disjoint ids) to this accumulator; returns self."""
        if (other.precision, other.fpr95, other.auprc) != (self.precision, self.fpr95, self.auprc):
            raise UsageError(
                f"merge: expected an accumulator with precision={self.precision!r}, fpr95={self.fpr95!r}, "
                f"auprc={self.auprc!r}, got {other.precision!r}, {other.fpr95!r}, {other.auprc!r}"
            )
        if not other.keep_images:
            raise UsageError("merge: expected an accumulator with keep_images=True, got keep_images=False")
        for image_id, hist in other._hists.items():
            self.add_histogram(image_id, hist, other._meta[image_id])
        return self

    def _check_new(self, image_id: str) -> None:
        if image_id in self._conditions:
            raise MetricInputError(f"image {image_id!r}: expected each image once, got it twice")

    def _need_images(self, what: str) -> None:
        if not self.keep_images:
            raise UsageError(f"{what}: expected an accumulator with keep_images=True, got keep_images=False")

    # --- reading --------------------------------------------------------------------------------------------
    @property
    def image_ids(self) -> list[str]:
        """Ids in insertion order."""
        return list(self._conditions)

    def __len__(self) -> int:
        return len(self._conditions)

    def __contains__(self, image_id: object) -> bool:
        return image_id in self._conditions

    @property
    def kind(self) -> Kind:
        """Histogram key space of the images added so far (``float16``, ``float32`` or ``integer``)."""
        return "integer" if "integer" in self._first_of_kind else self.precision

    def image_histogram(self, image_id: str) -> SparseHistogram:
        """The stored histogram of one image."""
        self._need_images("image_histogram")
        return self._hists[image_id]

    def metadata(self, image_id: str) -> dict[str, Any]:
        """The stored metadata of one image."""
        return dict(self._meta[image_id])

    def histogram(self, image_ids: Iterable[str] | None = None) -> AnyHistogram:
        """Pooled histogram of the given images (default: all); dense for 16-bit kinds."""
        if image_ids is None and not self.keep_images:
            total = self._sums.get(_OVERALL)
            return total.result() if total else sum_histograms([], kind=self.kind)
        self._need_images("histogram(image_ids)")
        ids = self.image_ids if image_ids is None else list(image_ids)
        missing = [i for i in ids if i not in self._hists]
        if missing:
            raise MetricInputError(f"histogram: expected ids of added images, got unknown {missing[:5]}")
        return sum_histograms((self._hists[i] for i in ids), kind=self.kind)

    def subset(self, image_ids: Iterable[str]) -> MetricAccumulator:
        """A new accumulator holding only the given images (their stored histograms; no re-read)."""
        self._need_images("subset")
        out = MetricAccumulator(precision=self.precision, fpr95=self.fpr95, auprc=self.auprc)
        for image_id in dict.fromkeys(image_ids):
            if image_id not in self._hists:
                raise MetricInputError(f"subset: expected ids of added images, got unknown {image_id!r}")
            out.add_histogram(image_id, self._hists[image_id], self._meta[image_id])
        return out

    def _pooled(self) -> dict[Condition, AnyHistogram]:
        """The pooled histogram of ``all`` and of every condition, groups and values in report order."""
        if not self.keep_images:
            pooled = {c: s.result() for c, s in self._sums.items()}
            order = [
                (g, v)
                for g in sort_groups({g for g, _ in pooled if g != ALL})
                for v in sort_values(g, [v for gg, v in pooled if gg == g])
            ]
            return {_OVERALL: pooled.get(_OVERALL, sum_histograms([], kind=self.kind)), **{c: pooled[c] for c in order}}
        out = {_OVERALL: self.histogram()}
        for group, values in group_images(self._conditions).items():
            for value, ids in values.items():
                out[(group, value)] = self.histogram(ids)
        return out

    def compute(self) -> EvaluationResult:
        """Metrics of all images and of every condition (NaN plus a warning where undefined)."""
        by_condition: dict[str, dict[str, MetricResult]] = {}
        pooled = self._pooled()
        overall = compute_metrics(pooled.pop(_OVERALL), fpr95=self.fpr95, auprc=self.auprc, condition=ALL)
        for (group, value), hist in pooled.items():
            result = compute_metrics(hist, fpr95=self.fpr95, auprc=self.auprc, condition=f"{group}={value}")
            by_condition.setdefault(group, {})[value] = result
        return EvaluationResult(
            overall=overall,
            by_condition=by_condition,
            precision=self.precision,
            score_kind="integer" if "integer" in self._first_of_kind else "float",
            fpr95_definition=self.fpr95,
            auprc_definition=self.auprc,
        )

    def condition_ids(self) -> dict[Condition, list[str]]:
        """Image ids of ``all`` and of every condition, in report order (ids in insertion order)."""
        out: dict[Condition, list[str]] = {_OVERALL: self.image_ids}
        for group, values in group_images(self._conditions).items():
            for value, ids in values.items():
                out[(group, value)] = ids
        return out

    def with_intervals(
        self, result: EvaluationResult, *, n: int, seed: int = 0, level: float = 0.95
    ) -> EvaluationResult:
        """``result`` (from :meth:`compute`) with percentile bootstrap intervals in every metrics object.

        Each condition's images are resampled with replacement ``n`` times (see :mod:`comsamy.metrics.bootstrap`);
        the draws depend only on ``seed``, the condition and the image order, never on worker processes. Conditions
        holding exactly the same images (``split=clear`` and ``weather=clear``) share one computation and so one
        interval: that of the first of them in report order.
        """
        from comsamy.metrics.bootstrap import bootstrap_intervals

        self._need_images("bootstrap")
        intervals = _once_per_image_set(
            lambda condition, ids: bootstrap_intervals(
                [self._hists[i] for i in ids],
                n=n,
                seed=seed,
                level=level,
                fpr95=self.fpr95,
                auprc=self.auprc,
                stream=_stream(condition),
            )
        )
        return _map_results(result, self.condition_ids(), lambda c, ids, r: r.with_ci(intervals(c, ids)))

    def compare(self, other: MetricAccumulator, *, n: int, seed: int = 0, level: float = 0.95) -> Comparison:
        """Paired comparison of this method (A) with ``other`` (B) on the same images: A − B per metric and
        condition, a paired bootstrap interval and a two-sided p-value.

        Raises:
            UsageError: different settings, or ``other`` lacks some of this accumulator's images.
        """
        from comsamy.metrics.bootstrap import paired_bootstrap

        self._need_images("compare")
        other._need_images("compare")
        if (other.precision, other.fpr95, other.auprc) != (self.precision, self.fpr95, self.auprc):
            raise UsageError(
                f"compare: expected both methods scored with precision={self.precision!r}, fpr95={self.fpr95!r}, "
                f"auprc={self.auprc!r}, got {other.precision!r}, {other.fpr95!r}, {other.auprc!r}"
            )
        missing = [i for i in self.image_ids if i not in other._hists]
        extra = [i for i in other.image_ids if i not in self._hists]
        if missing or extra:
            raise UsageError(
                f"compare: expected both methods on the same images, got {len(missing)} image(s) only in "
                f"A (e.g. {missing[:3]}) and {len(extra)} only in B (e.g. {extra[:3]})"
            )
        result_a, result_b = self.compute(), other.compute()

        def paired(condition: Condition, ids: list[str]) -> dict[str, Any]:
            ra = result_a.overall if condition == _OVERALL else result_a.condition(*condition)
            rb = result_b.overall if condition == _OVERALL else result_b.condition(*condition)
            return paired_bootstrap(
                [self._hists[i] for i in ids],
                [other._hists[i] for i in ids],
                n=n,
                seed=seed,
                level=level,
                fpr95=self.fpr95,
                auprc=self.auprc,
                stream=_stream(condition),
                point={m: (getattr(ra, m), getattr(rb, m)) for m in METRIC_NAMES},
            )

        once = _once_per_image_set(paired)  # same images: one computation (see with_intervals)
        overall: dict[str, Any] = {}
        by_condition: dict[str, dict[str, Any]] = {}
        for condition, ids in self.condition_ids().items():
            diffs = once(condition, ids)
            if condition == _OVERALL:
                overall = diffs
            else:
                by_condition.setdefault(condition[0], {})[condition[1]] = diffs
        return Comparison(overall, by_condition, n, seed, level)

    def per_image(self) -> dict[str, MetricResult]:
        """Each image's own metrics (an extra, never the headline; NaN for images without anomalies, no warning)."""
        self._need_images("per_image")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            return {i: compute_metrics(h, fpr95=self.fpr95, auprc=self.auprc) for i, h in self._hists.items()}
