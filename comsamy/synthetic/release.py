"""Write a raw release (spec/data.md "Building the data") of the synthetic benchmark and its inlier set.

Layout::

    <out>/images/<id>.jpg        RGB JPEG (quality 90)
    <out>/labels/<id>.png        8-bit L PNG: 0 non-anomaly, 1 anomaly, 255 void
    <out>/metadata.csv           id,weather,landform,anomaly_types   (types joined by ';')
    <out>/inliers/images/<id>.png
    <out>/inliers/labels/<id>.png   8-bit L PNG: Cityscapes train ids, 255 ignore
    <out>/inliers/metadata.csv   id,weather,landform
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from comsamy.constants import ADVERSE_WEATHERS, LANDFORMS, NUM_CLEAR_PAPER, NUM_IMAGES_PAPER
from comsamy.errors import UsageError
from comsamy.synthetic.compose import render_benchmark_image
from comsamy.synthetic.scenes import _check_size, render_scene

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedImage:
    """Identity and conditions of one image of a release."""

    id: str
    weather: str
    landform: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "weather": self.weather, "landform": self.landform}


def plan_release(images: int, seed: int = 0) -> list[PlannedImage]:
    """Weather and landform of every benchmark image.

    The clear share is ``round(images * 250 / 468)`` (the paper's proportion); adverse images are spread
    evenly over the six adverse weathers, and within each weather the landforms cycle from a random start,
    so every landform appears once there are at least seven images of a weather... or overall.
    """
    if isinstance(images, bool) or not isinstance(images, int) or images < 1:
        raise UsageError(f"images: expected a positive integer, got {images!r}")
    rng = np.random.default_rng([seed, 0, 0])
    n_clear = round(images * NUM_CLEAR_PAPER / NUM_IMAGES_PAPER)
    n_adv = images - n_clear
    per = [n_adv // len(ADVERSE_WEATHERS)] * len(ADVERSE_WEATHERS)
    for k in rng.permutation(len(ADVERSE_WEATHERS))[: n_adv % len(ADVERSE_WEATHERS)]:
        per[k] += 1
    weathers = ["clear"] * n_clear + [w for w, n in zip(ADVERSE_WEATHERS, per, strict=True) for _ in range(n)]
    landforms, offset = [], int(rng.integers(len(LANDFORMS)))
    for i in range(len(weathers)):
        landforms.append(LANDFORMS[(offset + i) % len(LANDFORMS)])
    order = rng.permutation(images)
    return [PlannedImage(f"syn_{i:05d}", weathers[j], landforms[j]) for i, j in enumerate(order)]


def _save_png(array: np.ndarray, mode: str, path: Path) -> None:
    Image.fromarray(array, mode).save(path, format="PNG", compress_level=6)


def write_raw_release(
    out_dir: str | Path,
    *,
    images: int = 49,
    size: tuple[int, int] = (480, 270),
    seed: int = 0,
    inliers: int = 40,
    workers: int = 1,
) -> Path:
    """Render the synthetic benchmark and its inlier training set as a raw release.

    Args:
        out_dir: Folder to write (created; existing files with the same names are overwritten).
        images: Number of benchmark images.
        size: ``(width, height)`` of every image.
        seed: Seed; the release is byte-identical for a seed (whatever ``workers`` is).
        inliers: Number of anomaly-free inlier training images (0 for none).
        workers: Processes that render in parallel (1: in this process).

    Returns:
        The release folder.

    Raises:
        UsageError: A bad count, size, seed or worker count.
    """
    size = _check_size(size)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise UsageError(f"seed: expected a non-negative integer, got {seed!r}")
    if isinstance(inliers, bool) or not isinstance(inliers, int) or inliers < 0:
        raise UsageError(f"inliers: expected a non-negative integer, got {inliers!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"workers: expected a positive integer, got {workers!r}")
    plan = plan_release(images, int(seed))
    out = Path(out_dir)
    for sub in ("images", "labels", "inliers/images", "inliers/labels"):
        if sub.startswith("inliers") and not inliers:
            continue
        (out / sub).mkdir(parents=True, exist_ok=True)
    jobs = [(out, int(seed), i, item, size) for i, item in enumerate(plan)]
    ijobs = [(out / "inliers", int(seed), j, size) for j in range(inliers)]
    if workers == 1:
        rows = [_write_benchmark_one(*job) for job in jobs]
        irows = [_write_inlier_one(*job) for job in ijobs]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(_write_benchmark_one, *zip(*jobs, strict=True), chunksize=4))
            irows = list(pool.map(_write_inlier_one, *zip(*ijobs, strict=True), chunksize=4)) if ijobs else []
    _write_csv(out / "metadata.csv", ["id", "weather", "landform", "anomaly_types"], rows)
    if inliers:
        _write_csv(out / "inliers" / "metadata.csv", ["id", "weather", "landform"], irows)
    log.info("wrote %d benchmark and %d inlier images to %s", images, inliers, out)
    return out


def _write_benchmark_one(out: Path, seed: int, i: int, item: PlannedImage, size: tuple[int, int]) -> list[str]:
    ex = render_benchmark_image(item.landform, item.weather, np.random.default_rng([seed, i, 1]), size)
    Image.fromarray(ex.image, "RGB").save(out / "images" / f"{item.id}.jpg", format="JPEG", quality=90)
    _save_png(ex.label, "L", out / "labels" / f"{item.id}.png")
    return [item.id, item.weather, item.landform, ";".join(ex.anomaly_types)]


def _write_inlier_one(out: Path, seed: int, j: int, size: tuple[int, int]) -> list[str]:
    landform = LANDFORMS[j % len(LANDFORMS)]
    scene = render_scene(landform, np.random.default_rng([seed, j, 2]), size, weather="clear")
    iid = f"inl_{j:05d}"
    _save_png(scene.image, "RGB", out / "images" / f"{iid}.png")
    _save_png(scene.labels, "L", out / "labels" / f"{iid}.png")
    return [iid, "clear", landform]


def write_inliers(out_dir: str | Path, *, count: int, size: tuple[int, int] = (480, 270), seed: int = 0) -> Path:
    """Write ``count`` anomaly-free clear-weather scenes with Cityscapes train-id labels (landforms cycle).

    The files are the ones :func:`write_raw_release` writes under ``inliers/`` for the same seed.
    """
    size = _check_size(size)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise UsageError(f"count: expected a positive integer, got {count!r}")
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    rows = [_write_inlier_one(out, int(seed), j, size) for j in range(count)]
    _write_csv(out / "metadata.csv", ["id", "weather", "landform"], rows)
    return out


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
