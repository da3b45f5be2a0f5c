"""Every command of docs/synthesis.md's bash blocks runs, in order, at test size (tiny SD pipeline, tiny COCO)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.baselines.doccommands import bash_lines, run_lines

#: appended per sub-command: a tiny generation, thresholds for the 80x60 COCO fixture, no progress bars
SYNTH_TEST_SIZE = {
    "objects": ["--steps", "2", "--size", "64", "--batch-size", "2", "--device", "cpu", "--no-progress"],
    "bank-from-coco": ["--min-area", "30", "--min-image-side", "40", "--no-progress"],
    "compose": ["--no-progress"],
}


def _synth(argv: list[str]) -> int:
    from baselines.synthesis.cli import main

    return main([*argv, *SYNTH_TEST_SIZE[argv[0]]])


def _train(argv: list[str]) -> int:
    from tests.baselines.test_docs_training import _train as train_at_test_size

    return train_at_test_size(argv)


@pytest.mark.slow
def test_documented_synthesis_sequence_runs(
    tiny_sd_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.baselines.synthesis.test_coco import write_coco

    monkeypatch.chdir(tmp_path)
    shutil.copytree(tiny_sd_path, tmp_path / "runs" / "sd")
    write_coco(tmp_path / "coco")
    lines = bash_lines("synthesis.md")
    done = run_lines(lines, {"comsamy-synth": _synth, "comsamy-train": _train})
    assert [line.split()[1] for line in done if line.startswith("comsamy-synth")] == [
        "objects",
        "bank-from-coco",
        "compose",
        "compose",
    ]
    assert (tmp_path / "runs" / "tiny" / "rpl_eel_synth" / "last.pt").is_file()
    assert len(list((tmp_path / "runs" / "bank_coco" / "images").glob("*.png"))) == 2
