"""Copy-paste anomaly synthesis (paper Eq. 1) and two placements: ours (drivable ground, perspective) and RPL's.

Eq. 1: ``x_amy = Pad(1 - y_out) * x_in + Pad(y_out * x_out)``, ``y_amy = Pad(1 - y_out) * y_in + Pad(y_out) * P``
with ``y_out`` the object's binary mask, ``Pad`` placing the object at (top, left) in the inlier image and ``P``
the anomaly id (254 by default, 20 as the paper writes it).

Placements: :func:`choose_placement` (ours) stands the object on a random drivable pixel and sizes it by its row;
:func:`rpl_placement` is the official RPL / PEBAL one (``Preprocess.mix_object``): the object is scaled by a factor
drawn from :data:`RPL_OOD_SCALES` and its box put at a uniformly random position inside the image, with no regard
for the scene. ``PLACEMENTS`` names both, for ``data.placement`` and ``comsamy-synth compose --placement``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from comsamy.constants import ANOMALY_TRAIN_ID, DRIVABLE_TRAIN_IDS
from comsamy.errors import UsageError

__all__ = [
    "PLACEMENTS",
    "RPL_OOD_SCALES",
    "Placement",
    "choose_placement",
    "paste_object",
    "resize_object",
    "rpl_placement",
]

PLACEMENTS = ("drivable", "rpl")
"""``drivable``: ours (drivable ground, perspective size); ``rpl``: RPL's official uniform random position."""

RPL_OOD_SCALES: tuple[float, ...] = (0.25, 0.5, 0.5, 0.75, 0.1, 0.125)
"""RPL's ``ood_train_scale_array`` (its config.py): the factor an OoD object is resized by, drawn uniformly."""


def paste_object(
    image: np.ndarray,
    label: np.ndarray,
    obj_image: np.ndarray,
    obj_mask: np.ndarray,
    top: int,
    left: int,
    *,
    anomaly_id: int = ANOMALY_TRAIN_ID,
) -> tuple[np.ndarray, np.ndarray]:
    """Paste ``obj_image`` where ``obj_mask`` is set, its top-left corner at (``top``, ``left``) (Eq. 1).

    The object may hang over the border: only the overlapping part is pasted. Inputs are not modified.

    Args:
        image: (H, W, 3) uint8 inlier image.
        label: (H, W) integer train-id label.
        obj_image: (h, w, 3) uint8 object image.
        obj_mask: (h, w) binary mask of the object (non-zero = object).
        top, left: position of the object's top-left corner in ``image`` (may be negative).
        anomaly_id: label written on the object's pixels.

    Returns:
        The new image and label.
    """
    if image.ndim != 3 or image.shape[2] != 3 or label.shape != image.shape[:2]:
        raise UsageError(f"expected image (H, W, 3) and label (H, W), got {image.shape} and {label.shape}")
    if obj_image.ndim != 3 or obj_mask.shape != obj_image.shape[:2]:
        raise UsageError(
            f"expected obj_image (h, w, 3) and obj_mask (h, w), got {obj_image.shape} and {obj_mask.shape}"
        )
    out_img, out_lab = image.copy(), label.copy()
    h, w = obj_mask.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, image.shape[0]), min(left + w, image.shape[1])
    if y1 <= y0 or x1 <= x0:
        return out_img, out_lab
    m = obj_mask[y0 - top : y1 - top, x0 - left : x1 - left] > 0
    region = out_img[y0:y1, x0:x1]
    region[m] = obj_image[y0 - top : y1 - top, x0 - left : x1 - left][m]
    out_lab[y0:y1, x0:x1][m] = anomaly_id
    return out_img, out_lab


def resize_object(obj_image: np.ndarray, obj_mask: np.ndarray, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Scale an object (and its mask, nearest) to ``height`` pixels, keeping the aspect ratio."""
    import cv2

    h, w = obj_mask.shape
    height = max(2, int(height))
    width = max(2, round(w * height / h))
    img = cv2.resize(obj_image, (width, height), interpolation=cv2.INTER_AREA if height < h else cv2.INTER_LINEAR)
    mask = cv2.resize((obj_mask > 0).astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    return img, mask


@dataclass(frozen=True)
class Placement:
    """Where and how large to paste: the object's height in pixels and its top-left corner."""

    height: int
    top: int
    left: int


def choose_placement(
    label: np.ndarray,
    obj_shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    drivable_ids: Collection[int] = DRIVABLE_TRAIN_IDS,
    min_frac: float = 0.06,
    max_frac: float = 0.3,
) -> Placement:
    """Stand an object on a random drivable pixel, sized by its row (perspective).

    A foot row ``r`` below the highest drivable row ``r0`` gives a height of
    ``H * (min_frac + (max_frac - min_frac) * (r - r0) / (H - r0))``: objects further down (closer) are larger.
    Without drivable pixels the object goes anywhere in the lower half at a random size.
    """
    h_img, w_img = label.shape
    oh, ow = obj_shape
    ys, xs = np.nonzero(np.isin(label, list(drivable_ids)))
    if ys.size:
        i = int(rng.integers(ys.size))
        foot, cx = int(ys[i]), int(xs[i])
        r0 = int(ys.min())
        t = (foot - r0) / max(1, h_img - r0)
    else:
        foot = int(rng.integers(h_img // 2, h_img))
        cx = int(rng.integers(w_img))
        t = float(rng.random())
    height = max(4, round(h_img * (min_frac + (max_frac - min_frac) * t)))
    width = max(2, round(ow * height / oh))
    return Placement(height=height, top=foot - height + 1, left=cx - width // 2)


def rpl_placement(
    label_shape: tuple[int, int],
    obj_shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    scales: tuple[float, ...] = RPL_OOD_SCALES,
) -> Placement:
    """RPL's official placement: scale the object by a random entry of ``scales``, put it anywhere it fits.

    The top-left corner is uniform over every position that keeps the whole box inside the image, as
    ``random.randint(0, H - h)`` / ``randint(0, W - w)`` in RPL's ``mix_object``. RPL centre-crops its COCO images to
    the inlier crop first, so its objects always fit; here an object still larger than the image after scaling is
    shrunk to fit (the one deviation).
    """
    h_img, w_img = label_shape
    oh, ow = obj_shape
    if not scales or min(scales) <= 0:
        raise UsageError(f"expected positive RPL scales, got {scales}")
    scale = float(scales[int(rng.integers(len(scales)))])
    height = max(2, round(oh * scale))
    width = max(2, round(ow * height / oh))
    fit = min(1.0, h_img / height, w_img / width)
    if fit < 1.0:
        height, width = max(2, int(height * fit)), max(2, int(width * fit))
    height, width = min(height, h_img), min(width, w_img)
    top = int(rng.integers(0, h_img - height + 1))
    left = int(rng.integers(0, w_img - width + 1))
    return Placement(height=height, top=top, left=left)
