"""Start the real app and workers as subprocesses for the browser and crash tests; stop only what we started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from leaderboard.localapp import CHROMIUM, CHROMIUM_ARGS, free_port, wait_health

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "REPO",
    "child_env",
    "common_args",
    "free_port",
    "start",
    "stop",
    "wait_for",
    "wait_health",
]

REPO = Path(__file__).resolve().parents[2]


def child_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMSAMY_LB_")}
    env.update(PYTHONPATH=str(REPO), HF_DATASETS_CACHE=str(tmp / "hf-cache"), HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def common_args(db: str, storage: Path, data: str, **opts: object) -> list[str]:
    args = ["--db", db, "--storage", str(storage), "--data", data]
    for key, value in opts.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    return args


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    fh = open(log, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-P", "-m", "leaderboard.cli", *args],
        env=env,
        stdout=fh,
        stderr=subprocess.STDOUT,
        cwd=str(REPO),
    )


def stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.3):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
