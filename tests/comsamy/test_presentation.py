"""The presentation helpers shared by report_format and the leaderboard."""

from __future__ import annotations

import math

from comsamy.metrics.definitions import METRIC_NAMES
from comsamy.presentation import (
    ARROWS,
    HIGHER_IS_BETTER,
    METRIC_LABELS,
    TABLE2_COLUMNS,
    metric_heading,
    pct,
    pct_interval,
    pct_value,
    signed_pct,
)


def test_every_metric_has_a_label_arrow_and_direction() -> None:
    assert set(METRIC_LABELS) == set(ARROWS) == set(HIGHER_IS_BETTER) == set(METRIC_NAMES)
    assert ARROWS["fpr95"] == "↓" and ARROWS["auprc"] == ARROWS["tpr_at_5fpr"] == "↑"
    assert metric_heading("auroc") == "AUROC ↑"


def test_percent_formatting() -> None:
    assert pct(0.0) == "0.00" and pct(1) == "100.00" and pct(math.nan) == "n/a" and pct(None) == "n/a"
    assert signed_pct(0.0) == "+0.00" and signed_pct(-0.1234) == "-12.34"
    assert pct_interval(None) == "n/a" and pct_interval([None, 0.2]) == "n/a"
    assert pct_interval((0.1, 0.2)) == "[10.00, 20.00]"
    assert pct_value(0.72491) == 72.49 and pct_value(1) == 100.0
    assert pct_value(None) is None and pct_value(math.nan) is None


def test_table_ii_layout() -> None:
    assert [(c.group, c.value, c.short) for c in TABLE2_COLUMNS] == [
        ("split", "clear", "Clear"),
        ("split", "adverse", "Adverse"),
        (None, "all", "Whole"),
    ]
