"""``comsamy-leaderboard demo``: the app and one worker on the bundled sample, with a seeded table.

Seeding makes a few prediction archives from the sample's own labels plus noise (this is the demo's
ground truth, bundled and public) and submits them through :func:`leaderboard.submit.submit_archive`,
so the worker scores them for real; the paper's Table II rows are shown as reference rows.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import time
import zipfile
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from leaderboard.settings import Settings

log = logging.getLogger(__name__)
DEMO_TEAM = "demo"
SEEDS = (  # method, noise, visibility, extra data, outlier data, backbone
    ("Noisy oracle (sigma 0.5)", 0.5, "public", False, True, "synthetic"),
    ("Noisy oracle (sigma 1)", 1.0, "public", True, False, "synthetic"),
    ("Noisy oracle (sigma 2)", 2.0, "anonymous", False, False, "synthetic"),
)


def label_arrays(data: Any, *, config: str = "all", split: str = "test") -> dict[str, Any]:
    """Decoded label maps of a dataset (for making demo and load-test archives from public sample data)."""
    import numpy as np
    from PIL import Image

    from comsamy.evaluation import load_view

    view = load_view(data, config=config, split=split)
    return {r.image_id: np.asarray(Image.open(io.BytesIO(r.label_png))) for r in view.records}


def noisy_archive(
    labels: dict[str, Any], noise: float, *, seed: int = 0, manifest: dict[str, Any] | None = None
) -> bytes:
    """A zip of float16 ``<id>.npy`` score maps: the anomaly indicator plus Gaussian noise of std ``noise``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for image_id, lab in labels.items():
            score = (lab == 1).astype(np.float32) + noise * rng.standard_normal(lab.shape).astype(np.float32)
            member = io.BytesIO()
            np.save(member, score.astype(np.float16), allow_pickle=False)
            zf.writestr(f"{image_id}.npy", member.getvalue())
        if manifest is not None:
            zf.writestr("manifest.json", json.dumps(manifest))
    return buf.getvalue()


def seed_demo(engine: Engine, settings: Settings) -> str | None:
    """Create the demo team and queue the seeded archives once; return the team's new token (None if seeded)."""
    from leaderboard.manifest import SubmissionInfo
    from leaderboard.store.models import Team
    from leaderboard.submit import submit_archive
    from leaderboard.tokens import create_token

    with Session(engine) as session:
        if session.scalar(select(Team).where(Team.name == DEMO_TEAM)) is not None:
            return None
    token = create_token(engine, DEMO_TEAM)
    labels = label_arrays(settings.data, config=settings.config, split=settings.split)
    for i, (method, noise, visibility, extra, outlier, backbone) in enumerate(SEEDS):
        raw = noisy_archive(labels, noise, seed=i)
        info = SubmissionInfo(
            method=method,
            description=f"Anomaly indicator plus Gaussian noise, sigma {noise}.",
            backbone=backbone,
            extra_data=extra,
            outlier_data=outlier,
            visibility=visibility,
            code_url="https://github.com/comsamy/comsamy",
        )
        submit_archive(engine, settings, token=token, fileobj=io.BytesIO(raw), info=info)
    return token


def run_demo(
    settings: Settings, *, port: int = 8501, address: str = "127.0.0.1", announce: Callable[[str], None] = log.info
) -> int:
    """Seed, then run the app and one worker as child processes until ctrl-C (which stops both).

    Args:
        settings: the demo's settings (the CLI defaults ``data`` to the bundled ``sample`` and ``storage`` to a
            new temporary folder); the quota is raised to at least 50.
        port, address: where the app listens (default: this machine only).
        announce: shows the URL and token to the person at the terminal (the CLI passes ``print``).
    """
    from leaderboard.cli import streamlit_command, worker_command
    from leaderboard.store import make_engine, migrate

    settings = settings.replace(quota=max(settings.quota, 50))
    engine = make_engine(settings.db_url)
    migrate(engine)
    token = seed_demo(engine, settings)
    engine.dispose()
    env = {**os.environ, **settings.to_env()}
    signal.signal(signal.SIGTERM, _raise_interrupt)  # stop both children on SIGTERM as on ctrl-C
    worker = subprocess.Popen(worker_command("--poll", "0.5"), env=env)
    app = subprocess.Popen(streamlit_command(settings, port, address), env=env)
    announce(f"ComsAmy leaderboard demo on http://{address}:{port}  (storage {settings.storage})")
    if token:
        announce(f"Demo team token (for the Submit page): {token}")
    announce("Press ctrl-C to stop the app and the worker.")
    try:
        while app.poll() is None and worker.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in (app, worker):
            if proc.poll() is None:
                proc.terminate()
        for proc in (app, worker):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


def _raise_interrupt(*_: Any) -> None:
    raise KeyboardInterrupt
