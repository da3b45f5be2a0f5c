"""The study's data: one deterministic draw of inlier scenes, a training object bank, composed training sets and
validation / test benchmark images whose anomalies come from object splits disjoint from the training objects.

Everything is a pure function of :meth:`StudyConfig.data_dict` and is written under ``<out>/data-<hash>/``, the
hash covering that config and every rendered pixel, so a second run (or ``--reuse``) finds it and a change of
the generators' code makes a new folder; the hash also names the data in every training run's config hash.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from baselines.study.config import StudyConfig, stable_hash

__all__ = ["COMPOSITIONS", "BenchmarkRow", "StudyData", "benchmark_rows", "build_study_data", "inlier_dataset"]

log = logging.getLogger(__name__)

COMPOSITIONS = ("harmonized", "copy-paste")
"""How training anomalies are composited (``baselines.synthesis.compose`` modes; Table V's first switch)."""


@dataclass(frozen=True, eq=False)
class BenchmarkRow:
    """One validation or test image: RGB, label (0 inlier, 1 anomaly, 255 void) and its conditions."""

    id: str
    image: np.ndarray
    label: np.ndarray
    weather: str
    landform: str
    anomaly_types: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class StudyData:
    """Paths and in-memory rows of one data draw.

    Attributes:
        root: ``<out>/data-<fingerprint>``.
        fingerprint: Hash of the data config (part of every training run's config hash).
        inliers: ``datasets.Dataset`` of anomaly-free clear scenes (``id``, ``image``, ``label`` train ids).
        bank: Training object bank (``train`` object split).
        composed: Composition mode -> composed training set folder (``comsamy.load_dataset`` layout).
        val: Validation images (``val`` object split); ``test``: test images (``test`` object split).
        diffusion: ``(composed set folder, summary)`` of the tiny-diffusion smoke row, or None.
        seconds: Time spent building (0 when everything was found on disk, except the in-memory renders).
    """

    root: Path
    fingerprint: str
    inliers: Any
    bank: Path
    composed: dict[str, Path]
    val: tuple[BenchmarkRow, ...]
    test: tuple[BenchmarkRow, ...]
    diffusion: tuple[Path, dict[str, Any]] | None
    seconds: float


def inlier_dataset(count: int, size: tuple[int, int], seed: int) -> Any:
    """``count`` clear anomaly-free scenes (landforms cycle) as a ``datasets.Dataset`` with PIL images."""
    import datasets
    from PIL import Image

    from comsamy.constants import LANDFORMS
    from comsamy.synthetic import render_scene

    rows: dict[str, list[Any]] = {"id": [], "image": [], "label": []}
    for j in range(count):
        scene = render_scene(LANDFORMS[j % len(LANDFORMS)], np.random.default_rng([seed, j, 2]), size, weather="clear")
        rows["id"].append(f"inl_{j:05d}")
        rows["image"].append(Image.fromarray(scene.image, "RGB"))
        rows["label"].append(Image.fromarray(scene.labels, "L"))
    feats = datasets.Features({"id": datasets.Value("string"), "image": datasets.Image(), "label": datasets.Image()})
    return datasets.Dataset.from_dict(rows, features=feats)


def benchmark_rows(count: int, size: tuple[int, int], seed: int, split: str) -> tuple[BenchmarkRow, ...]:
    """``count`` benchmark images (clear / adverse in the paper's proportion) with ``split``-split anomalies.

    The weather and landform plan is :func:`comsamy.synthetic.plan_release`'s; every image has its own seed stream
    ``[seed, i, stream]`` with a stream number per split, so validation and test never share a scene.
    """
    from comsamy.synthetic import plan_release, render_benchmark_image

    stream = {"train": 21, "val": 31, "test": 41}[split]
    out = []
    for i, item in enumerate(plan_release(count, seed + stream)):
        ex = render_benchmark_image(
            item.landform, item.weather, np.random.default_rng([seed, i, stream]), size, split=split
        )
        out.append(BenchmarkRow(f"{split}_{i:05d}", ex.image, ex.label, item.weather, item.landform, ex.anomaly_types))
    return tuple(out)


def _content_hash(inliers: Any, rows: tuple[BenchmarkRow, ...]) -> str:
    """SHA-256 (16 hex digits) of every rendered pixel and label: a change of the generators' code gives new data
    folders instead of reusing banks and composed sets rendered by the old code."""
    import hashlib

    h = hashlib.sha256()
    for row in inliers:
        h.update(np.asarray(row["image"]).tobytes())
        h.update(np.asarray(row["label"]).tobytes())
    for r in rows:
        h.update(r.image.tobytes())
        h.update(r.label.tobytes())
    return h.hexdigest()[:16]


def _compose(inliers: Any, bank: Path, folder: Path, config: Any) -> None:
    """Compose a training set unless ``folder`` already holds a finished one made with ``config``.

    The data folder is named by the data hash, so a finished set with the same compose settings is this set even
    when the study folder was moved (the synthesizer's own state file records absolute bank paths).
    """
    import json

    from baselines.synthesis.compose import compose_dataset
    from baselines.synthesis.layout import read_state

    state = read_state(folder) if folder.is_dir() else None
    wanted = json.loads(json.dumps(config.to_dict()))
    if state is not None and state.get("complete") and state.get("settings", {}).get("config") == wanted:
        return
    compose_dataset(inliers, [bank], folder, config, workers=1, progress=False)


def build_study_data(config: StudyConfig, out: str | Path, *, with_diffusion: bool | None = None) -> StudyData:
    """Render (or find on disk) every input of the study under ``<out>/data-<hash>/``.

    Args:
        config: The protocol.
        out: The study's output folder.
        with_diffusion: Build the tiny-diffusion smoke row's data (default: ``config.diffusion_row``).
    """
    from baselines.synthesis.compose import ComposeConfig
    from comsamy.synthetic import write_object_bank

    t0 = time.perf_counter()
    seed = config.data_seed
    inliers = inlier_dataset(config.train_inliers, config.image_size, seed)
    val = benchmark_rows(config.val_images, config.image_size, seed, "val")
    test = benchmark_rows(config.test_images, config.image_size, seed, "test")
    fingerprint = stable_hash({"config": config.data_dict(), "content": _content_hash(inliers, val + test)})
    root = Path(out) / f"data-{fingerprint}"
    root.mkdir(parents=True, exist_ok=True)
    bank = root / "bank-train"
    if not (bank / "provenance.jsonl").is_file():
        write_object_bank(bank, count=config.bank_objects, seed=seed + 1000, size=config.bank_size, split="train")
    composed: dict[str, Path] = {}
    for mode in COMPOSITIONS:
        folder = root / f"composed-{mode}"
        cfg = ComposeConfig(
            count=config.compose_count, seed=seed, mode=mode, objects_per_image=config.objects_per_image
        )
        _compose(inliers, bank, folder, cfg)
        composed[mode] = folder
    diffusion = None
    if config.diffusion_row if with_diffusion is None else with_diffusion:
        from baselines.study.tiny_diffusion import write_diffusion_bank

        dbank, summary = write_diffusion_bank(root / "diffusion", count=config.diffusion_objects, seed=seed)
        if summary["written"] > 0:
            folder = root / "composed-diffusion-harmonized"
            cfg = ComposeConfig(
                count=config.compose_count, seed=seed, mode="harmonized", objects_per_image=config.objects_per_image
            )
            _compose(inliers, dbank, folder, cfg)
            diffusion = (folder, summary)
        else:
            log.warning("tiny diffusion pipeline produced no extractable object; the smoke row is skipped")
    return StudyData(root, fingerprint, inliers, bank, composed, val, test, diffusion, time.perf_counter() - t0)
