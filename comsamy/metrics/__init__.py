"""Pixel-level anomaly segmentation metrics: exact streaming histograms, AUPRC / FPR95 / AUROC, conditions.

The definitions follow ``spec/metrics.md``: AUPRC is scikit-learn's average precision (step rule), FPR95 the FPR
at the highest threshold whose TPR >= 0.95 on the full ROC curve, AUROC scikit-learn's ``roc_auc_score``, TPR at
5 % FPR the TPR at the lowest threshold whose FPR <= 0.05; pixels are pooled per condition, void (255) is removed
first, and float scores are ranked at float16 precision. :mod:`comsamy.metrics.bootstrap` adds percentile
bootstrap intervals and paired comparisons from the per-image histograms.

Example:
    >>> import numpy as np
    >>> from comsamy.metrics import anomaly_metrics
    >>> anomaly_metrics(np.array([[.9, .8, .2, .1]]), np.array([[1, 1, 0, 0]], np.uint8)).auprc
    1.0
"""

from __future__ import annotations

from comsamy.metrics.accumulator import MetricAccumulator
from comsamy.metrics.bootstrap import PairedDifference, bootstrap_intervals, paired_bootstrap
from comsamy.metrics.curves import pr_curve, roc_curve
from comsamy.metrics.definitions import AUPRC_DEFINITIONS, FPR95_DEFINITIONS, METRIC_NAMES, PRECISIONS
from comsamy.metrics.functional import anomaly_metrics
from comsamy.metrics.histogram import Histogram, SparseHistogram, sum_histograms
from comsamy.metrics.image import image_histogram, image_histogram_from_bits
from comsamy.metrics.ranking import UndefinedMetricWarning, compute_metrics
from comsamy.metrics.results import Comparison, EvaluationResult, MetricResult

__all__ = [
    "AUPRC_DEFINITIONS",
    "FPR95_DEFINITIONS",
    "METRIC_NAMES",
    "PRECISIONS",
    "Comparison",
    "EvaluationResult",
    "Histogram",
    "MetricAccumulator",
    "MetricResult",
    "PairedDifference",
    "SparseHistogram",
    "UndefinedMetricWarning",
    "anomaly_metrics",
    "bootstrap_intervals",
    "compute_metrics",
    "image_histogram",
    "image_histogram_from_bits",
    "paired_bootstrap",
    "pr_curve",
    "roc_curve",
    "sum_histograms",
]
