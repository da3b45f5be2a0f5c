"""comsamy-synth called as main(argv): outputs and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from baselines.synthesis.cli import main


def test_compose_command_from_a_dataset_folder(inliers, bank, tmp_path: Path, capsys):
    src = tmp_path / "inliers"
    (src / "data").mkdir(parents=True)
    inliers.to_parquet(str(src / "data" / "train-00000-of-00001.parquet"))
    (src / "README.md").write_text(
        "---\nconfigs:\n- config_name: inliers\n  data_files:\n  - split: train\n    path: data/train-*.parquet\n---\n"
    )
    out = tmp_path / "out"
    rc = main(
        [
            "compose",
            "--inliers",
            str(src),
            "--objects",
            str(bank),
            "--objects",
            str(bank),
            "--out",
            str(out),
            "--count",
            "3",
            "--seed",
            "2",
            "--mode",
            "copy-paste",
            "--anomaly-id",
            "20",
            "--objects-per-image",
            "1-2",
            "--no-progress",
        ]
    )
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["generated"] == 3 and summary["assembled"]
    recs = [json.loads(x) for x in (out / "provenance.jsonl").read_text().splitlines()]
    assert all(r["anomaly_id"] == 20 and 1 <= len(r["objects"]) <= 2 for r in recs)
    assert {o["bank_index"] for r in recs for o in r["objects"]} <= {0, 1}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--objects", "MISSING"], 2, "expected a bank folder"),
        (["--anomaly-id", "3"], 2, "--anomaly-id"),
        (["--objects-per-image", "x"], 2, "--objects-per-image"),
        (["--inliers", "/no/such/folder"], 4, "expected a ComsAmy dataset folder"),
    ],
)
def test_compose_errors_map_to_exit_codes(bank, tmp_path: Path, capsys, args, code, message):
    base = {"--inliers": "sample", "--objects": str(bank), "--out": str(tmp_path / "o"), "--count": "1"}
    base.update(zip(args[::2], args[1::2], strict=True))
    argv = ["compose"] + [x for kv in base.items() for x in kv] + ["--no-progress"]
    assert main(argv) == code
    assert message in capsys.readouterr().err


def test_objects_command_missing_generator(tmp_path: Path, capsys):
    (tmp_path / "sd").mkdir()
    assert (
        main(
            [
                "objects",
                "--generator",
                str(tmp_path / "sd"),
                "--out",
                str(tmp_path / "b"),
                "--count",
                "1",
                "--device",
                "cpu",
                "--no-progress",
            ]
        )
        == 2
    )
    assert "model_index.json" in capsys.readouterr().err


def test_runner_handles_help_usage_and_harmonizer_mode(bank, tmp_path: Path, capsys):
    assert main(["--help"]) == 0
    assert "bank-from-coco" in capsys.readouterr().out
    assert (
        main(
            [
                "compose",
                "--inliers",
                "sample",
                "--objects",
                str(bank),
                "--out",
                str(tmp_path / "o"),
                "--count",
                "1",
                "--placement",
                "sky",
            ]
        )
        == 2
    )
    assert "invalid choice: 'sky'" in capsys.readouterr().err
    (tmp_path / "h.pth").write_bytes(b"")
    assert (
        main(
            [
                "compose",
                "--inliers",
                "sample",
                "--objects",
                str(bank),
                "--out",
                str(tmp_path / "o"),
                "--count",
                "1",
                "--mode",
                "copy-paste",
                "--harmonizer",
                str(tmp_path / "h.pth"),
                "--no-progress",
            ]
        )
        == 2
    )
    assert "--harmonizer: expected --mode harmonized" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
