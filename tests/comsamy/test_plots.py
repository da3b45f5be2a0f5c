"""``comsamy.plots.write_plots``: every figure is a PNG plus the CSV of exactly the numbers drawn."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from comsamy.errors import UsageError
from comsamy.evaluation.report import EvaluationReport, EvaluationSettings
from comsamy.metrics import MetricAccumulator, compute_metrics
from comsamy.plots import robustness_table, write_plots

pytest.importorskip("matplotlib")

SEVERITIES = (0.25, 0.5, 0.75)


def _report(*, severity: bool, ci: bool) -> EvaluationReport:
    rng = np.random.default_rng(0)
    acc = MetricAccumulator()
    k = 0
    for weather in ("clear", "fog", "night"):
        for sev in SEVERITIES:
            for _ in range(2):
                lab = (rng.random((12, 16)) < 0.15).astype(np.uint8)
                lab[0, :3] = 255
                noise = 0.3 + (sev if weather != "clear" else 0.0)
                scores = (lab + rng.normal(0, noise, lab.shape)).astype(np.float16)
                meta = {"weather": weather, "landform": ("forest", "desert")[k % 2]}
                if severity:
                    meta["severity"] = sev
                acc.update(f"im{k}", scores, lab, meta)
                k += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = acc.compute()
    if ci:
        weathers = result.by_condition["weather"]
        for w, m in weathers.items():
            weathers[w] = m.with_ci(
                {
                    "auprc": (m.auprc - 0.05, min(1.0, m.auprc + 0.03)),
                    "fpr95": (max(0.0, m.fpr95 - 0.1), m.fpr95 + 0.02),
                }
            )
    return EvaluationReport(result, {"name": "synthetic"}, "0" * 64, None, EvaluationSettings(), "0", acc)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow  # four figures drawn: ~7 s on the loaded 2-core machine
def test_weather_severity_data_gets_every_figure_with_error_bars(tmp_path: Path) -> None:
    report = _report(severity=True, ci=True)
    written = write_plots(report, tmp_path / "figs")
    assert [p.name for p in written] == [
        "pr_curves.png",
        "pr_curves.csv",
        "roc_curves.png",
        "roc_curves.csv",
        "weather_bars.png",
        "weather_bars.csv",
        "robustness.png",
        "robustness.csv",
    ]
    for png in (p for p in written if p.suffix == ".png"):
        with Image.open(png) as img:
            assert img.format == "PNG" and img.width >= 800
    bars = {r["weather"]: r for r in _rows(tmp_path / "figs" / "weather_bars.csv")}
    assert list(bars) == ["clear", "night", "fog"]  # the vocabulary's order
    fog = report.by_condition["weather"]["fog"]
    assert float(bars["fog"]["auprc"]) == pytest.approx(100 * fog.auprc)
    assert float(bars["fog"]["auprc_lo"]) == pytest.approx(100 * (fog.auprc - 0.05))
    assert float(bars["fog"]["fpr95_hi"]) == pytest.approx(100 * (fog.fpr95 + 0.02))
    robust = _rows(tmp_path / "figs" / "robustness.csv")
    assert len(robust) == 9 and {r["num_images"] for r in robust} == {"2"}
    acc = report.accumulator
    ids = [i for i in acc.image_ids if acc.metadata(i)["weather"] == "night" and acc.metadata(i)["severity"] == 0.5]
    night = next(r for r in robust if r["weather"] == "night" and float(r["severity"]) == 0.5)
    assert float(night["auprc"]) == pytest.approx(100 * compute_metrics(acc.histogram(ids)).auprc)


def test_curve_csv_holds_one_curve_per_condition(tmp_path: Path) -> None:
    report = _report(severity=False, ci=False)
    write_plots(report, tmp_path)
    rows = _rows(tmp_path / "pr_curves.csv")
    curves = {(r["group"], r["condition"]) for r in rows}
    assert curves == {
        ("split", "all"),
        ("split", "clear"),
        ("split", "adverse"),
        ("weather", "all"),
        ("weather", "clear"),
        ("weather", "fog"),
        ("weather", "night"),
        ("landform", "all"),
        ("landform", "forest"),
        ("landform", "desert"),
    }
    last = {(r["group"], r["condition"]): r for r in rows}  # the last point of each curve: recall 1
    assert all(float(r["recall"]) == 1.0 for r in last.values())
    roc = _rows(tmp_path / "roc_curves.csv")
    assert float(roc[0]["fpr"]) == 0.0 and float(roc[0]["tpr"]) == 0.0 and roc[0]["threshold"] == "inf"
    assert not (tmp_path / "robustness.png").exists()  # no severity column
    assert robustness_table(report) == []


def test_unwritable_folder_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match=r"--plots .*a-file/sub: expected a writable folder"):
        write_plots(_report(severity=False, ci=False), blocker / "sub")
