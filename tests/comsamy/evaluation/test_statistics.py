"""evaluate_archive's statistics beyond the pooled metrics: bootstrap intervals, paired comparison, per-image rows,
benchmark names, the Table III summary and the robustness summary."""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from comsamy.errors import UsageError
from comsamy.evaluation import evaluate_archive
from comsamy.evaluation.per_image import per_image_csv
from comsamy.evaluation.summary import benchmark_summary, load_results, robustness_summary
from comsamy.metrics import MetricAccumulator
from comsamy.metrics.bootstrap import bootstrap_intervals
from comsamy.metrics.definitions import METRIC_NAMES
from comsamy.report_format import render, render_summary
from tests.comsamy.evaluation import evalfixtures as ef

SHAPE = (6, 8)
IDS = tuple(f"im{k}" for k in range(8))


def _items() -> list[ef.Item]:
    rng = np.random.default_rng(3)
    items = []
    for k, image_id in enumerate(IDS):
        label = (rng.random(SHAPE) < 0.3).astype(np.uint8)
        label[0, :3] = (1, 0, 255)
        if k == 5:
            label[label == 1] = 0  # one image without anomaly pixels: per-image metrics undefined
        items.append(
            ef.Item(image_id, label, weather=("clear", "fog")[k % 2], landform="forest", anomaly_types=["animal"])
        )
    return items


