"""Write the example prediction archive for the bundled sample: ``comsamy/sample_data/example-preds.zip``.

The scores come from a simple, honest, training-free method, "colour rarity": per image, the pixel colours are
modelled by a small mixture of isotropic Gaussians fitted with k-means on a subsample of the image's own pixels;
a pixel's anomaly score is its negative log-likelihood under that mixture (rare colours in this scene score high).
It uses no training data, no outlier data and no network; it is a floor that any trained baseline should beat,
and it will be replaced by a trained baseline's scores once one exists.

Usage::

    python scripts/make_example_predictions.py                    # sample -> comsamy/sample_data/example-preds.zip
    python scripts/make_example_predictions.py --data DIR --out preds.zip

The archive is byte-reproducible (fixed seeds, fixed member timestamps): float16 ``<id>.npy`` members plus a
``manifest.json`` that says what the method is.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "comsamy" / "sample_data" / "example-preds.zip"
FIXED_TIME = (2024, 1, 1, 0, 0, 0)
QUANT = 16
"""Scores are rounded to multiples of 1/QUANT (after a log) so the shipped archive stays small."""
MANIFEST = {
    "method": "colour rarity (training-free example)",
    "description": (
        "Per image: k-means (k=6) on a subsample of the image's own RGB pixels, a mixture of isotropic Gaussians"
        " from the clusters, and per pixel the negative log-likelihood under that mixture (rare colours score"
        " high). No training, no outlier data. The example archive shipped with comsamy for the bundled sample;"
        " a floor for real methods."
    ),
    "paper": None,
    "code": "scripts/make_example_predictions.py",
    "backbone": None,
    "extra_data": False,
    "outlier_data": False,
    "score_dtype": "float16",
    "dataset": "sample",
}


def _box_blur(img: np.ndarray, r: int = 1) -> np.ndarray:
    """(H, W, C) mean filter of radius r with edge padding."""
    pad = np.pad(img, ((r, r), (r, r), (0, 0)), mode="edge")
    acc = np.zeros_like(img)
    h, w = img.shape[:2]
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            acc += pad[dy : dy + h, dx : dx + w]
    return acc / (2 * r + 1) ** 2


def colour_rarity(rgb: np.ndarray, *, k: int = 6, iters: int = 12, sample: int = 6000, seed: int = 0) -> np.ndarray:
    """Anomaly scores of one image: negative log-likelihood of each pixel's colour under the image's own mixture.

    Args:
        rgb: (H, W, 3) uint8 image.
        k: mixture components (k-means clusters).
        iters: k-means iterations.
        sample: pixels used to fit the mixture.
        seed: subsample and initialisation seed.

    Returns:
        (H, W) float64 scores >= 0, higher = rarer colour in this scene (log-compressed, rounded to 1/QUANT).
    """
    x = _box_blur(rgb.astype(np.float32) / 255.0)
    h, w, _ = x.shape
    flat = x.reshape(-1, 3)
    rng = np.random.default_rng(seed)
    pts = flat[rng.choice(len(flat), size=min(sample, len(flat)), replace=False)]
    centres = pts[rng.choice(len(pts), size=k, replace=False)]
    for _ in range(iters):
        assign = np.argmin(((pts[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        for j in range(k):
            members = pts[assign == j]
            if len(members):
                centres[j] = members.mean(0)
    assign = np.argmin(((pts[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    weight = np.bincount(assign, minlength=k) / len(pts) + 1e-6
    var = (
        np.array([((pts[assign == j] - centres[j]) ** 2).mean() if (assign == j).any() else 1.0 for j in range(k)])
        + 2e-3
    )
    d2 = ((flat[:, None, :] - centres[None]) ** 2).sum(-1)  # (N, k)
    log_lik = np.log(weight)[None] - d2 / (2 * var)[None] - 1.5 * np.log(2 * np.pi * var)[None]
    peak = log_lik.max(1, keepdims=True)
    nll = -(peak[:, 0] + np.log(np.exp(log_lik - peak).sum(1)))
    nll = np.log1p(np.maximum(nll - nll.min(), 0.0))  # monotone: same ranking, a range float16 resolves well
    return np.round(nll.reshape(h, w) * QUANT) / QUANT  # coarser steps: identical order, a far smaller archive


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def write_archive(data: str, out: Path, *, config: str = "all", split: str = "test") -> int:
    """Score every image of the dataset split and write the archive; returns the number of images."""
    import comsamy

    ds = comsamy.load_dataset(data, config=config, split=split)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        info = zipfile.ZipInfo("manifest.json", date_time=FIXED_TIME)
        zf.writestr(info, json.dumps(MANIFEST, indent=2) + "\n", compress_type=zipfile.ZIP_DEFLATED)
        for row in ds.select_columns(["id", "image"]):
            rgb = np.asarray(row["image"].convert("RGB"))
            scores = colour_rarity(rgb).astype(np.float16)
            info = zipfile.ZipInfo(f"{row['id']}.npy", date_time=FIXED_TIME)
            zf.writestr(info, _npy(scores), compress_type=zipfile.ZIP_DEFLATED)
    tmp.replace(out)
    return len(ds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="sample", help="dataset to score (default: the bundled sample)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"archive to write (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    n = write_archive(args.data, args.out)
    print(f"wrote {args.out} ({n} images, {args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
