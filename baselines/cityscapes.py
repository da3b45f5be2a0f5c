"""Cityscapes as an inlier training set, read straight from the official folder layout.

Layout (as unpacked from ``leftImg8bit_trainvaltest.zip`` and ``gtFine_trainvaltest.zip``)::

    ROOT/leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png
    ROOT/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelTrainIds.png   (cityscapesScripts' createTrainIdLabelImgs)
    ROOT/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png        (shipped; converted on the fly)

The ``labelTrainIds`` file is used when present, else ``labelIds`` goes through :data:`LABEL_ID_TO_TRAIN_ID`.
Select it in a training YAML with ``data.dataset: cityscapes:/path/to/cityscapes`` (``data.inliers`` is the same key).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from comsamy.constants import IGNORE_INDEX
from comsamy.errors import DataNotAvailableError, DataValidationError

__all__ = ["CITYSCAPES_PREFIX", "LABEL_ID_TO_TRAIN_ID", "CityscapesRows", "label_ids_to_train_ids"]

CITYSCAPES_PREFIX = "cityscapes:"
"""``data.dataset`` values starting with this name a Cityscapes root folder."""

LABEL_ID_TO_TRAIN_ID: Mapping[int, int] = {
    7: 0,
    8: 1,
    11: 2,
    12: 3,
    13: 4,
    17: 5,
    19: 6,
    20: 7,
    21: 8,
    22: 9,
    23: 10,
    24: 11,
    25: 12,
    26: 13,
    27: 14,
    28: 15,
    31: 16,
    32: 17,
    33: 18,
}
"""The official Cityscapes id -> trainId table (cityscapesScripts ``helpers/labels.py``): the 19 evaluated classes
road 7, sidewalk 8, building 11, wall 12, fence 13, pole 17, traffic light 19, traffic sign 20, vegetation 21,
terrain 22, sky 23, person 24, rider 25, car 26, truck 27, bus 28, train 31, motorcycle 32, bicycle 33; every other
id (0-6 void, 9 parking, 10 rail track, 14 guard rail, 15 bridge, 16 tunnel, 18 polegroup, 29 caravan, 30 trailer,
-1 license plate) is void (255)."""

_LUT = np.full(256, IGNORE_INDEX, np.uint8)
for _id, _train in LABEL_ID_TO_TRAIN_ID.items():
    _LUT[_id] = _train

_IMAGE_SUFFIX = "_leftImg8bit.png"


def label_ids_to_train_ids(label_ids: np.ndarray) -> np.ndarray:
    """(H, W) Cityscapes label ids -> (H, W) uint8 train ids (void 255).

    >>> label_ids_to_train_ids(np.array([[7, 26, 0, 33]])).tolist()
    [[0, 13, 255, 18]]
    """
    return _LUT[np.asarray(label_ids).astype(np.uint8)]


class CityscapesRows:
    """The image / label pairs of one Cityscapes split, as rows ``{"id", "image", "label"}`` (label = train ids).

    Args:
        root: the Cityscapes folder holding ``leftImg8bit/`` and ``gtFine/``.
        split: ``train``, ``val`` (``test`` has no labels).

    Raises:
        DataNotAvailableError: the folder or the split's image folder does not exist.
        DataValidationError: no images, or images without a label file (every one listed).
    """

    def __init__(self, root: str | Path, split: str = "train") -> None:
        self.root = Path(root)
        images_dir = self.root / "leftImg8bit" / split
        if not images_dir.is_dir():
            raise DataNotAvailableError(
                f"expected a Cityscapes folder with leftImg8bit/{split}/<city>/ at "
                f"{str(self.root)!r}, got no folder {str(images_dir)!r}"
            )
        self.items: list[tuple[str, Path, Path, bool]] = []
        problems = []
        for image in sorted(images_dir.glob(f"*/*{_IMAGE_SUFFIX}")):
            stem = image.name[: -len(_IMAGE_SUFFIX)]
            labels = self.root / "gtFine" / split / image.parent.name
            train_ids, label_ids = labels / f"{stem}_gtFine_labelTrainIds.png", labels / f"{stem}_gtFine_labelIds.png"
            if train_ids.is_file():
                self.items.append((stem, image, train_ids, False))
            elif label_ids.is_file():
                self.items.append((stem, image, label_ids, True))
            else:
                problems.append(f"{image}: expected {train_ids.name} or {label_ids.name} in {labels}, got neither")
        if problems:
            raise DataValidationError(
                f"Cityscapes {split} at {self.root}: {len(problems)} image(s) without a label", problems
            )
        if not self.items:
            raise DataValidationError(f"expected <city>/*{_IMAGE_SUFFIX} images in {str(images_dir)!r}, got none")
        self.column_names = ["id", "image", "label"]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, Any]:
        from PIL import Image

        stem, image_path, label_path, convert = self.items[index]
        with Image.open(label_path) as im:
            label = np.asarray(im)
        if label.ndim != 2:
            raise DataValidationError(
                f"expected a single-channel label image at {str(label_path)!r}, got shape {label.shape}"
            )
        label = label_ids_to_train_ids(label) if convert else label.astype(np.uint8)
        with Image.open(image_path) as im:
            image = im.convert("RGB")
        return {"id": stem, "image": image, "label": label}
