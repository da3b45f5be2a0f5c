"""``comsamy-eval --components`` and ``--plots`` through the CLI (the documented commands)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PIL import Image

from comsamy.cli.eval import main

KEYS = {"siou", "ppv", "mean_f1", "threshold", "num_gt_components", "num_pred_components"}


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, Path]:
    root = tmp_path_factory.mktemp("evalcomp")
    out, plots = root / "r.json", root / "plots"
    code = main(
        [
            "--preds",
            "sample",
            "--components",
            "--out",
            str(out),
            "--plots",
            str(plots),
            "--workers",
            "1",
            "--per-image",
            str(root / "images.csv"),
        ]
    )
    return code, out, plots


def test_components_json_has_the_keys_for_every_condition(sample_run) -> None:
    code, out, _ = sample_run
    assert code == 0
    doc = json.loads(out.read_text())
    assert set(doc["overall"]["components"]) == KEYS
    assert doc["overall"]["components"]["num_gt_components"] > 0
    groups = doc["by_condition"]
    assert {"split", "weather", "landform", "anomaly_type"} <= set(groups)
    for values in groups.values():
        for metrics in values.values():
            assert set(metrics["components"]) == KEYS
            assert metrics["components"]["threshold"] == doc["settings"]["components"]["threshold"]
    # the conditions' component counts add up: clear + adverse = all
    split = groups["split"]
    assert (
        sum(split[s]["components"]["num_gt_components"] for s in split)
        == doc["overall"]["components"]["num_gt_components"]
    )


def test_per_image_csv_has_component_counts_that_add_up(sample_run) -> None:
    _, out, _ = sample_run
    doc = json.loads(out.read_text())
    with (out.parent / "images.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == doc["dataset"]["num_images"]
    total = doc["overall"]["components"]
    assert sum(int(r["num_gt_components"]) for r in rows) == total["num_gt_components"]
    assert sum(int(r["num_pred_components"]) for r in rows) == total["num_pred_components"]
    for r in rows:  # TP + FN = ground-truth components at every τ
        assert int(r["tp_50"]) + int(r["fn_50"]) == int(r["num_gt_components"])
        assert int(r["fp_25"]) <= int(r["fp_50"]) <= int(r["fp_75"]) <= int(r["num_pred_components"])


def test_plots_are_written_as_png_and_csv(sample_run) -> None:
    _code, out, plots = sample_run
    names = sorted(p.name for p in plots.iterdir())
    assert names == [
        "pr_curves.csv",
        "pr_curves.png",
        "roc_curves.csv",
        "roc_curves.png",
        "weather_bars.csv",
        "weather_bars.png",
    ]  # the sample has no severity column: no robustness figure
    for png in plots.glob("*.png"):
        with Image.open(png) as img:
            assert img.format == "PNG" and img.width > 600 and img.height > 300
    doc = json.loads(out.read_text())
    with (plots / "weather_bars.csv").open() as f:
        rows = {r["weather"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(doc["by_condition"]["weather"])
    for weather, row in rows.items():
        assert float(row["auprc"]) == pytest.approx(100 * doc["by_condition"]["weather"][weather]["auprc"])


def test_bad_component_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--preds", "sample", "--components", "--component-threshold", "best"]) == 2
    assert "expected 'best-f1' or a number, got 'best'" in capsys.readouterr().err
    assert main(["--preds", "sample", "--components", "--min-pred-size", "-1"]) == 2
    assert "expected a non-negative integer, got -1" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["--preds", "sample", "--plots", str(blocker / "sub"), "--workers", "1"]) == 2
    assert f"--plots {blocker / 'sub'}: expected a writable folder" in capsys.readouterr().err


def test_fixed_threshold_and_obstacle_track_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--preds",
            "sample",
            "--components",
            "--component-threshold",
            "0.5",
            "--min-pred-size",
            "50",
            "--min-gt-size",
            "10",
            "--format",
            "json",
            "--workers",
            "1",
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["settings"]["components"] | {"prediction": ""} == {
        "threshold_rule": "fixed",
        "threshold": 0.5,
        "min_pred_size": 50,
        "min_gt_size": 10,
        "prediction": "",
    }
    assert doc["overall"]["components"]["threshold"] == 0.5
