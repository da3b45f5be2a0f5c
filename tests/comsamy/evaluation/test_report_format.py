"""Rendering of a report: every format, percent with two decimals for people, full fractions for machines."""

from __future__ import annotations

import csv
import io
import json

import pytest

from comsamy.errors import UsageError
from comsamy.report_format import FORMATS, latex_escape, pct, render


def _cell(auprc: float | None, fpr95: float | None, auroc: float | None, n: int = 1) -> dict:
    return {
        "auprc": auprc,
        "fpr95": fpr95,
        "auroc": auroc,
        "num_images": n,
        "num_anomaly_pixels": 10 * n,
        "num_inlier_pixels": 100 * n,
        "num_void_pixels": 0,
    }


DOC = {
    "version": "0.1.0",
    "dataset": {"name": "comsamy", "revision": "r1", "config": "all", "split": "test", "num_images": 3},
    "archive": {"sha256": "0" * 64, "manifest": {"method": "RPL+DiffEEL_v2", "extra": True}},
    "settings": {"precision": "float16", "fpr95": "first", "auprc": "step", "definitions": {}},
    "overall": _cell(0.66124, 0.38761, 0.9, 3),
    "by_condition": {
        "split": {"clear": _cell(0.72491, 0.32856, 0.95, 2), "adverse": _cell(0.547, 0.4732, None)},
        "weather": {"clear": _cell(0.72491, 0.32856, 0.95, 2), "sandstorm": _cell(None, None, None)},
        "landform": {"urban_road": _cell(0.5, 0.25, 0.75, 3)},
        "anomaly_type": {"cow & calf": _cell(0.1, 0.2, 0.3)},
    },
}


def test_table_follows_table_ii_then_weather_and_landform() -> None:
    text = render(DOC, "table")
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("Method"))
    assert header.index("Clear") < header.index("Adverse") < header.index("Whole")
    row = lines[lines.index(header) + 2].split()
    assert row == ["RPL+DiffEEL_v2", "72.49", "32.86", "95.00", "54.70", "47.32", "n/a", "66.12", "38.76", "90.00"]
    assert text.index("Weather") < text.index("Landform")
    assert "sandstorm" in text and "urban_road" in text


def test_csv_keeps_full_fractions_and_empty_for_undefined() -> None:
    rows = list(csv.DictReader(io.StringIO(render(DOC, "csv"))))
    assert rows[0]["group"] == "all" and float(rows[0]["auprc"]) == 0.66124
    sand = next(r for r in rows if r["value"] == "sandstorm")
    assert sand["auprc"] == "" and sand["num_images"] == "1"
    assert len(rows) == 1 + 2 + 2 + 1 + 1


def test_markdown_and_latex_render_every_group_and_escape() -> None:
    md = render(DOC, "markdown")
    assert "| RPL+DiffEEL_v2 | 72.49 | 32.86 |" in md and "cow & calf" in md
    tex = render(DOC, "latex")
    assert r"RPL+DiffEEL\_v2 & 72.49 & 32.86" in tex and r"urban\_road" in tex
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 4  # Table II, weather, landform, types
    assert "cow \\& calf" in tex


def test_json_round_trips_and_every_format_renders() -> None:
    assert json.loads(render(DOC, "json")) == DOC
    for fmt in FORMATS:
        assert render(DOC, fmt).endswith("\n")
    with pytest.raises(UsageError, match="html"):
        render(DOC, "html")


def test_helpers() -> None:
    assert pct(0.005) == "0.50" and pct(1.0) == "100.00" and pct(None) == "n/a"
    assert latex_escape("a_b%") == r"a\_b\%"
    no_manifest = {**DOC, "archive": {"sha256": "x", "manifest": None}}
    assert "predictions" in render(no_manifest, "table")