def _scores(items: list[ef.Item], signal: float, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {it.id: (signal * (it.label == 1) + rng.random(SHAPE)).astype(np.float16) for it in items}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("stats")
    items = _items()
    return {
        "items": items,
        "ds": ef.build_dataset(items),
        "good": ef.write_archive(root / "good.zip", _scores(items, 0.9, 1), manifest={"method": "good"}),
        "bad": ef.write_archive(root / "bad.zip", _scores(items, 0.1, 2), manifest={"method": "bad"}),
    }


def _evaluate(path: Path, ds, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evaluate_archive(path, ds, progress=False, **{"workers": 1, **kwargs})


def test_bootstrap_intervals_in_every_metrics_object(setup) -> None:
    report = _evaluate(setup["good"], setup["ds"], bootstrap=200, seed=4)
    doc = report.to_dict()
    assert doc["settings"]["bootstrap"] == {"resamples": 200, "seed": 4, "ci_level": 0.95}
    cells = [doc["overall"], *(c for values in doc["by_condition"].values() for c in values.values())]
    for cell in cells:
        assert set(cell["ci"]) == set(METRIC_NAMES)
        for name in METRIC_NAMES:
            lo, hi = cell["ci"][name]
            assert lo <= cell[name] <= hi
    # the same numbers as the pure function on the stored per-image histograms (no re-read)
    hists = [report.accumulator.image_histogram(i) for i in IDS]
    direct = bootstrap_intervals(hists, n=200, seed=4)
    assert {k: list(v) for k, v in direct.items()} == doc["overall"]["ci"]
    json.dumps(doc, allow_nan=False)


@pytest.mark.slow
def test_bootstrap_does_not_depend_on_workers(setup) -> None:
    one = _evaluate(setup["good"], setup["ds"], bootstrap=50, seed=1, workers=1).to_dict()
    two = _evaluate(setup["good"], setup["ds"], bootstrap=50, seed=1, workers=2).to_dict()
    assert one["overall"] == two["overall"] and one["by_condition"] == two["by_condition"]


def test_bad_bootstrap_options_fail_before_scoring(setup) -> None:
    with pytest.raises(UsageError, match="ci_level: expected a level strictly between 0 and 1"):
        _evaluate(setup["good"], setup["ds"], bootstrap=10, ci_level=1.5)
    with pytest.raises(UsageError, match="bootstrap: expected a positive number of resamples, got -3"):
        _evaluate(setup["good"], setup["ds"], bootstrap=-3)


def test_paired_comparison_mirrors_overall_and_conditions(setup) -> None:
    good, bad = _evaluate(setup["good"], setup["ds"]), _evaluate(setup["bad"], setup["ds"])
    doc = good.compare(bad, n=300, seed=2).to_dict()
    comp = doc["comparison"]
    assert comp["against"]["manifest"]["method"] == "bad"
    assert set(comp["by_condition"]) == set(doc["by_condition"])
    for group, values in doc["by_condition"].items():
        assert set(comp["by_condition"][group]) == set(values)
    auprc = comp["overall"]["auprc"]
    assert auprc["difference"] == pytest.approx(good.overall.auprc - bad.overall.auprc, abs=1e-15)
    assert 0 < auprc["ci"][0] <= auprc["difference"] <= auprc["ci"][1]
    assert auprc["p_value"] < 0.05
    same = good.compare(good, n=20, seed=0).to_dict()["comparison"]["overall"]["fpr95"]
    assert same == {"difference": 0.0, "ci": [0.0, 0.0], "p_value": 1.0}
    text = render(doc, "table")
    assert "Paired comparison A = good vs B = bad" in text and "n.s." not in text.split("Paired")[1].split("\n")[3]


def test_compare_refuses_another_dataset(setup) -> None:
    other_items = _items()[:4]
    other = ef.write_archive(Path(setup["good"]).parent / "four.zip", _scores(other_items, 0.5, 7))
    small = _evaluate(other, ef.build_dataset(other_items))
    with pytest.raises(UsageError, match="--compare: expected both archives scored on the same dataset split"):
        _evaluate(setup["good"], setup["ds"]).compare(small, n=5)


def test_per_image_rows(setup) -> None:
    report = _evaluate(setup["good"], setup["ds"])
    rows = list(csv.DictReader(io.StringIO(per_image_csv(report))))
    assert [r["id"] for r in rows] == list(IDS)
    assert list(rows[0])[:4] == ["id", "weather", "landform", "anomaly_types"]
    per = report.accumulator.per_image()
    for r in rows:
        want = per[r["id"]]
        label = next(it.label for it in setup["items"] if it.id == r["id"])
        assert float(r["anomaly_fraction"]) == pytest.approx((label == 1).sum() / (label != 255).sum())
        if r["id"] == "im5":
            assert r["auprc"] == r["fpr95"] == r["auroc"] == ""  # undefined: empty, never 0
        else:
            assert float(r["auprc"]) == want.auprc and float(r["tpr_at_5fpr"]) == want.tpr_at_5fpr
    assert rows[1]["weather"] == "fog" and json.loads(rows[0]["anomaly_types"]) == ["animal"]


def test_benchmark_name_from_the_dataset_card(tmp_path: Path, setup) -> None:
    folder = ef.build_dataset_folder(tmp_path / "ra21", setup["items"])
    card = (folder / "README.md").read_text()
    (folder / "README.md").write_text(card.replace("---\nconfigs:", "---\nbenchmark: roadanomaly21\nconfigs:", 1))
    doc = _evaluate(setup["good"], str(folder)).to_dict()
    assert doc["dataset"]["benchmark"] == "roadanomaly21"
    assert "benchmark roadanomaly21" in render(doc, "table").splitlines()[0]


def _doc(method: str, bench: str, auprc: float | None, fpr95: float | None) -> dict:
    return {
        "dataset": {"name": f"/data/{bench}", "benchmark": bench},
        "archive": {"manifest": {"method": method}},
        "overall": {"auprc": auprc, "fpr95": fpr95},
    }


def test_table_iii_summary() -> None:
    docs = [
        _doc("A", "fs_laf", 0.5, 0.2),
        _doc("A", "ra21", 0.7, 0.1),
        _doc("B", "fs_laf", 0.4, None),
        _doc("B", "ra21", 0.6, 0.3),
    ]
    summary = benchmark_summary(docs)
    assert summary.benchmarks == ("fs_laf", "ra21") and summary.methods == ("A", "B")
    assert summary.means["A"] == pytest.approx({"auprc": 0.6, "fpr95": 0.15})
    assert summary.means["B"]["fpr95"] is None  # a benchmark without the value: no mean
    lines = render_summary(docs, "table").splitlines()
    assert lines[2].split() == [
        "Method",
        "fs_laf",
        "AUPRC",
        "↑",
        "fs_laf",
        "FPR95",
        "↓",
        "ra21",
        "AUPRC",
        "↑",
        "ra21",
        "FPR95",
        "↓",
        "Mean",
        "AUPRC",
        "↑",
        "Mean",
        "FPR95",
        "↓",
    ]
    assert lines[4].split() == ["A", "50.00", "20.00", "70.00", "10.00", "60.00", "15.00"]
    assert lines[5].split()[-1] == "n/a"
    tex = render_summary(docs, "latex")
    assert r"\multicolumn{2}{c}{fs\_laf}" in tex and "A & 50.00 & 20.00 & 70.00 & 10.00 & 60.00 & 15.00" in tex
    with pytest.raises(UsageError, match="expected each method once per benchmark, got 'A' twice on 'ra21'"):
        benchmark_summary([*docs, _doc("A", "ra21", 0.1, 0.1)])


def test_load_results_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UsageError, match="bad.json: expected a results JSON document"):
        load_results([bad])
    bad.write_text('{"overall": {}}')
    with pytest.raises(UsageError, match=r"bad.json: expected a results document with 'dataset' and 'overall'"):
        load_results([bad])
    for bad_value in ('"0.5"', "true", "1.5", "NaN"):
        bad.write_text('{"dataset": {}, "overall": {"auprc": ' + bad_value + "}}")
        with pytest.raises(UsageError, match=r"bad.json: expected overall.auprc to be a fraction in \[0, 1\] or null"):
            load_results([bad])
    with pytest.raises(UsageError, match="missing.json: expected a readable results file"):
        load_results([tmp_path / "missing.json"])


def test_robustness_summary_per_severity_and_weather() -> None:
    rng = np.random.default_rng(5)
    acc = MetricAccumulator()
    for k in range(12):
        weather, severity = ("fog", "rain")[k % 2], (0, 1, 2)[k // 4]
        y = (rng.random((5, 7)) < 0.3).astype(np.uint8)
        y[0, :2] = (0, 1)
        s = (y * (1.0 - 0.4 * severity) + rng.random(y.shape)).astype(np.float16)
        acc.update(f"{weather}{k}", s, y, {"weather": weather, "severity": severity})
    doc = acc.compute().to_dict()
    assert list(doc["by_condition"]["severity"]) == ["0", "1", "2"]
    assert list(doc["by_condition"]["weather_severity"])[:2] == ["rain@0", "rain@1"]  # WEATHERS order
    rows = {(r.group, r.value): r for r in robustness_summary(doc)}
    sev = doc["by_condition"]["severity"]
    assert rows[("severity", "0")].auprc_drop == 0.0
    assert rows[("severity", "2")].auprc_drop == pytest.approx(sev["2"]["auprc"] - sev["0"]["auprc"])
    assert rows[("severity", "2")].auprc_drop < 0  # weaker signal at higher severity
    assert rows[("weather_severity", "fog@2")].fpr95_rise == pytest.approx(
        doc["by_condition"]["weather_severity"]["fog@2"]["fpr95"] - sev["0"]["fpr95"]
    )
    full = {"overall": doc["overall"], "by_condition": doc["by_condition"], "dataset": {}, "settings": {}}
    assert "Robustness" in render(full, "table") and "Robustness" in render(full, "markdown")
    assert robustness_summary({"by_condition": {"weather": {}}}) == []


def test_every_definition_name_has_its_wording() -> None:
    from comsamy.evaluation.report import DEFINITIONS
    from comsamy.metrics.definitions import AUPRC_DEFINITIONS, FPR95_DEFINITIONS

    assert tuple(DEFINITIONS["fpr95"]) == FPR95_DEFINITIONS and tuple(DEFINITIONS["auprc"]) == AUPRC_DEFINITIONS
    assert all(name in DEFINITIONS for name in ("auroc", "tpr_at_5fpr", "bootstrap", "pooling"))
