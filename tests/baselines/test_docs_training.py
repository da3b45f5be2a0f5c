"""Every command of docs/baselines.md's Training and Inference sections runs, in the documented order, at test size."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.baselines.doccommands import bash_lines, run_lines

#: appended to every documented comsamy-train line: a few tiny steps on small crops (one thread)
TRAIN_TEST_SIZE = [
    "steps=2",
    "log_every=1",
    "ckpt_every=2",
    "batch_size=2",
    "data.resize=[64,36]",
    "data.crop_size=32",
    "device=cpu",
    "threads=1",
    "num_workers=0",
    "model_config.width=0.0625",
    "model_config.structure=[1,1,1,1,1,1]",
    "--quiet",
]


def _python(argv: list[str]) -> int:
    assert argv[0] == "-c", argv
    exec(compile(argv[1], "<docs>", "exec"), {})
    return 0


def _train(argv: list[str]) -> int:
    from baselines.cli.train import main

    return main([*argv, *TRAIN_TEST_SIZE])


def _torchrun(argv: list[str]) -> int:
    # the same arguments as one process (test_ddp.py runs the packaged rpl_eel config under torchrun itself)
    module = argv.index("-m")
    assert argv[module + 1] == "baselines.cli.train" and argv[:module] == ["--nproc_per_node", "4"]
    return _train(argv[module + 2 :])


def _infer(argv: list[str]) -> int:
    from baselines.cli.infer import main

    return main([*argv, "--device", "cpu", "--input-size", "64x36", "--quiet"])


def _eval(argv: list[str]) -> int:
    from comsamy.cli.eval import main

    return main(argv)


@pytest.mark.slow
def test_documented_training_sequence_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.baselines.blfixtures import write_bank
    from tests.baselines.test_data import write_cityscapes

    monkeypatch.chdir(tmp_path)
    write_cityscapes(tmp_path / "cityscapes")
    write_bank(tmp_path / "runs" / "coco_bank")
    lines = bash_lines("baselines.md", section="### Training") + bash_lines("baselines.md", section="### Inference")
    runners = {
        "python": _python,
        "comsamy-train": _train,
        "torchrun": _torchrun,
        "comsamy-infer": _infer,
        "comsamy-eval": _eval,
    }
    done = run_lines(lines, runners, substitute={"/data/cityscapes": str(tmp_path / "cityscapes")})
    assert sum(line.startswith("comsamy-train") for line in done) >= 5 and any("cityscapes:" in x for x in done)
    assert (tmp_path / "runs" / "tiny" / "rpl_eel_cli" / "last.pt").is_file() and (tmp_path / "preds.zip").is_file()
