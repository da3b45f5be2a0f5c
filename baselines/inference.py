"""Run a trained checkpoint over a benchmark split and write a prediction archive for ``comsamy-eval``.

The archive is a folder (or a ``.zip`` when ``out`` ends with ``.zip``) with one 2-D float16 ``<id>.npy`` per
image, at the label's size, and a ``manifest.json`` describing the method (spec/submission.md).
"""

from __future__ import annotations

import json
import logging
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from comsamy.errors import UsageError

__all__ = ["InferenceResult", "predict_archive", "score_image", "write_archive"]

logger = logging.getLogger(__name__)

FLOAT16_MAX = float(np.finfo(np.float16).max)


@dataclass(frozen=True)
class InferenceResult:
    """The written archive and what went into it."""

    archive: str
    num_images: int
    manifest: dict[str, Any]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"archive": self.archive, "num_images": self.num_images, "manifest": self.manifest, "seconds": self.seconds}


def score_image(
    model: Any,
    image: Any,
    *,
    score: str,
    out_size: tuple[int, int],
    input_size: tuple[int, int] | None = None,
    device: Any = "cpu",
) -> np.ndarray:
    """Score one RGB image (PIL or (H, W, 3) uint8) -> (H, W) float16 map at ``out_size`` = (height, width).

    ``input_size`` = (width, height) resizes the image before the model (the map is resized back, bilinearly).
    """
    import torch
    import torch.nn.functional as F

    from baselines.data import to_tensor_image

    arr = np.asarray(image.convert("RGB") if hasattr(image, "convert") else image)
    if input_size is not None and (arr.shape[1], arr.shape[0]) != tuple(input_size):
        import cv2

        arr = cv2.resize(arr, tuple(input_size), interpolation=cv2.INTER_AREA)
    x = to_tensor_image(arr)[None].to(device)
    with torch.no_grad():
        s = model.anomaly_scores(x, score=score).float()
        if tuple(s.shape[-2:]) != tuple(out_size):
            s = F.interpolate(s[:, None], size=tuple(out_size), mode="bilinear", align_corners=False)[:, 0]
    out = s[0].cpu().numpy()
    out = np.nan_to_num(out, nan=0.0, posinf=FLOAT16_MAX, neginf=-FLOAT16_MAX)
    return np.clip(out, -FLOAT16_MAX, FLOAT16_MAX).astype(np.float16)


def write_archive(out: str | Path, maps: Iterable[tuple[str, np.ndarray]], manifest: dict[str, Any]) -> tuple[Path, int]:
    """Write ``(id, map)`` pairs and ``manifest`` to a folder, or a zip when ``out`` ends with ``.zip``."""
    import io

    p = Path(out)
    count = 0
    if p.suffix == ".zip":
        p.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for image_id, arr in maps:
                buf = io.BytesIO()
                np.save(buf, arr, allow_pickle=False)
                zf.writestr(f"{image_id}.npy", buf.getvalue())
                count += 1
            zf.writestr("manifest.json", json.dumps(manifest, indent=2))
        return p, count
    p.mkdir(parents=True, exist_ok=True)
    for image_id, arr in maps:
        np.save(p / f"{image_id}.npy", arr, allow_pickle=False)
        count += 1
    (p / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return p, count


def predict_archive(
    checkpoint: str | Path,
    out: str | Path,
    *,
    data: Any = "sample",
    config: str | None = "all",
    split: str | None = "test",
    score: str = "eel",
    device: str = "auto",
    input_size: tuple[int, int] | None = None,
    blur: bool | None = None,
    method: str | None = None,
    progress: bool = True,
) -> InferenceResult:
    """Score every image of ``comsamy.load_dataset(data, config, split)`` (or an already loaded dataset).

    Args:
        checkpoint: a ``comsamy-train`` checkpoint (``last.pt``).
        out: archive folder, or a path ending with ``.zip``.
        data: dataset name / path for ``comsamy.load_dataset``, or a loaded ``datasets.Dataset``.
        score: one of ``baselines.base.SCORE_NAMES``.
        input_size: (width, height) to resize images to before the model (None = native size).
        blur: override the model's Gaussian-blur setting (RPL's 7x7, sigma 1).
        method: method name for the manifest (default ``<model>-<score>``).
    """
    import time

    import comsamy
    from baselines.base import SCORE_NAMES
    from baselines.checkpoint import build_from_checkpoint
    from baselines.training import resolve_device

    if score not in SCORE_NAMES:
        raise UsageError(f"expected --score in {SCORE_NAMES}, got {score!r}")
    t0 = time.perf_counter()
    model: Any
    model, ckpt = build_from_checkpoint(checkpoint)
    if blur is not None and hasattr(model, "config"):
        import dataclasses

        model.config = dataclasses.replace(model.config, blur=blur)
    dev = resolve_device(device)
    model.to(dev).eval()
    rows = data if not isinstance(data, (str, Path)) else comsamy.load_dataset(str(data), config=config, split=split)
    if "id" not in getattr(rows, "column_names", ["id"]):
        raise UsageError(f"expected rows with an 'id' column in {data}, got columns {rows.column_names}")
    model_cfg = dict(ckpt["model_config"])
    manifest = {
        "method": method or f"{ckpt['model_name']}-{score}",
        "description": f"{ckpt['model_name']} scored with {score} (comsamy baselines)",
        "backbone": getattr(model, "backbone_name", "DeepLabV3+ WiderResNet38")
        + (f" (width {model_cfg['width']})" if model_cfg.get("width", 1.0) != 1.0 else ""),
        "extra_data": False,
        "outlier_data": ckpt["model_name"] != "inlier_segmenter",
        "score": score,
        "score_dtype": "float16",
        "model": ckpt["model_name"],
        "model_config": model_cfg,
        "checkpoint_step": int(ckpt.get("step", 0)),
        "dataset": str(data) if isinstance(data, (str, Path)) else "dataset",
        "config": config,
        "split": split,
    }

    def maps() -> Iterable[tuple[str, np.ndarray]]:
        iterator: Iterable[Any] = rows
        if progress:
            from tqdm.auto import tqdm

            iterator = tqdm(rows, total=len(rows), desc=f"infer {manifest['method']}", unit="img")
        for row in iterator:
            image = row["image"]
            label = row.get("label")
            size = np.asarray(label).shape[:2] if label is not None else (image.height, image.width)
            yield str(row["id"]), score_image(model, image, score=score, out_size=size, input_size=input_size, device=dev)

    path, count = write_archive(out, maps(), manifest)
    logger.info("wrote %d score maps to %s", count, path)
    return InferenceResult(archive=str(path), num_images=count, manifest=manifest, seconds=time.perf_counter() - t0)
