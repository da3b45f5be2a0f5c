"""Scoring prediction archives: :func:`evaluate_archive` (archive + dataset -> :class:`EvaluationReport`).

The archive is validated completely first (every problem in one :class:`~comsamy.errors.ArchiveError`), then each
image is read, decoded and turned into a sparse histogram in worker processes; the main process only adds
histograms (``comsamy.metrics`` computes every number).

Example:
    >>> from comsamy.evaluation import evaluate_archive  # doctest: +SKIP
    >>> report = evaluate_archive("preds.zip", "sample")  # doctest: +SKIP
    >>> report.overall.auprc  # doctest: +SKIP
"""

from __future__ import annotations

from comsamy.evaluation.core import evaluate_archive, resolve_workers, validate_predictions
from comsamy.evaluation.dataset import DatasetView, ImageRecord, load_view
from comsamy.evaluation.per_image import per_image_csv, write_per_image_csv
from comsamy.evaluation.report import REPORT_KEYS, EvaluationReport, EvaluationSettings
from comsamy.evaluation.summary import benchmark_summary, load_results, robustness_summary

__all__ = [
    "REPORT_KEYS",
    "DatasetView",
    "EvaluationReport",
    "EvaluationSettings",
    "ImageRecord",
    "benchmark_summary",
    "evaluate_archive",
    "load_results",
    "load_view",
    "per_image_csv",
    "resolve_workers",
    "robustness_summary",
    "validate_predictions",
    "write_per_image_csv",
]
