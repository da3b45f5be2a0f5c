"""Tiny hand-made inputs for the synthesizer tests: road scenes (image + train-id label) and object banks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROAD, SIDEWALK, BUILDING, VEGETATION, TERRAIN, SKY = 0, 1, 2, 8, 9, 10


def road_scene(
    rng: np.random.Generator, h: int = 96, w: int = 128, *, dark: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Sky on top, buildings, then a road trapezoid between sidewalks and terrain; a void strip at the bottom."""
    label = np.full((h, w), SKY, np.uint8)
    horizon = h // 3
    label[horizon - 8 : horizon] = BUILDING
    yy, xx = np.mgrid[0:h, 0:w]
    below = yy >= horizon
    t = (yy - horizon) / max(1, h - horizon)
    half = 4 + t * w * 0.45
    label[below] = TERRAIN
    label[below & (np.abs(xx - w / 2) < half + 6)] = SIDEWALK
    label[below & (np.abs(xx - w / 2) < half)] = ROAD
    label[h - 3 :] = 255
    palette = {
        ROAD: (90, 90, 95),
        SIDEWALK: (150, 140, 130),
        BUILDING: (120, 90, 70),
        TERRAIN: (80, 120, 60),
        SKY: (150, 180, 220),
        255: (0, 0, 0),
    }
    image = np.zeros((h, w, 3), np.float32)
    for k, c in palette.items():
        image[label == k] = c
    image += rng.normal(0, 6, image.shape)
    if dark:
        image *= 0.35
    return np.clip(image, 0, 255).astype(np.uint8), label


def inlier_dataset(n: int = 4, seed: int = 0, **kw: object):  # -> datasets.Dataset
    """A datasets.Dataset with columns id, image, label (PIL images) of ``n`` road scenes."""
    import datasets
    from PIL import Image

    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {"id": [], "image": [], "label": []}
    for i in range(n):
        img, lab = road_scene(rng, dark=bool(i % 2), **kw)  # type: ignore[arg-type]
        rows["id"].append(f"in_{i:03d}")
        rows["image"].append(Image.fromarray(img))
        rows["label"].append(Image.fromarray(lab, "L"))
    feats = datasets.Features({"id": datasets.Value("string"), "image": datasets.Image(), "label": datasets.Image()})
    return datasets.Dataset.from_dict(rows, features=feats)


def write_bank(root: Path, n: int = 5, seed: int = 0, size: int = 40) -> Path:
    """A bank of bright, saturated blobs (ellipses and boxes) on black, masks L 0/255."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        color = tuple(int(c) for c in rng.integers(150, 256, 3))
        img = Image.new("RGB", (size, size), (0, 0, 0))
        mask = Image.new("L", (size, size), 0)
        box = (4, 2, size - 4, size - 2)
        for d, fill in ((ImageDraw.Draw(img), color), (ImageDraw.Draw(mask), 255)):
            (d.ellipse if i % 2 else d.rectangle)(box, fill=fill)
        arr = np.asarray(img).astype(np.int16) + rng.integers(-20, 20, (size, size, 3))
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        oid = f"obj_{i:05d}"
        img.save(root / "images" / f"{oid}.png")
        mask.save(root / "masks" / f"{oid}.png")
        lines.append(json.dumps({"id": oid, "kind": "blob", "seed": seed, "source": "test"}))
    (root / "provenance.jsonl").write_text("\n".join(lines) + "\n")
    return root
