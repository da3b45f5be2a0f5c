"""Presentation helpers shared by every people-facing view (``comsamy-eval`` tables, the leaderboard).

Values are fractions in the API and JSON; people see percent with two decimals, an arrow saying which direction
is better, and the paper's Table II layout: clear weather / adverse weather / whole dataset, AUPRC and FPR95 (AUROC
beside them).

>>> pct(0.72491), pct(None), metric_heading("fpr95")
('72.49', 'n/a', 'FPR95 ↓')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from comsamy.metrics.definitions import METRIC_NAMES

__all__ = [
    "ARROWS",
    "HIGHER_IS_BETTER",
    "METRIC_LABELS",
    "TABLE2_COLUMNS",
    "TABLE2_METRICS",
    "Table2Column",
    "arrow",
    "metric_heading",
    "pct",
    "pct_interval",
    "pct_value",
    "signed_pct",
]

METRIC_LABELS: Final[dict[str, str]] = {
    "auprc": "AUPRC",
    "fpr95": "FPR95",
    "auroc": "AUROC",
    "tpr_at_5fpr": "TPR@5%FPR",
}
"""Display name of each metric of :data:`~comsamy.metrics.definitions.METRIC_NAMES`."""

HIGHER_IS_BETTER: Final[dict[str, bool]] = {name: name != "fpr95" for name in METRIC_NAMES}
"""Direction of each metric: FPR95 is better lower, every other metric higher."""

ARROWS: Final[dict[str, str]] = {name: "↑" if up else "↓" for name, up in HIGHER_IS_BETTER.items()}
"""``↑`` for metrics where higher is better, ``↓`` for FPR95."""

TABLE2_METRICS: Final[tuple[str, ...]] = ("auprc", "fpr95", "auroc")
"""The metrics of each Table II column group, in order."""


@dataclass(frozen=True)
class Table2Column:
    """One column group of the paper's Table II.

    Attributes:
        group: the condition group (``"split"``), or None for the whole dataset.
        value: the condition value (``"clear"``, ``"adverse"``, ``"all"``).
        label: the heading people see.
    """

    group: str | None
    value: str
    label: str

    @property
    def short(self) -> str:
        """The first word of the heading (``Clear``, ``Adverse``, ``Whole``)."""
        return self.label.split()[0]


TABLE2_COLUMNS: Final[tuple[Table2Column, ...]] = (
    Table2Column("split", "clear", "Clear weather"),
    Table2Column("split", "adverse", "Adverse weather"),
    Table2Column(None, "all", "Whole dataset"),
)
"""The paper's Table II column groups, left to right."""


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def pct(value: float | None) -> str:
    """A fraction as percent with two decimals; ``n/a`` when undefined (None or NaN).

    >>> pct(0.05), pct(float("nan"))
    ('5.00', 'n/a')
    """
    return "n/a" if _missing(value) else f"{100 * value:.2f}"  # type: ignore[operator]


def pct_value(value: float | None) -> float | None:
    """A fraction as a percent number rounded to two decimals, for tables and charts that need numbers; None when
    undefined (None or NaN).

    >>> pct_value(0.72491), pct_value(None)
    (72.49, None)
    """
    return None if _missing(value) else round(100 * float(value), 2)  # type: ignore[arg-type]


def signed_pct(value: float | None) -> str:
    """A difference of fractions as signed percentage points with two decimals (``+1.25``, ``-0.40``).

    >>> signed_pct(0.0125), signed_pct(-0.004), signed_pct(None)
    ('+1.25', '-0.40', 'n/a')
    """
    return "n/a" if _missing(value) else f"{100 * value:+.2f}"  # type: ignore[operator]


def pct_interval(
    interval: tuple[float | None, float | None] | list[float | None] | None, *, signed: bool = False
) -> str:
    """A bootstrap interval ``[lo, hi]`` as ``[lo, hi]`` in percent; ``n/a`` when absent.

    >>> pct_interval([0.701, 0.7523]), pct_interval([-0.01, 0.02], signed=True)
    ('[70.10, 75.23]', '[-1.00, +2.00]')
    """
    if interval is None or any(_missing(v) for v in interval):
        return "n/a"
    fmt = signed_pct if signed else pct
    lo, hi = interval
    return f"[{fmt(lo)}, {fmt(hi)}]"


def arrow(metric: str) -> str:
    """``↑`` or ``↓`` for a metric name (KeyError for an unknown metric)."""
    return ARROWS[metric]


def metric_heading(metric: str) -> str:
    """A metric's display name with its arrow, e.g. ``AUPRC ↑``."""
    return f"{METRIC_LABELS[metric]} {ARROWS[metric]}"
