"""One-shot metrics on arrays (no accumulator): pooled over a list of images."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from comsamy.errors import MetricInputError
from comsamy.metrics.definitions import AuprcDefinition, Fpr95Definition, Precision
from comsamy.metrics.histogram import sum_histograms
from comsamy.metrics.image import image_histogram
from comsamy.metrics.ranking import compute_metrics
from comsamy.metrics.results import MetricResult


def _as_list(x: object) -> list[object]:
    if isinstance(x, np.ndarray):
        return [x]
    if (
        isinstance(x, Sequence)
        and not isinstance(x, (str, bytes))
        and x
        and (isinstance(x[0], np.ndarray) or (isinstance(x[0], Sequence) and x[0] and isinstance(x[0][0], Sequence)))
    ):
        return list(x)
    return [np.asarray(x)]


def anomaly_metrics(
    scores: object,
    labels: object,
    *,
    precision: Precision = "float16",
    fpr95: Fpr95Definition = "first",
    auprc: AuprcDefinition = "step",
) -> MetricResult:
    """AUPRC, FPR95 and AUROC of one image or of a list of images, pooled over their non-void pixels.

    Args:
        scores: an (H, W) score map, or a list of them (numpy arrays; one 1-D list is one image).
        labels: the matching label map(s), uint8 with 0 / 1 / 255.
        precision: ``float16`` (canonical) or ``float32``.
        fpr95: ``first``, ``closest`` or ``interp``.
        auprc: ``step`` or ``trapezoid``.

    >>> r = anomaly_metrics(np.array([0.9, 0.8, 0.2, 0.1]), np.array([1, 1, 0, 0], np.uint8))
    >>> r.auprc, r.auroc, r.fpr95
    (1.0, 1.0, 0.0)
    """
    score_list, label_list = _as_list(scores), _as_list(labels)
    if len(score_list) != len(label_list):
        raise MetricInputError(
            f"anomaly_metrics: expected one score map per label map, got {len(score_list)} score "
            f"maps and {len(label_list)} label maps"
        )
    hists = [
        image_histogram(s, y, precision=precision, image_id=f"#{i}" if len(score_list) > 1 else None)
        for i, (s, y) in enumerate(zip(score_list, label_list, strict=True))
    ]
    return compute_metrics(sum_histograms(hists, kind=hists[0].kind if hists else None), fpr95=fpr95, auprc=auprc)
