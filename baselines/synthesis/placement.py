"""Where a pasted object stands and how big it is: drivable pixels and a ground-plane perspective.

For a flat road seen by a level camera, an object of real height ``h`` whose base touches the ground on image
row ``r`` appears ``(r - horizon) * h / camera_height`` pixels tall. The horizon is estimated from the inlier
label as the top of the drivable area, and ``h / camera_height`` is drawn per object from
:attr:`PlacementConfig.relative_height`, so an object standing lower in the frame is larger.

:func:`random_placement` is RPL's official placement instead (no drivable pixels, no perspective: a random scale
from :data:`baselines.anomaly_paste.RPL_OOD_SCALES`, a uniformly random position inside the image), the
``--placement rpl`` switch of ``comsamy-synth compose`` that lets an ablation compare blenders with the same
placement as RPL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from baselines.synthesis.errors import PlacementError
from comsamy.constants import DRIVABLE_TRAIN_IDS
from comsamy.errors import ConfigError


@dataclass(frozen=True)
class PlacementConfig:
    """Placement search settings.

    Attributes:
        relative_height: Range of object height over camera height (object pixels = this * (row - horizon)).
        min_height_px: Smallest pasted object height in pixels.
        max_height_fraction: Largest pasted object height as a fraction of the image height.
        footprint_drivable: Fraction of the object's bottom-row pixels that must lie on drivable pixels.
        candidates: Valid placements compared; the one whose pixels cover the most drivable area wins.
        attempts: Random draws before giving up.
        horizon_quantile: Quantile of the drivable rows taken as the horizon (robust to stray pixels).
    """

    relative_height: tuple[float, float] = (0.3, 0.9)
    min_height_px: int = 16
    max_height_fraction: float = 0.45
    footprint_drivable: float = 1.0
    candidates: int = 6
    attempts: int = 60
    horizon_quantile: float = 0.005

    def __post_init__(self) -> None:
        lo, hi = self.relative_height
        if not 0 < lo <= hi:
            raise ConfigError(f"expected 0 < relative_height[0] <= relative_height[1], got {self.relative_height}")
        if not 0 < self.footprint_drivable <= 1:
            raise ConfigError(f"expected footprint_drivable in (0, 1], got {self.footprint_drivable}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Placement:
    """An object's box in the inlier image and the perspective that sized it.

    Attributes:
        x0, y0: Top-left corner; the box is ``[x0, x0 + width) x [y0, y0 + height)``.
        width, height: Pasted size in pixels.
        bottom_row: Image row of the object's base (``y0 + height - 1``).
        horizon: Estimated horizon row.
        relative_height: Drawn object height over camera height.
        scale: Resize factor applied to the object crop.
    """

    x0: int
    y0: int
    width: int
    height: int
    bottom_row: int
    horizon: int
    relative_height: float
    scale: float

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) with exclusive x1, y1."""
        return (self.x0, self.y0, self.x0 + self.width, self.y0 + self.height)

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": list(self.box),
            "bottom_row": self.bottom_row,
            "horizon": self.horizon,
            "relative_height": round(self.relative_height, 4),
            "scale": round(self.scale, 4),
        }


def drivable_mask(label: np.ndarray) -> np.ndarray:
    """(H, W) train ids -> (H, W) bool, True on road, sidewalk and terrain."""
    lut = np.zeros(256, bool)
    lut[sorted(DRIVABLE_TRAIN_IDS)] = True
    return lut[label]


def estimate_horizon(label: np.ndarray, *, quantile: float = 0.005) -> int:
    """Horizon row: a low quantile of the rows holding drivable pixels (the top of the ground plane)."""
    counts = drivable_mask(label).sum(axis=1)
    if counts.sum() == 0:
        raise PlacementError(
            "expected drivable pixels (road, sidewalk or terrain train ids) in the inlier label, got none"
        )
    # the row holding the given quantile of drivable pixels, counted from the top
    cum = np.cumsum(counts)
    return int(np.searchsorted(cum, quantile * (cum[-1] - 1), side="right"))


