"""Perspective of a flat road seen from a car: rows map to depth, metres map to pixels.

A point on the ground is addressed by ``t`` (inverse depth: 1 at the bottom row, 0 at the horizon;
values above 1 lie below the frame) and a lateral offset ``x_m`` in metres from the road centre. For a
flat ground plane the image row is linear in ``t`` and the pixels per metre are proportional to ``t``,
which is what makes objects lower in the frame larger.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RoadGeometry:
    """Where the road runs in one image.

    Attributes:
        width: Image width in pixels.
        height: Image height in pixels.
        horizon: Row of the horizon (float pixels).
        vanish_x: Column where the road meets the horizon.
        bottom_x: Column of the road centre on the bottom row.
        half_width_px: Half the road width on the bottom row, in pixels.
        half_width_m: Half the road width in metres (sets the pixels-per-metre scale).
        curve: Lateral bend of the far road, as a fraction of the width (signed).
    """

    width: int
    height: int
    horizon: float
    vanish_x: float
    bottom_x: float
    half_width_px: float
    half_width_m: float
    curve: float

    def row(self, t: float | np.ndarray) -> float | np.ndarray:
        """Image row of ground points at inverse depth ``t``."""
        return self.horizon + (self.height - self.horizon) * t

    def t_of_row(self, y: float | np.ndarray) -> float | np.ndarray:
        """Inverse depth of the ground seen at row ``y`` (negative above the horizon)."""
        return (y - self.horizon) / (self.height - self.horizon)

    def ppm(self, t: float | np.ndarray) -> float | np.ndarray:
        """Pixels per metre at inverse depth ``t``."""
        return self.half_width_px / self.half_width_m * t

    def center(self, t: float | np.ndarray) -> float | np.ndarray:
        """Column of the road centre at inverse depth ``t`` (bends toward ``curve`` far away)."""
        if isinstance(t, np.ndarray):
            tt = np.clip(t, 0.0, None)
            far = 1.0 - np.clip(tt, 0.0, 1.0)
        else:
            tt = max(float(t), 0.0)
            far = 1.0 - min(tt, 1.0)
        return self.vanish_x + (self.bottom_x - self.vanish_x) * tt + self.curve * self.width * far**3

    def x(self, t: float | np.ndarray, x_m: float | np.ndarray) -> float | np.ndarray:
        """Column of the ground point ``x_m`` metres right of the road centre at inverse depth ``t``."""
        return self.center(t) + x_m * self.ppm(t)

    def ground_point(self, t: float, x_m: float) -> tuple[float, float]:
        """(column, row) of a ground point."""
        return float(self.x(t, x_m)), float(self.row(t))

    def strip(
        self, x0_m: float, x1_m: float, t0: float = 0.0, t1: float = 1.3, steps: int = 24
    ) -> list[tuple[float, float]]:
        """Polygon of the ground band between lateral offsets ``x0_m`` and ``x1_m`` from depth ``t0`` to ``t1``."""
        ts = _t_samples(t0, t1, steps)
        left = [self.ground_point(t, x0_m) for t in ts]
        right = [self.ground_point(t, x1_m) for t in ts[::-1]]
        return left + right

    def wall(
        self, x_m: float, t0: float, t1: float, height_m: float, *, base_m: float = 0.0, steps: int = 8
    ) -> list[tuple[float, float]]:
        """Polygon of a vertical wall on the line ``x_m`` between depths ``t0`` and ``t1``, from ``base_m`` up."""
        ts = _t_samples(t0, t1, steps)
        feet = [self.ground_point(t, x_m) for t in ts]
        bottom = [(x, y - base_m * float(self.ppm(t))) for t, (x, y) in zip(ts, feet, strict=True)]
        top = [(x, y - height_m * float(self.ppm(t))) for t, (x, y) in zip(ts[::-1], feet[::-1], strict=True)]
        return bottom + top

    def t_at_distance(self, metres: float) -> float:
        """Inverse depth of a ground point ``metres`` ahead (the bottom row is ``bottom_distance`` ahead)."""
        return self.bottom_distance / max(metres, 1e-6)

    @property
    def bottom_distance(self) -> float:
        """Metres from the camera to the ground seen on the bottom row (focal length taken as 0.9 width)."""
        return 0.9 * self.width * self.half_width_m / self.half_width_px


def _t_samples(t0: float, t1: float, steps: int) -> list[float]:
    """Depth samples from ``t0`` to ``t1`` (the road bend is a smooth polynomial in ``t``)."""
    return [float(v) for v in np.linspace(t0, t1, steps)]
