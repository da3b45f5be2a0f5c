"""Validation of one image's score and label maps; every error names the image (MetricInputError)."""

from __future__ import annotations

import numpy as np

from comsamy.constants import LABEL_ANOMALY, LABEL_INLIER, LABEL_VOID
from comsamy.errors import MetricInputError
from comsamy.metrics.keys import FLOAT16_MAX

_VALID = (LABEL_INLIER, LABEL_ANOMALY, LABEL_VOID)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def describe(image_id: str | None) -> str:
    """How an image is named in messages: ``image 'fog_0'`` or ``scores`` when no id is known."""
    return f"image {image_id!r}" if image_id is not None else "image"


def check_labels(labels: object, image_id: str | None) -> np.ndarray:
    """Return the label map as a uint8 array; reject non-integer dtypes and values outside {0, 1, 255}.

    Args:
        labels: H×W label map (uint8 expected; other integer or bool dtypes are accepted if their values are valid).
        image_id: name used in error messages.
    """
    arr = np.asarray(labels)
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.view(np.uint8)
    if arr.dtype.kind not in "iu":
        raise MetricInputError(
            f"{describe(image_id)}: expected a uint8 label map with values 0, 1, 255, got dtype {arr.dtype}"
        )
    if arr.size:
        bad = ~np.isin(arr, _VALID)
        if bad.any():
            raise_bad_label_values(arr, image_id)
    return arr.astype(np.uint8)


def raise_bad_label_values(labels: np.ndarray, image_id: str | None) -> None:
    """Raise the error for a label map holding values other than 0, 1, 255 (naming the values)."""
    bad_mask = ~np.isin(labels, _VALID)
    values, counts = np.unique(labels[bad_mask], return_counts=True)
    shown = ", ".join(f"{v} ({c} px)" for v, c in zip(values[:5].tolist(), counts[:5].tolist(), strict=True))
    more = f" and {len(values) - 5} more values" if len(values) > 5 else ""
    raise MetricInputError(f"{describe(image_id)}: expected label values 0, 1 or 255, got {shown}{more}")


def check_shapes(scores: np.ndarray, labels: np.ndarray, image_id: str | None) -> None:
    """Scores must have exactly the label's shape (no silent resizing)."""
    if labels.ndim not in (1, 2):
        raise MetricInputError(f"{describe(image_id)}: expected a 2-D H×W label map, got shape {labels.shape}")
    if scores.shape != labels.shape:
        want = "x".join(map(str, labels.shape))
        got = "x".join(map(str, scores.shape))
        raise MetricInputError(f"{describe(image_id)}: expected scores of shape {want} (the label's HxW), got {got}")


def score_kind(scores: np.ndarray, image_id: str | None) -> str:
    """``"float"`` or ``"integer"``; anything else (bool, complex, object) is an error."""
    kind = scores.dtype.kind
    if kind == "f":
        return "float"
    if kind in "iu":
        return "integer"
    raise MetricInputError(
        f"{describe(image_id)}: expected float or unsigned integer (uint8/uint16) scores, got dtype {scores.dtype}"
    )


def raise_nonfinite(count: int, image_id: str | None) -> None:
    """Raise the error for NaN / ±inf scores."""
    raise MetricInputError(f"{describe(image_id)}: expected finite scores, got {count} NaN or inf pixel(s)")


def check_float_range(scores: np.ndarray, image_id: str | None, *, precision: str) -> None:
    """Reject NaN/inf and values outside the finite range of the ranking precision (never clip)."""
    if scores.size == 0:
        return
    lo, hi = float(scores.min()), float(scores.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise_nonfinite(int(np.count_nonzero(~np.isfinite(scores))), image_id)
    limit = FLOAT16_MAX if precision == "float16" else _FLOAT32_MAX
    if lo < -limit or hi > limit:
        raise MetricInputError(
            f"{describe(image_id)}: expected scores within {precision}'s finite range ±{limit:g}, got values in "
            f"[{lo:g}, {hi:g}]; rescale the scores (e.g. divide by a constant: ranking is unchanged) rather than "
            "letting them overflow"
        )


def integer_scores_as_uint16(scores: np.ndarray, image_id: str | None) -> np.ndarray:
    """Integer scores as uint8/uint16 (ranked as the integers they are); values must lie in [0, 65535]."""
    if scores.dtype in (np.uint8, np.uint16):
        return scores
    if scores.size:
        lo, hi = int(scores.min()), int(scores.max())
        if lo < 0 or hi > 0xFFFF:
            raise MetricInputError(
                f"{describe(image_id)}: expected integer scores in [0, 65535] (uint8/uint16), got values in [{lo}, {hi}]; "
                "store them as float or rescale them"
            )
    return scores.astype(np.uint16)
