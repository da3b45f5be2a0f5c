"""The whole study pipeline at smoke size: structure of summary.json, determinism, reuse, and no test leakage.

Runs ``scripts/synthetic_study.py --smoke`` (1 seed, a handful of steps) twice, into two separate folders: the
second run renders its own data (banks, composed sets, the tiny diffusion pipeline) and trains every model again,
and every number must be identical. A third run with ``--reuse`` in the first folder takes every checkpoint (same
config hash) and still gives the same numbers.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "synthetic_study.py"


def _script():  # the script is not a package module: load it from its file
    spec = importlib.util.spec_from_file_location("synthetic_study_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _numbers(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "run_info"}


@pytest.mark.slow
def test_smoke_study_structure_determinism_and_reuse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main = _script().main
    out = tmp_path / "study"
    assert main(["--out", str(out), "--smoke"]) == 0
    first = json.loads((out / "summary.json").read_text())
    other = tmp_path / "study-again"  # an independent run: nothing of the first folder is shared
    assert main(["--out", str(other), "--smoke"]) == 0
    second = json.loads((other / "summary.json").read_text())
    assert second["run_info"]["reused_runs"] == 0 and second["run_info"]["out"] != first["run_info"]["out"]
    assert second["data"]["fingerprint"] == first["data"]["fingerprint"]
    assert json.dumps(_numbers(first), sort_keys=True) == json.dumps(_numbers(second), sort_keys=True)
    assert main(["--out", str(out), "--smoke", "--reuse"]) == 0
    third = json.loads((out / "summary.json").read_text())
    assert third["run_info"]["reused_runs"] == len(third["run_info"]["runs"]) > 0
    assert json.dumps(_numbers(third), sort_keys=True) == json.dumps(_numbers(first), sort_keys=True)

    env = first["environment"]
    assert env["torch_threads"] == 1 and env["deterministic_algorithms"] is True
    assert env["torch"] and env["numpy"] and first["protocol"]["seeds"] == [0]
    splits = first["data"]["object_splits"]
    assert not set(splits["train"]["kinds"]) & set(splits["test"]["kinds"])
    for name, m in first["methods"].items():
        for split in ("whole", "clear", "adverse"):
            for metric in ("auprc", "fpr95"):
                stat = m["test"][split][metric]
                assert set(stat) == {"mean", "per_seed", "seed_interval", "image_interval"}, name
                assert 0.0 <= stat["mean"] <= 1.0 and len(stat["per_seed"]) == len(m["seeds"])
                lo, hi = stat["image_interval"]
                assert lo <= hi
    assert first["methods"]["smoke_diffusion_objects"]["smoke"] is True
    assert first["ablation_table5"] == [
        "table5_copy_paste",
        "table5_harmonized_energy",
        "table5_eel_score",
        "table5_eel_loss",
    ]
    for c in first["comparisons"].values():
        w = c["whole"]["auprc"]
        a, b = first["methods"][c["a"]], first["methods"][c["b"]]
        assert abs(w["mean_diff"] - (a["test"]["whole"]["auprc"]["mean"] - b["test"]["whole"]["auprc"]["mean"])) < 1e-12
    # the selection used validation numbers only: the chosen candidate is the row's validation result
    for name in ("table5_copy_paste", "table5_harmonized_energy", "table5_eel_loss", "rpl_eel_tuned"):
        chosen = first["selection"][name]["chosen"]
        row = first["methods"][name]
        assert (chosen["score"], chosen["lam"]) == (row["score"], row["lam"])
        assert abs(chosen["auprc"] - row["val"]["whole"]["auprc"]["mean"]) < 1e-12
    assert {c["comparison"] for c in first["claims"]} <= set(first["comparisons"])
    text = (out / "results.md").read_text()
    assert "| `table5_eel_loss` |" in text and "claim of the paper" in text
    assert "wrote" in capsys.readouterr().out


def test_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    main = _script().main
    assert main(["--out", str(tmp_path), "--quick", "--smoke"]) == 2
    assert main(["--out", str(tmp_path), "--threads", "0"]) == 2
    assert not (tmp_path / "summary.json").exists()
