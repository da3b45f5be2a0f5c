"""Training data: any ``datasets`` split with ``image`` and ``label`` (train ids), augmented, plus copy-paste.

Rows come from ``comsamy.load_dataset(...)`` (e.g. the sample's ``inliers`` config, or a synthesized set whose
labels already carry the anomaly id) or, with ``dataset: cityscapes:/path``, from a Cityscapes folder
(:mod:`baselines.cityscapes`). Each item is randomly resized, cropped and flipped, then, with an
:class:`ObjectBank`, gets objects pasted with Eq. 1 (:mod:`baselines.anomaly_paste`), on drivable ground with a
perspective size (``placement: drivable``, ours) or at RPL's uniform random position (``placement: rpl``).
Randomness is a pure function of ``(seed, epoch, index)``, so a resumed run sees exactly the same batches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from baselines.anomaly_paste import PLACEMENTS, choose_placement, paste_object, resize_object, rpl_placement
from baselines.base import IMAGE_MEAN, IMAGE_STD
from baselines.synthesis.bank import ObjectBank as SynthesisObjectBank
from comsamy.constants import ANOMALY_TRAIN_ID, IGNORE_INDEX
from comsamy.errors import ConfigError, DataValidationError

__all__ = ["DataConfig", "ObjectBank", "SegmentationTrainSet", "build_train_set", "to_tensor_image"]


@dataclass(frozen=True)
class DataConfig:
    """Where the training rows come from and how they are augmented.

    ``dataset`` = what ``comsamy.load_dataset`` takes (a folder, ``"comsamy"``, ``"sample"``) or
    ``"cityscapes:/path"`` (``config`` is then ignored, ``split`` names the Cityscapes split); ``resize`` =
    (width, height) applied to every row first (None keeps the size); ``crop_size`` = square crop side after
    random scaling (0 = no crop); ``object_bank`` = folder of objects to paste (None = use the labels as they
    are, e.g. an already synthesized set); ``placement`` = ``"drivable"`` (ours) or ``"rpl"`` (RPL's official
    uniform random position, so an ablation can compare blenders with the placement held fixed).
    """

    dataset: str = "sample"
    config: str | None = "inliers"
    split: str = "train"
    resize: tuple[int, int] | None = None
    crop_size: int = 128
    scale_range: tuple[float, float] = (0.75, 1.25)
    flip: bool = True
    object_bank: str | None = None
    paste_prob: float = 1.0
    max_objects: int = 2
    anomaly_id: int = ANOMALY_TRAIN_ID
    placement: str = "drivable"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.placement not in PLACEMENTS:
            raise ConfigError(f"expected data.placement in {PLACEMENTS}, got {self.placement!r}")
        if self.resize is not None:
            object.__setattr__(self, "resize", (int(self.resize[0]), int(self.resize[1])))
        object.__setattr__(self, "scale_range", (float(self.scale_range[0]), float(self.scale_range[1])))
        if self.crop_size < 0:
            raise ConfigError(f"expected data.crop_size >= 0, got {self.crop_size}")
        if not 0 < self.scale_range[0] <= self.scale_range[1]:
            raise ConfigError(f"expected 0 < data.scale_range[0] <= data.scale_range[1], got {self.scale_range}")
        if not 0.0 <= self.paste_prob <= 1.0:
            raise ConfigError(f"expected data.paste_prob in [0, 1], got {self.paste_prob}")
        if self.max_objects < 1:
            raise ConfigError(f"expected data.max_objects >= 1, got {self.max_objects}")
        if not 0 <= self.anomaly_id <= 255 or self.anomaly_id == IGNORE_INDEX:
            raise ConfigError(f"expected data.anomaly_id in 0..254, got {self.anomaly_id}")

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["resize"] = list(self.resize) if self.resize else None
        d["scale_range"] = list(self.scale_range)
        return d


class ObjectBank(SynthesisObjectBank):
    """A folder of pasteable objects (``images/<id>.<png|jpg|...>``, ``masks/<id>.png``, optional
    ``provenance.jsonl``): the one bank format of :class:`baselines.synthesis.bank.ObjectBank`, plus a cache of
    decoded objects for the training loop and the ``ids`` / ``provenance`` views it uses."""

    def __init__(self, root: str | Path) -> None:
        super().__init__(root)
        self.ids = [e.id for e in self.entries]
        self.provenance: dict[str, dict[str, Any]] = {e.id: dict(e.meta) for e in self.entries if e.meta}
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Object ``index``: (h, w, 3) uint8 image and (h, w) uint8 mask (1 = object), cropped to the mask."""
        if index not in self._cache:
            image, mask = super().load(index)
            self._cache[index] = (np.ascontiguousarray(image), mask.astype(np.uint8))
        return self._cache[index]


