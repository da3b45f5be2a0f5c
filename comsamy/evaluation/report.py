"""The result of scoring one archive: :class:`EvaluationReport`, whose ``to_dict()`` is the ``--out`` JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from comsamy.metrics import EvaluationResult, MetricAccumulator, MetricResult

__all__ = ["DEFINITIONS", "REPORT_KEYS", "EvaluationReport", "EvaluationSettings"]

REPORT_KEYS = ("version", "dataset", "archive", "settings", "overall", "by_condition")
"""Top-level keys of the JSON document, in order."""

DEFINITIONS: dict[str, Any] = {
    "auprc": {
        "step": "average precision, sum over thresholds of (R_k - R_{k-1}) * P_k (scikit-learn average_precision_score)",
        "trapezoid": "trapezoid area under the precision-recall curve, without the (R=0, P=1) point",
    },
    "fpr95": {
        "first": "FPR at the highest threshold whose TPR >= 0.95, exact ROC without interpolation",
        "closest": "FPR at the ROC point whose TPR is closest to 0.95",
        "interp": "FPR linearly interpolated at TPR = 0.95",
    },
    "auroc": "area under the exact ROC curve (scikit-learn roc_auc_score)",
    "pooling": "pixels of all images in a condition pooled; void (255) removed first",
}


@dataclass(frozen=True)
class EvaluationSettings:
    """How the scores were ranked and which metric definitions were used."""

    precision: str = "float16"
    fpr95: str = "first"
    auprc: str = "step"
    score_kind: str = "float"

    def to_dict(self) -> dict[str, Any]:
        """Settings plus the wording of each definition used."""
        return {
            "precision": self.precision,
            "score_kind": self.score_kind,
            "fpr95": self.fpr95,
            "auprc": self.auprc,
            "definitions": {
                "auprc": DEFINITIONS["auprc"][self.auprc],
                "fpr95": DEFINITIONS["fpr95"][self.fpr95],
                "auroc": DEFINITIONS["auroc"],
                "pooling": DEFINITIONS["pooling"],
            },
        }


@dataclass(frozen=True)
class EvaluationReport:
    """Metrics of one prediction archive on one dataset split, with provenance.

    Attributes:
        result: overall and per-condition metrics (:class:`~comsamy.metrics.EvaluationResult`).
        dataset: ``name``, ``revision``, ``config``, ``split``, ``num_images``.
        archive_sha256: SHA-256 of the zip file (for a folder: of its sorted names and contents).
        manifest: the archive's ``manifest.json`` (unknown keys kept), or None.
        settings: precision and definitions.
        version: the comsamy version that scored it.
        accumulator: the per-image histograms and metadata (pooled curves, subsets, bootstrap resamples).
    """

    result: EvaluationResult
    dataset: Mapping[str, Any]
    archive_sha256: str
    manifest: Mapping[str, Any] | None
    settings: EvaluationSettings
    version: str
    accumulator: MetricAccumulator = field(repr=False, compare=False)

    @property
    def overall(self) -> MetricResult:
        """Metrics of every image pooled."""
        return self.result.overall

    @property
    def by_condition(self) -> dict[str, dict[str, MetricResult]]:
        """``{group: {value: MetricResult}}`` for ``split``, ``weather``, ``landform``, ``anomaly_type``, ..."""
        return self.result.by_condition

    def histogram(self, image_ids: Any = None) -> Any:
        """Pooled histogram of the given images (default: all), for PR / ROC curves."""
        return self.accumulator.histogram(image_ids)

    def condition_ids(self, group: str, value: str) -> list[str]:
        """Ids of the images in one condition (``("weather", "fog")``)."""
        from comsamy.metrics.conditions import conditions_of

        return [i for i in self.accumulator.image_ids
                if (group, value) in conditions_of(i, self.accumulator.metadata(i))]

    def to_dict(self) -> dict[str, Any]:
        """The ``--out`` JSON document: ``version``, ``dataset``, ``archive``, ``settings``, ``overall``,
        ``by_condition`` (metrics as fractions, ``None`` where undefined)."""
        res = self.result.to_dict()
        return {
            "version": self.version,
            "dataset": dict(self.dataset),
            "archive": {
                "sha256": self.archive_sha256,
                "manifest": dict(self.manifest) if self.manifest is not None else None,
            },
            "settings": self.settings.to_dict(),
            "overall": res["overall"],
            "by_condition": res["by_condition"],
        }
