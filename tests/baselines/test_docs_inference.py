"""Every command of docs/baselines.md's zero-shot and released-weights sections runs, with tiny models in place of
the Hub downloads and of the official checkpoints (same file layouts), on the bundled sample at 64x36."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.baselines.doccommands import bash_lines, run_lines

SECTIONS = ("### Scoring any model (zero-shot)", "### Released weights and the one saved-model format")


def _infer(argv: list[str]) -> int:
    from baselines.cli.infer import main

    return main([*argv, "--device", "cpu", "--input-size", "64x36", "--quiet"])


def _eval(argv: list[str]) -> int:
    from comsamy.cli.eval import main

    return main(argv)


def _python(argv: list[str]) -> int:
    if argv[0] == "-c":
        exec(compile(argv[1], "<docs>", "exec"), {})
        return 0
    assert argv[:2] == ["-m", "baselines.mask2anomaly.convert"], argv
    from baselines.mask2anomaly.convert import main

    return main(argv[2:])


@pytest.mark.slow
def test_documented_inference_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants
    from PIL import Image

    from baselines.checkpoint import save_checkpoint
    from baselines.registry import create_baseline
    from tests.baselines.blfixtures import TINY, scene
    from tests.baselines.hf.tiny_models import tiny_mask2former, tiny_segformer
    from tests.baselines.mask2anomaly.helpers import make_tiny
    from tests.baselines.mask2anomaly.test_weights import _official_state
    from tests.baselines.test_safe_load import _rpl_release

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.chdir(tmp_path)
    torch.set_num_threads(1)
    segformer = tiny_segformer(tmp_path / "hub" / "segformer")
    mask2former = tiny_mask2former(tmp_path / "hub" / "mask2former")
    (tmp_path / "my_photos").mkdir()
    for i in range(2):
        Image.fromarray(scene(i, 36, 64)[0]).save(tmp_path / "my_photos" / f"street{i}.jpg")
    _rpl_release(tmp_path / "rpl_official.pth")
    save_checkpoint(
        tmp_path / "runs" / "tiny" / "rpl_eel_cli" / "last.pt",
        {
            "model_name": "rpl_eel",
            "model_config": dict(TINY),
            "model": create_baseline("rpl_eel", **TINY).state_dict(),
            "step": 3,
        },
    )
    torch.save(
        {"model": _official_state(make_tiny(seed=4, num_attention_heads=8)), "iteration": np.int64(4999)},
        tmp_path / "mask2anomaly_official.pth",
    )

    lines = [line for section in SECTIONS for line in bash_lines("baselines.md", section=section)]
    done = run_lines(
        lines,
        {"comsamy-infer": _infer, "comsamy-eval": _eval, "python": _python},
        substitute={
            "nvidia/segformer-b0-finetuned-cityscapes-1024-1024": str(segformer),
            "facebook/mask2former-swin-tiny-cityscapes-semantic": str(mask2former),
        },
    )
    assert len(done) == len(lines) >= 9
    kinds = {}
    for name in ("segformer_msp.zip", "m2f_eel.zip", "preds_rpl.zip", "rpl_tiny.zip", "m2a.zip"):
        with zipfile.ZipFile(tmp_path / name) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            assert len([n for n in zf.namelist() if n.endswith(".npy")]) == 49, name
        kinds[name] = manifest["model_kind"]
    assert kinds == {
        "segformer_msp.zip": "transformers",
        "m2f_eel.zip": "transformers",
        "preds_rpl.zip": "weights",
        "rpl_tiny.zip": "pretrained",
        "m2a.zip": "pretrained",
    }
    assert sorted(p.name for p in (tmp_path / "my_maps").iterdir()) == ["manifest.json", "street0.npy", "street1.npy"]
    assert np.load(tmp_path / "my_maps" / "street0.npy").shape == (36, 64)
