"""Plain copy-paste (Eq. 1): the object's pixels replace the image, its mask gets the anomaly id.

    x_amy = Pad(1 - y_out) * x_in + Pad(y_out * x_out)
    y_amy = Pad(1 - y_out) * y_in + Pad(y_out) * P

``P`` is the anomaly id (254 by default, 20 as the paper writes). Void (255) outside the object is kept.
"""

from __future__ import annotations

import numpy as np

from baselines.synthesis.placement import Placement, resize_mask
from comsamy.constants import ANOMALY_TRAIN_ID, NUM_INLIER_CLASSES
from comsamy.errors import ConfigError, UsageError


def check_anomaly_id(anomaly_id: int) -> int:
    """Return ``anomaly_id`` if it cannot be mistaken for an inlier class or void, else raise ConfigError."""
    if not isinstance(anomaly_id, (int, np.integer)) or not NUM_INLIER_CLASSES <= anomaly_id <= 254:
        raise ConfigError(
            f"--anomaly-id: expected an integer in [{NUM_INLIER_CLASSES}, 254] (254 or the paper's 20), "
            f"got {anomaly_id!r}"
        )
    return int(anomaly_id)


def resize_object(image: np.ndarray, mask: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Resize an object crop (area filter when shrinking) and its mask to ``width x height``."""
    import cv2

    if image.shape[:2] != mask.shape:
        raise UsageError(f"expected object image and mask of the same size, got {image.shape[:2]} and {mask.shape}")
    interp = cv2.INTER_AREA if height < image.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interp), resize_mask(mask, width, height)


def full_mask(shape: tuple[int, int], mask: np.ndarray, placement: Placement) -> np.ndarray:
    """Pad an object-sized mask into a full (H, W) mask at the placement box."""
    out = np.zeros(shape, bool)
    x0, y0, x1, y1 = placement.box
    out[y0:y1, x0:x1] = mask
    return out


def apply_label(label: np.ndarray, mask: np.ndarray, anomaly_id: int = ANOMALY_TRAIN_ID) -> np.ndarray:
    """Eq. 1 on labels: ``anomaly_id`` where ``mask`` (full size), the inlier label elsewhere."""
    if label.shape != mask.shape:
        raise UsageError(f"expected a mask of the label's shape {label.shape}, got {mask.shape}")
    out = label.copy()
    out[mask] = check_anomaly_id(anomaly_id)
    return out


def paste_object(
    image: np.ndarray,
    label: np.ndarray,
    obj_image: np.ndarray,
    obj_mask: np.ndarray,
    placement: Placement,
    *,
    anomaly_id: int = ANOMALY_TRAIN_ID,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Copy-paste one object at ``placement`` with no harmonisation.

    Args:
        image: (H, W, 3) uint8 inlier image.
        label: (H, W) uint8 train ids.
        obj_image: (h, w, 3) uint8 object crop; ``obj_mask`` (h, w) bool.
        placement: Where, and at which size.

    Returns:
        (image, label, full mask) after Eq. 1; the inputs are not modified.
    """
    if image.shape[:2] != label.shape:
        raise UsageError(f"expected image and label of the same size, got {image.shape[:2]} and {label.shape}")
    from baselines.anomaly_paste import paste_object as eq1_paste  # the baselines' Eq. 1 primitive

    obj, m = resize_object(obj_image, obj_mask, placement.width, placement.height)
    out, out_label = eq1_paste(
        image, label, obj, m, placement.y0, placement.x0, anomaly_id=check_anomaly_id(anomaly_id)
    )
    return out, out_label, full_mask(label.shape, m, placement)
