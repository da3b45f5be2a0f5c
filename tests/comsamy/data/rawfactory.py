"""Tiny raw releases drawn with PIL, for the data tests (no generator needed)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from comsamy.constants import LANDFORMS, WEATHERS


def make_raw_release(
    root: Path, *, n: int = 9, size: tuple[int, int] = (32, 24), seed: int = 0, inliers: int = 3
) -> Path:
    """Write ``n`` benchmark examples cycling through every weather and landform, plus ``inliers`` inlier examples.

    Images alternate JPEG / PNG; labels are mode L PNGs with 0, 1 and 255; every row has one or two anomaly types.
    """
    rng = np.random.default_rng(seed)
    w, h = size
    for sub in ("images", "labels"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    rows = []
    for k in range(n):
        ident = f"img{k:03d}"
        pixels = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
        ext = "jpg" if k % 2 == 0 else "png"
        Image.fromarray(pixels).save(root / "images" / f"{ident}.{ext}")
        label = np.zeros((h, w), np.uint8)
        label[h // 2 :, : w // 3] = 1
        label[:2, :] = 255
        label[rng.integers(0, h), rng.integers(0, w)] = 1
        Image.fromarray(label).save(root / "labels" / f"{ident}.png")
        types = ["cow", "tire"][: 1 + k % 2]
        rows.append([ident, WEATHERS[k % len(WEATHERS)], LANDFORMS[(3 * k) % len(LANDFORMS)], ";".join(types)])
    with open(root / "metadata.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "weather", "landform", "anomaly_types"])
        writer.writerows(rows)
    if inliers:
        for sub in ("images", "labels"):
            (root / "inliers" / sub).mkdir(parents=True, exist_ok=True)
        irows = []
        for k in range(inliers):
            ident = f"inl{k:03d}"
            Image.fromarray(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)).save(
                root / "inliers" / "images" / f"{ident}.png"
            )
            label = rng.choice(np.array([0, 1, 2, 8, 10, 13, 255], np.uint8), size=(h, w))
            Image.fromarray(label).save(root / "inliers" / "labels" / f"{ident}.png")
            irows.append([ident, WEATHERS[k % len(WEATHERS)], LANDFORMS[k % len(LANDFORMS)]])
        with open(root / "inliers" / "metadata.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "weather", "landform"])
            writer.writerows(irows)
    return root
