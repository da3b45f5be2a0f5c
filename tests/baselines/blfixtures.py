"""Tiny, deterministic scenes and object banks for the baseline tests (no network, no sample data needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from comsamy.constants import TRAIN_ID

TINY = {"width": 0.0625, "structure": [1, 1, 1, 1, 1, 1]}


def scene(seed: int, h: int = 48, w: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """A toy road scene: sky on top, vegetation band, road at the bottom, with colour noise."""
    rng = np.random.default_rng(seed)
    label = np.full((h, w), TRAIN_ID["road"], np.uint8)
    label[: h // 3] = TRAIN_ID["sky"]
    label[h // 3 : h // 2] = TRAIN_ID["vegetation"]
    colours = {TRAIN_ID["road"]: (90, 90, 90), TRAIN_ID["sky"]: (120, 170, 230), TRAIN_ID["vegetation"]: (40, 120, 40)}
    image = np.zeros((h, w, 3), np.uint8)
    for k, c in colours.items():
        image[label == k] = c
    image = np.clip(image.astype(int) + rng.integers(-10, 11, image.shape), 0, 255).astype(np.uint8)
    return image, label


def inlier_rows(n: int = 4, h: int = 48, w: int = 64) -> list[dict]:
    """Rows shaped like the ``inliers`` config: id, image (PIL RGB), label (PIL L, train ids)."""
    rows = []
    for i in range(n):
        image, label = scene(i, h, w)
        rows.append({"id": f"in{i}", "image": Image.fromarray(image), "label": Image.fromarray(label, mode="L")})
    return rows


def write_bank(root: Path, n: int = 3) -> Path:
    """An object bank folder: bright magenta discs (images/, masks/, provenance.jsonl)."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    lines = []
    for i in range(n):
        size = 12 + 4 * i
        yy, xx = np.mgrid[:size, :size]
        mask = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2) < (size / 2.2) ** 2
        img = np.zeros((size, size, 3), np.uint8)
        img[mask] = (230, 20, 200)
        Image.fromarray(img).save(root / "images" / f"obj{i}.png")
        Image.fromarray(mask.astype(np.uint8) * 255).save(root / "masks" / f"obj{i}.png")
        lines.append(f'{{"id": "obj{i}", "source": "test"}}')
    (root / "provenance.jsonl").write_text("\n".join(lines) + "\n")
    return root


# --- float64 numpy oracles of the paper's formulas (shared by the score and loss tests) ---------------------------


def np_logsumexp(y: np.ndarray) -> np.ndarray:
    """(N, C, ...) -> (N, ...): log-sum-exp over the class axis, in float64."""
    m = y.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(y - m).sum(axis=1, keepdims=True)))[:, 0]


def np_softmax(y: np.ndarray) -> np.ndarray:
    e = np.exp(y - y.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_entropy(y: np.ndarray) -> np.ndarray:
    """Shannon entropy of softmax(y) over the class axis, 0·log 0 = 0."""
    p = np_softmax(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, -p * np.log(p), 0.0).sum(axis=1)
