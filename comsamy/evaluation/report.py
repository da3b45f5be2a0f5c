"""The result of scoring one archive: :class:`EvaluationReport`, whose ``to_dict()`` is the ``--out`` JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from comsamy.metrics import EvaluationResult, MetricAccumulator, MetricResult
from comsamy.metrics.results import Comparison

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
        "closest": "Hendrycks' fpr_and_fdr_at_recall (RPL, PEBAL): FPR at the ROC point whose TPR is nearest 0.95, "
        "up to the first point with TPR = 1; ties: the higher TPR, then the lowest threshold",
        "strict": "FPR at the first point of scikit-learn's thinned roc_curve (drop_intermediate=True) with TPR > "
        "0.95 (RbA)",
        "interp": "FPR linearly interpolated at TPR = 0.95",
    },
    "auroc": "area under the exact ROC curve (scikit-learn roc_auc_score)",
    "tpr_at_5fpr": "TPR at the lowest threshold whose FPR <= 0.05, exact ROC without interpolation",
    "bootstrap": "percentile bootstrap over the images of each condition (drawn with replacement; pooled "
    "histograms of the drawn images, exact); paired comparisons draw the same images for both methods",
    "pooling": "pixels of all images in a condition pooled; void (255) removed first",
}


@dataclass(frozen=True)
class EvaluationSettings:
    """How the scores were ranked and which metric definitions were used."""

    precision: str = "float16"
    fpr95: str = "first"
    auprc: str = "step"
    score_kind: str = "float"
    bootstrap: int = 0
    seed: int = 0
    ci_level: float = 0.95
    polarity: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Settings plus the wording of each definition used (``bootstrap`` only when intervals were computed)."""
        out: dict[str, Any] = {
            "precision": self.precision,
            "score_kind": self.score_kind,
            "fpr95": self.fpr95,
            "auprc": self.auprc,
            "polarity": self.polarity,
            "definitions": {
                "auprc": DEFINITIONS["auprc"][self.auprc],
                "fpr95": DEFINITIONS["fpr95"][self.fpr95],
                "auroc": DEFINITIONS["auroc"],
                "tpr_at_5fpr": DEFINITIONS["tpr_at_5fpr"],
                "pooling": DEFINITIONS["pooling"],
            },
        }
        if self.bootstrap:
            out["bootstrap"] = {"resamples": self.bootstrap, "seed": self.seed, "ci_level": self.ci_level}
            out["definitions"]["bootstrap"] = DEFINITIONS["bootstrap"]
        return out


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
        components: per-image component stats with ``--components``
            (:class:`~comsamy.evaluation.component_pass.ComponentSummary`), else None.
    """

    result: EvaluationResult
    dataset: Mapping[str, Any]
    archive_sha256: str
    manifest: Mapping[str, Any] | None
    settings: EvaluationSettings
    version: str
    accumulator: MetricAccumulator = field(repr=False, compare=False)
    components: Any = field(default=None, repr=False, compare=False)
    comparison: Comparison | None = field(default=None, repr=False, compare=False)
    compared_with: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

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

        return [
            i for i in self.accumulator.image_ids if (group, value) in conditions_of(i, self.accumulator.metadata(i))
        ]

    def to_dict(self) -> dict[str, Any]:
        """The ``--out`` JSON document: ``version``, ``dataset``, ``archive``, ``settings``, ``overall``,
        ``by_condition`` (metrics as fractions, ``None`` where undefined)."""
        res = self.result.to_dict()
        doc = {
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
        if self.components is not None:
            from comsamy.evaluation.component_pass import add_components

            add_components(doc, self.components, self.accumulator)
        if self.comparison is not None:
            doc["comparison"] = {"against": dict(self.compared_with or {}), **self.comparison.to_dict()}
        return doc

    def compare(
        self, other: EvaluationReport, *, n: int = 1000, seed: int = 0, level: float = 0.95
    ) -> EvaluationReport:
        """This report (method A) with a paired comparison against ``other`` (method B) on the same images.

        Args:
            other: B's report on the same dataset split, scored with the same settings.
            n: bootstrap resamples.
            seed: bootstrap seed.
            level: interval coverage.

        Returns:
            A copy whose ``to_dict()`` has ``comparison``: ``against`` (B's archive and method), ``bootstrap``,
            ``overall`` and ``by_condition``, each ``{metric: {"difference", "ci", "p_value"}}`` for A − B.

        Raises:
            UsageError: other dataset or settings, or other images.
        """
        from comsamy.errors import UsageError

        if dict(self.dataset) != dict(other.dataset):
            raise UsageError(
                f"--compare: expected both archives scored on the same dataset split, got "
                f"{dict(self.dataset)} and {dict(other.dataset)}"
            )
        comparison = self.accumulator.compare(other.accumulator, n=n, seed=seed, level=level)
        against = {"sha256": other.archive_sha256, "manifest": dict(other.manifest) if other.manifest else None}
        return replace(self, comparison=comparison, compared_with=against)
