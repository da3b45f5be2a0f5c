"""DDP through torchrun with the same command: two CPU processes (gloo) on the bundled sample."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from baselines.checkpoint import load_checkpoint


@pytest.mark.slow
def test_torchrun_two_processes(tmp_path: Path) -> None:
    pytest.importorskip("comsamy.data.loading")
    if not torch.distributed.is_available():
        pytest.skip("torch.distributed is not available")
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "baselines.cli.train",
        "rpl_eel",  # the packaged config, as docs/baselines.md runs it
        "model_config.pretrained=null",
        "model_config.width=0.0625",
        "model_config.structure=[1,1,1,1,1,1]",
        "data.object_bank=null",
        "num_workers=0",
        "data.resize=[64,36]",
        "data.crop_size=32",
        f"out_dir={out}",
        "steps=3",
        "batch_size=2",
        "device=cpu",
        "threads=1",
        "log_every=1",
        "ckpt_every=3",
        "--quiet",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])  # only rank 0 prints
    assert result["steps"] == 3
    assert sorted(p.name for p in out.iterdir()) == ["last.pt"]
    ckpt = load_checkpoint(out / "last.pt")
    assert ckpt["step"] == 3 and ckpt["model_name"] == "rpl_eel"


def test_dist_env_reads_torchrun_variables() -> None:
    from baselines.distributed import DistEnv, dist_env
    from comsamy.errors import ConfigError

    assert dist_env({}) == DistEnv(rank=0, local_rank=0, world=1) and not dist_env({}).distributed
    env = dist_env({"RANK": "3", "LOCAL_RANK": "1", "WORLD_SIZE": "4"})
    assert (env.rank, env.local_rank, env.world, env.is_main, env.distributed) == (3, 1, 4, False, True)
    with pytest.raises(ConfigError, match="integer environment variable WORLD_SIZE, got 'two'"):
        dist_env({"WORLD_SIZE": "two"})
    with pytest.raises(ConfigError, match="RANK=2"):
        dist_env({"RANK": "2", "WORLD_SIZE": "2"})
