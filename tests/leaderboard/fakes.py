"""Fake scorers and archive builders for the leaderboard tests (importable by worker subprocesses)."""

from __future__ import annotations

import io
import json
import os
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from comsamy.constants import LANDFORMS, WEATHERS
from comsamy.errors import ArchiveError
from leaderboard.scoring import ScoreOutcome


def metric(auprc: float, fpr95: float, n: int = 6) -> dict[str, Any]:
    """One per-condition entry shaped like comsamy-eval's JSON."""
    return {
        "auprc": auprc,
        "fpr95": fpr95,
        "auroc": 0.9,
        "num_images": n,
        "num_anomaly_pixels": 10 * n,
        "num_inlier_pixels": 100 * n,
        "num_void_pixels": n,
    }


def fake_results(auprc: float, sha: str = "0" * 64) -> dict[str, Any]:
    """A full results document (overall, splits, weathers, landforms) derived from one AUPRC."""
    return {
        "overall": metric(auprc, 1 - auprc, 14),
        "by_condition": {
            "split": {"clear": metric(auprc + 0.01, 0.5), "adverse": metric(auprc - 0.01, 0.6, 12)},
            "weather": {w: metric(auprc - i / 100, 0.3 + i / 100) for i, w in enumerate(WEATHERS)},
            "landform": {lf: metric(auprc - i / 200, 0.4) for i, lf in enumerate(LANDFORMS)},
            "anomaly_type": {"animal": metric(auprc, 0.4)},
        },
        "archive": {"sha256": sha, "manifest": None},
        "dataset": {"name": "fake", "revision": "rev1", "num_images": 14},
        "settings": {"precision": "float16", "fpr95": "first", "auprc": "step"},
        "version": "0.1.0",
    }


FAKE_MEMBER = "fake.bin"


def fake_payload(archive: Path) -> bytes:
    """The payload of an :func:`archive_bytes` zip (its one member)."""
    with zipfile.ZipFile(archive) as zf:
        return zf.read(FAKE_MEMBER)


class FakeScorer:
    """Scores an :func:`archive_bytes` zip from its payload: AUPRC = first byte / 255; b"BAD" payloads fail.

    ``calls`` counts real scorings; ``delay`` makes each take that long; ``gate`` (an Event) blocks until set.
    With ``count_file`` each scoring appends a line there (visible across processes).
    """

    def __init__(self, delay: float = 0.0, gate: threading.Event | None = None, count_file: str | None = None):
        self.delay, self.gate, self.count_file = delay, gate, count_file
        self.calls: list[str] = []
        self.started = threading.Event()

    def identity(self) -> tuple[str, str]:
        return "0.1.0", "rev1"

    def score(self, archive: Path) -> ScoreOutcome:
        self.started.set()
        data = fake_payload(Path(archive))
        if self.gate is not None:
            self.gate.wait(30)
        if self.delay:
            time.sleep(self.delay)
        if data.startswith(b"BAD"):
            raise ArchiveError(
                "archive preds.zip is invalid: 1 problem", ["img_0.npy: expected shape (4, 6), got (3, 3)"]
            )
        self.calls.append(str(archive))
        if self.count_file:
            with open(self.count_file, "a") as fh:
                fh.write(f"{os.getpid()} {Path(archive).name}\n")
        auprc = round(data[0] / 255, 4) if data else 0.5
        return ScoreOutcome(fake_results(auprc), {"overall": fixed_curve(auprc)}, "0.1.0", "rev1")


def env_scorer(_settings: Any) -> FakeScorer:
    """Factory for ``COMSAMY_LB_SCORER=tests.leaderboard.fakes:env_scorer`` (delay from env)."""
    return FakeScorer(delay=float(os.environ.get("FAKE_DELAY", "0")), count_file=os.environ.get("FAKE_COUNT_FILE"))


def fixed_curve(level: float) -> dict[str, list[float]]:
    """A curve in the published form (fixed recall / FPR levels)."""
    from leaderboard.publish import FPR_LEVELS, RECALL_LEVELS

    return {
        "recall": list(RECALL_LEVELS),
        "precision": [round(level, 3)] * len(RECALL_LEVELS),
        "fpr": list(FPR_LEVELS),
        "tpr": [round(min(1.0, f + level), 3) for f in FPR_LEVELS],
    }


