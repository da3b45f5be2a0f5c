"""Score a benchmark split (or any image folder) with any model and write a prediction archive for ``comsamy-eval``.

The model is anything :func:`baselines.model_loading.load_model` opens: a ``comsamy-train`` checkpoint, released
RPL / DeepLabV3+ weights, a ``save_pretrained`` baseline folder, or a ``transformers`` segmentation model scored
zero-shot. The output is a zip (``OUT.zip``) or a folder with one 2-D float16 ``<id>.npy`` per image at the label's
size (the image's size for ``images=``) plus ``manifest.json``; an interrupted run resumes (:mod:`baselines.map_store`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from comsamy.errors import UsageError

__all__ = ["IMAGE_SUFFIXES", "InferenceResult", "predict_archive", "score_image"]

logger = logging.getLogger(__name__)

FLOAT16_MAX = float(np.finfo(np.float16).max)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
SCORE_ALIASES = {"maxlogit": "max_logit"}


@dataclass(frozen=True)
class InferenceResult:
    """The written archive and what went into it."""

    archive: str
    num_images: int
    manifest: dict[str, Any]
    seconds: float
    resumed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "archive": self.archive,
            "num_images": self.num_images,
            "manifest": self.manifest,
            "seconds": self.seconds,
            "resumed": self.resumed,
        }


def _finite_float16(scores: np.ndarray) -> np.ndarray:
    out = np.nan_to_num(scores.astype(np.float32), nan=0.0, posinf=FLOAT16_MAX, neginf=-FLOAT16_MAX)
    return np.clip(out, -FLOAT16_MAX, FLOAT16_MAX).astype(np.float16)


def _as_uint8(image: Any, input_size: tuple[int, int] | None) -> np.ndarray:
    arr = np.asarray(image.convert("RGB") if hasattr(image, "convert") else image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise UsageError(f"expected an RGB uint8 image (H, W, 3), got dtype {arr.dtype} and shape {arr.shape}")
    if input_size is not None and (arr.shape[1], arr.shape[0]) != tuple(input_size):
        import cv2

        arr = cv2.resize(arr, tuple(input_size), interpolation=cv2.INTER_AREA)
    return arr


class _Scorer:
    """Turns a batch of same-size uint8 images into float32 score maps at one output size."""

    def __init__(self, model: Any, *, score: str, transformers: bool, alpha: float = 1.0) -> None:
        self.model = model
        self.score = score
        self.transformers = transformers
        self.alpha = alpha

    def __call__(self, batch: np.ndarray, out_size: tuple[int, int]) -> np.ndarray:
        import torch
        import torch.nn.functional as F

        if self.transformers:
            s = self.model.anomaly_scores(torch.from_numpy(batch), self.score, out_size, alpha=self.alpha)
            return s.float().cpu().numpy()
        from baselines.data import to_tensor_image

        param = next(self.model.parameters())
        x = torch.stack([to_tensor_image(a) for a in batch]).to(device=param.device, dtype=param.dtype)
        with torch.no_grad():
            s = self.model.anomaly_scores(x, score=self.score).float()
            if tuple(s.shape[-2:]) != tuple(out_size):
                s = F.interpolate(s[:, None], size=tuple(out_size), mode="bilinear", align_corners=False)[:, 0]
        return s.cpu().numpy()


def score_image(
    model: Any,
    image: Any,
    *,
    score: str,
    out_size: tuple[int, int],
    input_size: tuple[int, int] | None = None,
    device: Any = "cpu",
) -> np.ndarray:
    """Score one RGB image (PIL or (H, W, 3) uint8) with a baseline model -> (H, W) float16 map at ``out_size``.

    ``input_size`` = (width, height) resizes the image before the model (the map is resized back, bilinearly).
    ``device`` is kept for compatibility: the model's own device is used.
    """
    del device
    scorer = _Scorer(model, score=score, transformers=False)
    size = (int(out_size[0]), int(out_size[1]))
    return _finite_float16(scorer(_as_uint8(image, input_size)[None], size)[0])


@dataclass(frozen=True)
class _Images:
    """Images to score: ids in order, output sizes, and a reader of (id, RGB image) pairs."""

    name: str
    shapes: dict[str, tuple[int, int]]
    rows: Any = None  # a datasets.Dataset with "id" and "image"
    folder: Path | None = None
    files: dict[str, Path] | None = None

    def read(self, wanted: list[str]) -> Iterator[tuple[str, Any]]:
        if self.files is not None:
            from PIL import Image

            for image_id in wanted:
                with Image.open(self.files[image_id]) as img:
                    yield image_id, img.convert("RGB")
            return
        index = {str(i): n for n, i in enumerate(self.rows.select_columns(["id"])["id"])}
        subset = self.rows.select_columns(["id", "image"]).select([index[i] for i in wanted])
        for row in subset:
            yield str(row["id"]), row["image"]


def _dataset_images(data: Any, config: str | None, split: str | None) -> _Images:
    import comsamy
    from comsamy.evaluation.dataset import load_view

    rows = data if not isinstance(data, (str, Path)) else comsamy.load_dataset(str(data), config=config, split=split)
    if hasattr(rows, "keys") and not hasattr(rows, "column_names"):  # a DatasetDict
        if split not in rows:
            raise UsageError(f"expected a split {split!r} in {data}, got splits {sorted(rows)}")
        rows = rows[split]
    missing = [c for c in ("id", "image") if c not in getattr(rows, "column_names", [])]
    if missing:
        raise UsageError(
            f"expected rows with 'id' and 'image' columns in {data}, got columns {getattr(rows, 'column_names', None)}"
        )
    if "label" in rows.column_names:
        shapes = load_view(rows).shapes
    else:
        shapes = {str(r["id"]): (r["image"].height, r["image"].width) for r in rows.select_columns(["id", "image"])}
    name = str(data) if isinstance(data, (str, Path)) else "dataset"
    return _Images(name=name, shapes=shapes, rows=rows)


def _folder_images(folder: str | Path) -> _Images:
    from PIL import Image

    root = Path(folder)
    if not root.is_dir():
        raise UsageError(f"expected --images to be a folder of images, got {str(root)!r} (no such folder)")
    files: dict[str, Path] = {}
    for path in sorted(root.iterdir()):
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            if path.stem in files:
                raise UsageError(f"expected one image per name in {root}, got {files[path.stem].name} and {path.name}")
            files[path.stem] = path
    if not files:
        raise UsageError(f"expected images ({', '.join(IMAGE_SUFFIXES)}) in {root}, got none")
    shapes = {}
    for image_id, path in files.items():
        try:
            with Image.open(path) as img:
                shapes[image_id] = (img.height, img.width)
        except Exception as exc:
            raise UsageError(f"expected a readable image at {path}, got {type(exc).__name__}: {exc}") from exc
    return _Images(name=str(root), shapes=shapes, folder=root, files=files)


def _batches(
    images: _Images, wanted: list[str], batch_size: int, input_size: tuple[int, int] | None
) -> Iterator[tuple[list[str], np.ndarray, tuple[int, int]]]:
    """Consecutive images of one input and output size, ``batch_size`` at most."""
    ids: list[str] = []
    arrays: list[np.ndarray] = []
    key: tuple[Any, ...] | None = None
    for image_id, image in images.read(wanted):
        arr = _as_uint8(image, input_size)
        this = (arr.shape, images.shapes[image_id])
        if ids and (this != key or len(ids) == batch_size):
            yield ids, np.stack(arrays), images.shapes[ids[0]]
            ids, arrays = [], []
        key = this
        ids.append(image_id)
        arrays.append(arr)
    if ids:
        yield ids, np.stack(arrays), images.shapes[ids[0]]


def _manifest(
    loaded: Any,
    score: str,
    method: str | None,
    images: _Images,
    config: str | None,
    split: str | None,
    from_folder: bool,
) -> dict[str, Any]:
    model_cfg = {k: v for k, v in loaded.config.items() if k != "backbone_config"}
    if loaded.kind == "transformers":
        backbone = f"{loaded.name} ({loaded.source})"
        description = f"{loaded.source} scored zero-shot with {score} (comsamy-infer)"
    else:
        backbone = getattr(loaded.model, "backbone_name", None) or (
            "Mask2Former" if loaded.name.startswith("mask2anomaly") else "DeepLabV3+ WiderResNet38"
        )
        if model_cfg.get("width", 1.0) != 1.0:
            backbone += f" (width {model_cfg['width']})"
        description = f"{loaded.name} scored with {score} (comsamy baselines)"
    short = "rpl" if loaded.kind == "weights" and loaded.name.startswith("rpl") else loaded.name
    manifest = {
        "method": method or f"{short}-{score}",
        "description": description,
        "backbone": backbone,
        "extra_data": False,
        "outlier_data": loaded.outlier_data,
        "score": score,
        "score_dtype": "float16",
        "model": loaded.name,
        "model_source": loaded.source,
        "model_kind": loaded.kind,
        "model_config": model_cfg,
    }
    if loaded.step is not None:
        manifest["checkpoint_step"] = int(loaded.step)
    if from_folder:
        manifest["images"] = images.name
    else:
        manifest.update({"dataset": images.name, "config": config, "split": split})
    return manifest


def predict_archive(
    model: Any,
    out: str | Path,
    *,
    data: Any = "sample",
    config: str | None = "all",
    split: str | None = "test",
    images: str | Path | None = None,
    score: str = "eel",
    device: str = "auto",
    dtype: str = "float32",
    batch_size: int = 1,
    input_size: tuple[int, int] | None = None,
    blur: bool | None = None,
    method: str | None = None,
    progress: bool = True,
) -> InferenceResult:
    """Score every image of ``comsamy.load_dataset(data, config, split)`` (or of the folder ``images``).

    Args:
        model: a checkpoint / weights file, a ``save_pretrained`` folder, a ``transformers`` folder or Hub id
            (:func:`baselines.model_loading.load_model`), or a loaded checkpoint dict.
        out: ``*.zip``, or a folder.
        data: dataset name / path for ``comsamy.load_dataset``, or a loaded ``datasets.Dataset``.
        images: a folder of images to score instead of ``data`` (maps at each image's size).
        score: one of ``msp``, ``max_logit`` (or ``maxlogit``), ``entropy``, ``energy``, ``eel``.
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:i``.
        dtype: the model's parameter dtype (``float32``, ``float16``, ``bfloat16``); scores are float32.
        batch_size: images per forward pass (consecutive images of one size).
        input_size: (width, height) to resize images to before the model (None = native size).
        blur: override a baseline's Gaussian-blur setting (RPL's 7x7, sigma 1).
        method: method name for the manifest (default ``<model>-<score>``).
        progress: a tqdm progress bar.

    Raises:
        UsageError: a bad option, or a resume with other settings.
        ConfigError: a model that cannot be loaded.
    """
    import dataclasses

    from baselines.base import SCORE_NAMES
    from baselines.map_store import MapStore
    from baselines.model_loading import load_model
    from baselines.training import resolve_device

    t0 = time.perf_counter()
    score = SCORE_ALIASES.get(score, score)
    if score not in SCORE_NAMES:
        raise UsageError(f"expected --score in {(*SCORE_NAMES, *SCORE_ALIASES)}, got {score!r}")
    if batch_size < 1:
        raise UsageError(f"expected --batch-size >= 1, got {batch_size}")
    dev = resolve_device(device)
    loaded = load_model(model, device=dev, dtype=dtype)
    if blur is not None:
        if loaded.kind == "transformers" or not hasattr(loaded.model.config, "blur"):
            raise UsageError(f"expected --blur / --no-blur only for RPL / inlier models, got {loaded.name}")
        loaded.model.config = dataclasses.replace(loaded.model.config, blur=blur)
    source = _folder_images(images) if images is not None else _dataset_images(data, config, split)
    manifest = _manifest(loaded, score, method, source, config, split, images is not None)
    settings = {
        "model": loaded.source if isinstance(model, (str, Path)) else "checkpoint",
        "score": score,
        "dtype": dtype,
        "input_size": list(input_size) if input_size else None,
        "blur": blur,
        "data": source.name,
        "config": None if images is not None else config,
        "split": None if images is not None else split,
    }
    store = MapStore(out, settings=settings, shapes=source.shapes)
    done = store.done_ids()
    todo = [i for i in source.shapes if i not in done]
    scorer = _Scorer(loaded.model, score=score, transformers=loaded.kind == "transformers")
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(source.shapes), initial=len(done), desc=f"infer {manifest['method']}", unit="img")
    try:
        for ids, batch, out_size in _batches(source, todo, batch_size, input_size):
            maps = scorer(batch, (int(out_size[0]), int(out_size[1])))
            for image_id, scores in zip(ids, maps, strict=True):
                store.put(image_id, _finite_float16(scores))
            if bar is not None:
                bar.update(len(ids))
    finally:
        if bar is not None:
            bar.close()
    path = store.finish(manifest)
    logger.info("wrote %d score maps to %s (%d from an earlier run)", len(source.shapes), path, len(done))
    return InferenceResult(
        archive=str(path),
        num_images=len(source.shapes),
        manifest=manifest,
        seconds=time.perf_counter() - t0,
        resumed=len(done),
    )
