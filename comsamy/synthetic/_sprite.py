"""A small drawing surface for anomaly sprites: unit coordinates, supersampling, shading."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from comsamy.synthetic import _noise

Color = tuple[int, int, int]


def _supersampling(height_px: int) -> int:
    """Sprites are drawn this many times larger and reduced, which smooths their edges (less for big sprites)."""
    return 3 if height_px <= 160 else 2 if height_px <= 480 else 1


class Sprite:
    """RGB + coverage canvas addressed in units of the object's height (x to the right, y down, 0..1).

    Args:
        height_px: Final height in pixels.
        aspect: Width / height of the canvas.
    """

    def __init__(self, height_px: int, aspect: float) -> None:
        self.h_out = max(4, int(height_px))
        self.w_out = max(4, round(self.h_out * aspect))
        ss = _supersampling(self.h_out)
        self.s = self.h_out * ss
        size = (self.w_out * ss, self.h_out * ss)
        self.rgb = Image.new("RGB", size, (0, 0, 0))
        self.cov = Image.new("L", size, 0)
        self._d = ImageDraw.Draw(self.rgb)
        self._m = ImageDraw.Draw(self.cov)

    def _pts(self, pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x * self.s, y * self.s) for x, y in pts]

    def poly(self, pts: list[tuple[float, float]], color: Color) -> None:
        """Filled polygon in unit coordinates."""
        q = self._pts(pts)
        self._d.polygon(q, fill=color)
        self._m.polygon(q, fill=255)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, color: Color) -> None:
        """Filled ellipse centred at (cx, cy) with radii (rx, ry)."""
        bb = [(cx - rx) * self.s, (cy - ry) * self.s, (cx + rx) * self.s, (cy + ry) * self.s]
        self._d.ellipse(bb, fill=color)
        self._m.ellipse(bb, fill=255)

    def rect(self, x0: float, y0: float, x1: float, y1: float, color: Color) -> None:
        """Filled axis-aligned rectangle."""
        self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], color)

    def line(self, pts: list[tuple[float, float]], color: Color, width: float) -> None:
        """Thick polyline (width in units of height)."""
        w = max(1, round(width * self.s))
        self._d.line(self._pts(pts), fill=color, width=w, joint="curve")
        self._m.line(self._pts(pts), fill=255, width=w, joint="curve")

    def paint(self, pts: list[tuple[float, float]], color: Color) -> None:
        """Recolour a polygon without growing the silhouette (markings, shadows, highlights)."""
        self._d.polygon(self._pts(pts), fill=color)  # colour outside the silhouette is blacked out in finish()

    def erase(self, cx: float, cy: float, rx: float, ry: float) -> None:
        """Cut an elliptical hole in the silhouette (the hole of a tyre)."""
        bb = [(cx - rx) * self.s, (cy - ry) * self.s, (cx + rx) * self.s, (cy + ry) * self.s]
        self._m.ellipse(bb, fill=0)

    def finish(
        self, rng: np.random.Generator, *, texture: float = 0.12, light: float = 0.25, mirror: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Shade (light from above), texture, reduce and crop to the silhouette.

        Returns:
            ``(rgb, mask)``: uint8 (h, w, 3) and bool (h, w), cropped to the mask's bounding box.
        """
        size = (self.w_out, self.h_out)
        self.rgb.paste((0, 0, 0), (0, 0, *self.rgb.size), ImageOps.invert(self.cov))
        rgb = np.asarray(self.rgb.resize(size, Image.Resampling.BOX), np.float32)
        cov = np.asarray(self.cov.resize(size, Image.Resampling.BOX), np.float32) / 255.0
        h, w = cov.shape
        rows = np.linspace(1.0 + light, 1.0 - light, h, dtype=np.float32)[:, None]
        cols = np.linspace(1.0 + 0.3 * light, 1.0 - 0.3 * light, w, dtype=np.float32)[None, :]
        tex = 1.0 + texture * (0.6 * _noise.value_noise(rng, h, w, max(2, w // 6)) + 0.4 * _noise.grain(rng, h, w))
        # darker rim: pixels near the silhouette edge (coverage blurred falls below 1)
        rim = _noise.blur_unit(cov, max(0.6, 0.02 * h))
        edge = 0.75 + 0.25 * np.clip((rim - 0.5) * 2.5, 0, 1)
        # un-premultiply the box-filtered colour at partially covered edge pixels
        rgb = rgb / np.maximum(cov, 1e-3)[..., None]
        out = rgb * (rows * cols * tex * edge)[..., None]
        mask = cov >= 0.5
        if mirror:
            out, mask = out[:, ::-1], mask[:, ::-1]
        ys, xs = np.nonzero(mask)
        if len(ys) == 0:
            return np.zeros((1, 1, 3), np.uint8), np.zeros((1, 1), bool)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        out_u8 = np.clip(out[y0:y1, x0:x1] + 0.5, 0, 255).astype(np.uint8)
        m = np.ascontiguousarray(mask[y0:y1, x0:x1])
        out_u8[~m] = 0
        return np.ascontiguousarray(out_u8), m