def archive_bytes(first: int, tag: str = "", *, payload: bytes | None = None) -> bytes:
    """A small zip for the fake scorer, distinct per ``(first, tag)``: its payload's first byte sets the AUPRC."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # a fixed date: the same arguments give the same bytes
        zf.writestr(
            zipfile.ZipInfo(FAKE_MEMBER, date_time=(2026, 1, 1, 0, 0, 0)),
            payload if payload is not None else bytes([first]) + f"archive-{tag}".encode(),
        )
    return buf.getvalue()


def npy_zip(scores: dict[str, np.ndarray], manifest: dict[str, Any] | None = None) -> bytes:
    """A real prediction archive: one float16 .npy per image id (plus a manifest), zipped in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for image_id, arr in scores.items():
            member = io.BytesIO()
            np.save(member, np.asarray(arr, dtype=np.float16), allow_pickle=False)
            zf.writestr(f"{image_id}.npy", member.getvalue())
        if manifest is not None:
            zf.writestr("manifest.json", json.dumps(manifest))
    return buf.getvalue()


CARD = """---
configs:
- config_name: all
  data_files:
  - split: test
    path: data/test-*.parquet
---
# Tiny synthetic ComsAmy-like dataset for the leaderboard tests
"""


def tiny_labels(n: int = 8, shape: tuple[int, int] = (12, 16), seed: int = 0) -> dict[str, np.ndarray]:
    """Label maps (0 inlier / 1 anomaly / 255 void) with a random anomaly box and a void bottom row."""
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n):
        lab = np.zeros(shape, np.uint8)
        r, c = rng.integers(0, shape[0] - 4), rng.integers(0, shape[1] - 5)
        lab[r : r + 3, c : c + 4] = 1
        lab[-1, :] = 255
        out[f"img_{i:02d}"] = lab
    return out


def tiny_dataset(labels: dict[str, np.ndarray]) -> Any:
    """An in-memory ``datasets.Dataset`` with the benchmark schema (weather / landform cycle through all)."""
    import datasets
    from PIL import Image

    rows: dict[str, list[Any]] = {"id": [], "label": [], "weather": [], "landform": [], "anomaly_types": []}
    for i, (image_id, lab) in enumerate(labels.items()):
        buf = io.BytesIO()
        Image.fromarray(lab, "L").save(buf, "PNG")
        rows["id"].append(image_id)
        rows["label"].append({"bytes": buf.getvalue(), "path": None})
        rows["weather"].append(i % len(WEATHERS))
        rows["landform"].append(i % len(LANDFORMS))
        rows["anomaly_types"].append(["animal" if i % 2 else "rock"])
    feats = datasets.Features(
        {
            "id": datasets.Value("string"),
            "label": datasets.Image(),
            "weather": datasets.ClassLabel(names=list(WEATHERS)),
            "landform": datasets.ClassLabel(names=list(LANDFORMS)),
            "anomaly_types": datasets.Sequence(datasets.Value("string")),
        }
    )
    return datasets.Dataset.from_dict(rows, features=feats)


def tiny_dataset_folder(folder: Path, labels: dict[str, np.ndarray]) -> Path:
    """Write :func:`tiny_dataset` in the published folder layout (README card + data/*.parquet)."""
    folder = Path(folder)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(CARD)
    tiny_dataset(labels).to_parquet(str(folder / "data" / "test-00000.parquet"))
    return folder


def noisy_scores(labels: dict[str, np.ndarray], noise: float, seed: int = 0) -> dict[str, np.ndarray]:
    """Scores = anomaly indicator + Gaussian noise (float16 later): better AUPRC for less noise."""
    rng = np.random.default_rng(seed)
    return {
        k: (lab == 1).astype(np.float32) + noise * rng.standard_normal(lab.shape).astype(np.float32)
        for k, lab in labels.items()
    }
