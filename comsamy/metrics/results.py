"""Frozen result dataclasses of the metric engine."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


@dataclass(frozen=True)
class MetricResult:
    """Pixel-level metrics of one pooled set of images (fractions in [0, 1]; NaN when undefined).

    Attributes:
        auprc: area under the precision-recall curve (definition in ``auprc_definition``).
        fpr95: false-positive rate at 95 % true-positive rate (definition in ``fpr95_definition``).
        auroc: area under the ROC curve.
        num_images: images pooled.
        num_anomaly_pixels: non-void pixels labelled 1.
        num_inlier_pixels: non-void pixels labelled 0.
        num_void_pixels: pixels labelled 255 (ignored).
        fpr95_definition: ``first``, ``closest``, ``strict`` or ``interp``.
        auprc_definition: ``step`` or ``trapezoid``.
        tpr_at_5fpr: true-positive rate at the lowest threshold whose FPR <= 0.05.
        ci: bootstrap percentile intervals ``{metric: (lo, hi)}`` (``None`` bounds where undefined), or None
            when no bootstrap was run.
        extras: further per-condition statistics by name (e.g. ``components``), each a JSON-ready mapping; they
            appear as top-level keys of :meth:`to_dict`.
    """

    auprc: float
    fpr95: float
    auroc: float
    num_images: int
    num_anomaly_pixels: int
    num_inlier_pixels: int
    num_void_pixels: int
    fpr95_definition: str = "first"
    auprc_definition: str = "step"
    tpr_at_5fpr: float = math.nan
    ci: Mapping[str, tuple[float | None, float | None]] | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)

    def with_ci(self, ci: Mapping[str, tuple[float | None, float | None]]) -> MetricResult:
        """A copy carrying bootstrap intervals."""
        return replace(self, ci=dict(ci))

    def with_extra(self, name: str, value: Any) -> MetricResult:
        """A copy carrying one more per-condition statistic (a JSON-ready mapping) under ``name``."""
        return replace(self, extras={**self.extras, name: value})

    @property
    def defined(self) -> bool:
        """False when the pooled pixels lack positives or negatives (metrics are NaN)."""
        return self.num_anomaly_pixels > 0 and self.num_inlier_pixels > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; NaN becomes ``None`` (JSON ``null``)."""
        out: dict[str, Any] = {
            "auprc": _none_if_nan(self.auprc),
            "fpr95": _none_if_nan(self.fpr95),
            "auroc": _none_if_nan(self.auroc),
            "tpr_at_5fpr": _none_if_nan(self.tpr_at_5fpr),
            "num_images": self.num_images,
            "num_anomaly_pixels": self.num_anomaly_pixels,
            "num_inlier_pixels": self.num_inlier_pixels,
            "num_void_pixels": self.num_void_pixels,
        }
        if self.ci is not None:
            out["ci"] = {name: [lo, hi] for name, (lo, hi) in self.ci.items()}
        out.update(self.extras)
        return out


@dataclass(frozen=True)
class EvaluationResult:
    """Metrics of all images plus every breakdown by condition.

    Attributes:
        overall: metrics of all images pooled.
        by_condition: ``{group: {value: MetricResult}}`` with groups ``split`` (clear / adverse), ``weather``,
            ``landform``, ``anomaly_type`` and any other metadata column, values sorted.
        precision: score precision used for ranking (``float16`` / ``float32``).
        score_kind: ``float`` or ``integer`` (empty string when no image was added).
        fpr95_definition: FPR95 definition used.
        auprc_definition: AUPRC definition used.
    """

    overall: MetricResult
    by_condition: dict[str, dict[str, MetricResult]] = field(default_factory=dict)
    precision: str = "float16"
    score_kind: str = "float"
    fpr95_definition: str = "first"
    auprc_definition: str = "step"

    def condition(self, group: str, value: str) -> MetricResult:
        """Shortcut for ``by_condition[group][value]`` (KeyError if absent)."""
        return self.by_condition[group][value]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``overall``, ``by_condition`` and the definitions used."""
        return {
            "overall": self.overall.to_dict(),
            "by_condition": {
                group: {value: result.to_dict() for value, result in values.items()}
                for group, values in self.by_condition.items()
            },
            "definitions": {
                "auprc": self.auprc_definition,
                "fpr95": self.fpr95_definition,
                "precision": self.precision,
                "score_kind": self.score_kind,
            },
        }


@dataclass(frozen=True)
class Comparison:
    """Paired comparison of method A with method B on the same images (differences A − B).

    Attributes:
        overall: ``{metric: PairedDifference}`` on all images.
        by_condition: ``{group: {value: {metric: PairedDifference}}}``, mirroring
            :attr:`EvaluationResult.by_condition`.
        resamples: bootstrap resamples.
        seed: bootstrap seed.
        level: interval coverage.
    """

    overall: Mapping[str, Any]
    by_condition: Mapping[str, Mapping[str, Mapping[str, Any]]]
    resamples: int
    seed: int
    level: float

    def to_dict(self) -> dict[str, Any]:
        """``{"bootstrap": {...}, "overall": {metric: {difference, ci, p_value}}, "by_condition": {...}}``."""

        def metrics(diffs: Mapping[str, Any]) -> dict[str, Any]:
            return {name: d.to_dict() for name, d in diffs.items()}

        return {
            "bootstrap": {"resamples": self.resamples, "seed": self.seed, "ci_level": self.level},
            "overall": metrics(self.overall),
            "by_condition": {g: {v: metrics(d) for v, d in values.items()} for g, values in self.by_condition.items()},
        }
