"""Running the real app locally as a subprocess and driving it with Chromium: shared by the load script and tests.

Nothing here is imported by the app itself.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "free_port", "wait_health"]

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium (``apt-get install chromium``)."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Headless, offline Chromium: no sandbox (containers), no background traffic."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until the app on ``port`` answers its health check.

    Raises:
        RuntimeError: ``proc`` exited first.
        TimeoutError: not healthy within ``timeout`` seconds.
    """
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"app on port {port} not healthy after {timeout} s")
