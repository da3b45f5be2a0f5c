"""Names of the metric definitions and score precisions (spec/metrics.md).

Each vocabulary is one ``Literal``; the tuples of names are derived from it with :func:`typing.get_args` (never
written out twice). The first entry of each tuple is the default.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Fpr95Definition = Literal["first", "closest", "strict", "interp"]
AuprcDefinition = Literal["step", "trapezoid"]
Precision = Literal["float16", "float32"]
Kind = Literal["float16", "float32", "integer"]
MetricName = Literal["auprc", "fpr95", "auroc", "tpr_at_5fpr"]

FPR95_DEFINITIONS: Final[tuple[str, ...]] = get_args(Fpr95Definition)
"""``first``: FPR at the highest threshold whose TPR >= 0.95 (default); ``closest``: Hendrycks'
``fpr_and_fdr_at_recall`` (RPL, PEBAL); ``strict``: first point of scikit-learn's thinned ``roc_curve`` with
TPR > 0.95 (RbA); ``interp``: FPR linearly interpolated at TPR = 0.95 (ood-metrics)."""

AUPRC_DEFINITIONS: Final[tuple[str, ...]] = get_args(AuprcDefinition)
"""``step``: average precision, scikit-learn's rule (default); ``trapezoid``: trapezoid over the PR curve."""

PRECISIONS: Final[tuple[str, ...]] = get_args(Precision)
"""Precision at which float scores are ranked: ``float16`` (canonical) or exact ``float32`` (cross-checks)."""

KINDS: Final[tuple[str, ...]] = get_args(Kind)
"""Key spaces of a histogram: float16 bit patterns, float32 bit patterns, or integer score values."""

METRIC_NAMES: Final[tuple[str, ...]] = get_args(MetricName)
"""The pixel metrics every metrics object carries, in report order."""

TPR_TARGET: Final = 0.95
FPR_TARGET: Final = 0.05


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise :class:`~comsamy.errors.UsageError`."""
    from comsamy.errors import UsageError

    if value not in choices:
        raise UsageError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {value!r}")
    return value
