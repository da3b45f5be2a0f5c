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
from comsamy.evaluation.report import REPORT_KEYS, EvaluationReport, EvaluationSettings

__all__ = [
    "REPORT_KEYS",
    "DatasetView",
    "EvaluationReport",
    "EvaluationSettings",
    "ImageRecord",
    "evaluate_archive",
    "load_view",
    "resolve_workers",
    "validate_predictions",
]