def to_tensor_image(image: np.ndarray) -> Any:
    """(H, W, 3) uint8 -> (3, H, W) float32 tensor normalised with IMAGE_MEAN / IMAGE_STD."""
    import torch

    x = torch.from_numpy(np.array(image, dtype=np.uint8, copy=True)).permute(2, 0, 1).float().div_(255.0)
    mean = torch.tensor(IMAGE_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGE_STD).view(3, 1, 1)
    return (x - mean) / std


def _resize(image: np.ndarray, label: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    if (image.shape[1], image.shape[0]) == size:
        return image, label
    img = cv2.resize(image, size, interpolation=cv2.INTER_AREA if size[0] < image.shape[1] else cv2.INTER_LINEAR)
    lab = cv2.resize(label, size, interpolation=cv2.INTER_NEAREST)
    return img, lab


def _crop(image: np.ndarray, label: np.ndarray, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    h, w = label.shape
    ph, pw = max(0, size - h), max(0, size - w)
    if ph or pw:
        image = np.pad(image, ((0, ph), (0, pw), (0, 0)))
        label = np.pad(label, ((0, ph), (0, pw)), constant_values=IGNORE_INDEX)
    h, w = label.shape
    top, left = int(rng.integers(h - size + 1)), int(rng.integers(w - size + 1))
    return image[top : top + size, left : left + size], label[top : top + size, left : left + size]


class SegmentationTrainSet:
    """A map-style torch dataset of ``(image (3, h, w) float, label (h, w) int64)`` training pairs.

    Args:
        rows: anything indexable returning dicts with ``image`` (PIL or array) and ``label`` (train ids).
        config: augmentation and pasting settings.
        bank: objects to paste (overrides ``config.object_bank``).
    """

    def __init__(self, rows: Sequence[Any], config: DataConfig, bank: ObjectBank | None = None) -> None:
        self.rows = rows
        self.config = config
        self.bank = bank if bank is not None else (ObjectBank(config.object_bank) if config.object_bank else None)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.rows)

    def sample(self, index: int, epoch: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The augmented (image uint8 (h, w, 3), label uint8 (h, w)) pair of ``index`` in ``epoch``."""
        c = self.config
        rng = np.random.default_rng([c.seed, self.epoch if epoch is None else epoch, index])
        row = self.rows[index]
        image = np.asarray(row["image"].convert("RGB") if hasattr(row["image"], "convert") else row["image"])
        label = np.asarray(row["label"]).astype(np.uint8)
        if image.shape[:2] != label.shape:
            raise DataValidationError(
                f"expected row {index}'s image and label of one size, got {image.shape} and {label.shape}"
            )
        if c.resize is not None:
            image, label = _resize(image, label, c.resize)
        scale = float(rng.uniform(*c.scale_range))
        if scale != 1.0:
            image, label = _resize(
                image, label, (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
            )
        if c.crop_size:
            image, label = _crop(image, label, c.crop_size, rng)
        if self.bank is not None and rng.random() < c.paste_prob:
            for _ in range(int(rng.integers(1, c.max_objects + 1))):
                obj_img, obj_mask = self.bank.load(int(rng.integers(len(self.bank))))
                if c.placement == "rpl":
                    place = rpl_placement(label.shape, obj_mask.shape, rng)
                else:
                    place = choose_placement(label, obj_mask.shape, rng)
                obj_img, obj_mask = resize_object(obj_img, obj_mask, place.height)
                image, label = paste_object(
                    image, label, obj_img, obj_mask, place.top, place.left, anomaly_id=c.anomaly_id
                )
        if c.flip and rng.random() < 0.5:
            image, label = image[:, ::-1], label[:, ::-1]
        return np.ascontiguousarray(image), np.ascontiguousarray(label)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        import torch

        image, label = self.sample(index)
        return to_tensor_image(image), torch.from_numpy(label.astype(np.int64))


def build_train_set(config: DataConfig) -> SegmentationTrainSet:
    """Load ``config.dataset`` / ``config.config`` / ``config.split`` (``comsamy.load_dataset``, or a Cityscapes
    folder for ``cityscapes:/path``) and wrap it."""
    import comsamy
    from baselines.cityscapes import CITYSCAPES_PREFIX, CityscapesRows

    if config.dataset.startswith(CITYSCAPES_PREFIX):
        return SegmentationTrainSet(CityscapesRows(config.dataset[len(CITYSCAPES_PREFIX) :], config.split), config)
    rows = comsamy.load_dataset(config.dataset, config=config.config, split=config.split)
    missing = {"image", "label"} - set(getattr(rows, "column_names", ["image", "label"]))
    if missing:
        raise ConfigError(
            f"expected training rows with columns image and label in {config.dataset}/{config.config}/{config.split}, "
            f"got columns {rows.column_names}"
        )
    return SegmentationTrainSet(rows, config)
