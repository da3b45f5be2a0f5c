"""Frozen result dataclasses of the metric engine."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
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
        fpr95_definition: ``first``, ``closest`` or ``interp``.
        auprc_definition: ``step`` or ``trapezoid``.
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

    @property
    def defined(self) -> bool:
        """False when the pooled pixels lack positives or negatives (metrics are NaN)."""
        return self.num_anomaly_pixels > 0 and self.num_inlier_pixels > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; NaN becomes ``None`` (JSON ``null``)."""
        return {
            "auprc": _none_if_nan(self.auprc),
            "fpr95": _none_if_nan(self.fpr95),
            "auroc": _none_if_nan(self.auroc),
            "num_images": self.num_images,
            "num_anomaly_pixels": self.num_anomaly_pixels,
            "num_inlier_pixels": self.num_inlier_pixels,
            "num_void_pixels": self.num_void_pixels,
        }


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
