"""Every command of docs/mask2anomaly.md runs, in order, at test size (tiny model, a few steps, the sample at 64x36;
local tiny checkpoints in place of the Hub backbone and of the official checkpoint)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.baselines.doccommands import bash_lines, run_lines

ROOT = Path(__file__).resolve().parents[3]
TRAIN_TEST_SIZE = [
    "steps=2",
    "log_every=1",
    "ckpt_every=2",
    "batch_size=2",
    "data.resize=[96,64]",
    "data.crop_size=64",
    "device=cpu",
    "threads=1",
    "num_workers=0",
    "model_config.size=tiny",
    "--quiet",
]


def _train(argv: list[str]) -> int:
    from baselines.cli.train import main

    return main([*argv, *TRAIN_TEST_SIZE])


def _infer(argv: list[str]) -> int:
    from baselines.cli.infer import main

    return main([*argv, "--device", "cpu", "--input-size", "64x36", "--quiet"])


def _eval(argv: list[str]) -> int:
    from comsamy.cli.eval import main

    return main(argv)


def _python(argv: list[str]) -> int:
    if argv[:2] == ["-m", "baselines.mask2anomaly.convert"]:
        from baselines.mask2anomaly.convert import main

        return main([*argv[2:], "--heads", "2"])
    assert argv[0] == "scripts/bench_mask2anomaly_step.py", argv
    return subprocess.run(
        [sys.executable, str(ROOT / argv[0]), *argv[1:]], check=False, timeout=600, capture_output=True
    ).returncode


@pytest.mark.slow
def test_documented_mask2anomaly_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    from tests.baselines.blfixtures import write_bank
    from tests.baselines.mask2anomaly.helpers import make_tiny
    from tests.baselines.mask2anomaly.test_weights import _official_state, _save_resnet
    from tests.baselines.test_data import write_cityscapes

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.chdir(tmp_path)
    write_cityscapes(tmp_path / "cityscapes")
    write_bank(tmp_path / "runs" / "coco_bank")
    resnet = _save_resnet(tmp_path / "hub" / "resnet-50")
    torch.save(
        {"model": _official_state(make_tiny(seed=8)), "iteration": np.int64(4999)},
        tmp_path / "mask2anomaly_official.pth",
    )
    lines = bash_lines("mask2anomaly.md")
    done = run_lines(
        lines,
        {"comsamy-train": _train, "comsamy-infer": _infer, "comsamy-eval": _eval, "python": _python},
        substitute={
            "/data/cityscapes": str(tmp_path / "cityscapes"),
            "microsoft/resnet-50": str(resnet),
            "--steps 20": "--steps 1",
        },
    )
    assert len(done) == len(lines) >= 7
    assert (tmp_path / "m2a.zip").is_file() and (tmp_path / "preds_m2a.zip").is_file()
    assert (tmp_path / "runs" / "mask2anomaly_diffeel" / "last.pt").is_file()