def resize_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize a bool mask with bilinear interpolation and a 0.5 threshold."""
    import cv2

    m = cv2.resize(mask.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    return m >= 0.5


def placement_at(
    image_hw: tuple[int, int],
    object_hw: tuple[int, int],
    *,
    center_x: int,
    bottom_row: int,
    horizon: int,
    relative_height: float,
) -> Placement:
    """The placement of an object whose base is centred on ``(center_x, bottom_row)`` (no validity checks)."""
    oh, ow = object_hw
    height = max(1, round((bottom_row - horizon) * relative_height))
    scale = height / oh
    width = max(1, round(ow * scale))
    return Placement(
        x0=int(center_x - width // 2),
        y0=int(bottom_row - height + 1),
        width=width,
        height=height,
        bottom_row=int(bottom_row),
        horizon=int(horizon),
        relative_height=float(relative_height),
        scale=float(scale),
    )


def sample_placement(
    label: np.ndarray, object_mask: np.ndarray, rng: np.random.Generator, config: PlacementConfig | None = None
) -> Placement:
    """Search the label for a placement of an object on drivable ground.

    A candidate draws a drivable pixel as the object's base centre and a relative height; it is valid when the
    box lies inside the image, the object is at least ``min_height_px`` tall and at most
    ``max_height_fraction`` of the image, and its bottom-row pixels stand on drivable ground. Among up to
    ``candidates`` valid draws the one whose object pixels cover the most drivable ground is returned.

    Raises:
        PlacementError: No drivable pixel, or no valid placement after ``attempts`` draws.
    """
    cfg = config or PlacementConfig()
    if object_mask.ndim != 2 or not object_mask.any():
        raise PlacementError(
            f"expected a non-empty 2-D object mask, got shape {object_mask.shape} with {int(object_mask.sum())} pixels"
        )
    h, w = label.shape
    drive = drivable_mask(label)
    horizon = estimate_horizon(label, quantile=cfg.horizon_quantile)
    lo, hi = cfg.relative_height
    min_row = horizon + int(np.ceil(cfg.min_height_px / hi))
    ys, xs = np.nonzero(drive[min_row:])
    ys = ys + min_row
    if len(ys) == 0:
        raise PlacementError(
            f"expected drivable pixels at least {cfg.min_height_px / hi:.0f} rows below the horizon "
            f"(row {horizon}), got none"
        )
    best: tuple[float, Placement] | None = None
    found = 0
    for _ in range(cfg.attempts):
        k = int(rng.integers(len(ys)))
        rel = float(rng.uniform(lo, hi))
        p = placement_at(
            (h, w), object_mask.shape, center_x=int(xs[k]), bottom_row=int(ys[k]), horizon=horizon, relative_height=rel
        )
        if p.height < cfg.min_height_px or p.height > cfg.max_height_fraction * h:
            continue
        x0, y0, x1, y1 = p.box
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            continue
        m = resize_mask(object_mask, p.width, p.height)
        if not m.any():
            continue
        rows = np.nonzero(m.any(axis=1))[0]
        foot = m[rows[-1]]
        on = drive[y0 + rows[-1], x0:x1][foot]
        if on.mean() < cfg.footprint_drivable:
            continue
        cover = float(drive[y0:y1, x0:x1][m].mean())
        if best is None or cover > best[0]:
            best = (cover, p)
        found += 1
        if found >= cfg.candidates:
            break
    if best is None:
        raise PlacementError(
            f"expected a placement on drivable ground, got none in {cfg.attempts} attempts "
            f"(object {object_mask.shape[1]}x{object_mask.shape[0]}, horizon row {horizon})"
        )
    return best[1]


def random_placement(label: np.ndarray, object_mask: np.ndarray, rng: np.random.Generator) -> Placement:
    """RPL's placement (:func:`baselines.anomaly_paste.rpl_placement`) as a :class:`Placement` (no horizon: -1)."""
    from baselines.anomaly_paste import rpl_placement

    if object_mask.ndim != 2 or not object_mask.any():
        raise PlacementError(
            f"expected a non-empty 2-D object mask, got shape {object_mask.shape} with {int(object_mask.sum())} pixels"
        )
    p = rpl_placement(label.shape, object_mask.shape, rng)
    width = max(1, round(object_mask.shape[1] * p.height / object_mask.shape[0]))
    width = min(width, label.shape[1] - p.left)
    return Placement(
        x0=p.left,
        y0=p.top,
        width=width,
        height=p.height,
        bottom_row=p.top + p.height - 1,
        horizon=-1,
        relative_height=0.0,
        scale=p.height / object_mask.shape[0],
    )
