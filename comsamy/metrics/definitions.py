"""Names of the metric definitions and score precisions (spec/metrics.md).

The first entry of each tuple is the default.
"""

from __future__ import annotations

from typing import Final, Literal

FPR95_DEFINITIONS: Final = ("first", "closest", "interp")
"""``first``: FPR at the highest threshold whose TPR >= 0.95 (default); ``closest``: the ROC point whose TPR is
closest to 0.95; ``interp``: FPR linearly interpolated at TPR = 0.95."""

AUPRC_DEFINITIONS: Final = ("step", "trapezoid")
"""``step``: average precision, scikit-learn's rule (default); ``trapezoid``: trapezoid over the PR curve."""

PRECISIONS: Final = ("float16", "float32")
"""Precision at which float scores are ranked: ``float16`` (canonical) or exact ``float32`` (cross-checks)."""

KINDS: Final = ("float16", "float32", "integer")
"""Key spaces of a histogram: float16 bit patterns, float32 bit patterns, or integer score values."""

TPR_TARGET: Final = 0.95

Fpr95Definition = Literal["first", "closest", "interp"]
AuprcDefinition = Literal["step", "trapezoid"]
Precision = Literal["float16", "float32"]
Kind = Literal["float16", "float32", "integer"]


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise :class:`~comsamy.errors.UsageError`."""
    from comsamy.errors import UsageError

    if value not in choices:
        raise UsageError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {value!r}")
    return value
