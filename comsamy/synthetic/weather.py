"""Adverse-weather image effects: a public API that works on any RGB image.

:func:`apply_weather` turns a clear picture into the same picture under rain, night, frost, fog,
blizzard or sandstorm, with a severity in [0, 1] and a seed (the result is a pure function of the
image, weather, severity and seed). Effects assume a road-scene layout only loosely (the horizon
somewhere near the middle), so they stay plausible on photos from other benchmarks.

>>> import numpy as np
>>> img = np.full((64, 96, 3), 128, np.uint8)
>>> night = apply_weather(img, "night", severity=0.8, seed=1)
>>> bool(np.asarray(night).mean() < 128)
True

Benchmark-style integer severities 1..5 (as in ImageNet-C) map to ``severity = level / 5`` through
:func:`severity_of_level`; ``apply_weather(img, "fog", level=3)`` is the same as ``severity=0.6``. Every
effect's strength grows monotonically with the severity (the contact sheet in docs/data.md shows it).

>>> severity_of_level(3)
0.6
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from comsamy.constants import WEATHERS
from comsamy.errors import UsageError
from comsamy.synthetic import _noise

__all__ = ["MAX_LEVEL", "SEVERITY_LEVELS", "apply_weather", "severity_of_level", "to_rgb_array"]

MAX_LEVEL = 5
"""The strongest integer severity level."""
SEVERITY_LEVELS: tuple[int, ...] = tuple(range(MAX_LEVEL + 1))
"""Integer severity levels: 0 (unchanged) to 5 (strongest)."""


def severity_of_level(level: int) -> float:
    """The continuous severity in [0, 1] of an integer level 0..5 (``level / 5``).

    Raises:
        UsageError: a level that is not an integer in 0..5.
    """
    if isinstance(level, bool) or not isinstance(level, int | np.integer) or not 0 <= int(level) <= MAX_LEVEL:
        raise UsageError(f"level: expected an integer severity level in 0..{MAX_LEVEL}, got {level!r}")
    return round(int(level) / MAX_LEVEL, 6)


def to_rgb_array(image: Any, *, name: str = "image") -> np.ndarray:
    """Validate ``image`` and return it as a uint8 (H, W, 3) array.

    Accepts a PIL image (any mode; converted to RGB) or a uint8 numpy array of shape (H, W, 3).

    Raises:
        UsageError: Anything else, naming ``name``.
    """
    if isinstance(image, Image.Image):
        arr = np.asarray(image.convert("RGB"))
    elif isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3:
            raise UsageError(f"{name}: expected an array of shape (H, W, 3), got shape {image.shape}")
        if image.dtype != np.uint8:
            raise UsageError(f"{name}: expected dtype uint8, got {image.dtype}")
        arr = image
    else:
        raise UsageError(f"{name}: expected a PIL image or a uint8 numpy array (H, W, 3), got {type(image).__name__}")
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise UsageError(f"{name}: expected at least 2 x 2 pixels, got {arr.shape[1]} x {arr.shape[0]}")
    return np.ascontiguousarray(arr)


def apply_weather(
    image: Any, weather: str, *, severity: float = 0.6, seed: int = 0, level: int | None = None
) -> Image.Image:
    """Render ``image`` under ``weather``.

    Args:
        image: RGB picture: a PIL image (converted to RGB) or a uint8 array (H, W, 3).
        weather: One of :data:`comsamy.constants.WEATHERS`; ``"clear"`` returns the image unchanged.
        severity: Strength in [0, 1]; 0 returns the image unchanged.
        seed: Seed of the random parts (streaks, flakes, crystals, noise).
        level: An integer severity level 0..5 instead of ``severity`` (``severity = level / 5``).

    Returns:
        A new RGB PIL image of the same size.

    Raises:
        UsageError: Unknown weather, severity outside [0, 1], a level outside 0..5, a non-integer seed or a bad
            image.

    Effects:
        - ``rain``: darker, bluish-grey, slightly blurred, slanted streaks, wet sheen on the lower half.
        - ``night``: low exposure, blue cast, street-light and headlight glow, sensor noise.
        - ``frost``: desaturated, cold tint, icy crystals growing from the edges of the frame.
        - ``fog``: haze that thickens toward the horizon, contrast loss.
        - ``blizzard``: white-out and dense snowflakes of several sizes, near ones blurred.
        - ``sandstorm``: orange-brown haze, contrast loss, blowing sand particles.
    """
    if not isinstance(weather, str) or weather not in WEATHERS:
        raise UsageError(f"weather: expected one of {WEATHERS}, got {weather!r}")
    if level is not None:
        severity = severity_of_level(level)
    if isinstance(severity, bool) or not isinstance(severity, int | float) or not 0.0 <= float(severity) <= 1.0:
        raise UsageError(f"severity: expected a number in [0, 1], got {severity!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise UsageError(f"seed: expected an integer, got {seed!r}")
    arr = to_rgb_array(image)
    if weather == "clear" or float(severity) == 0.0:
        return Image.fromarray(arr.copy(), "RGB")
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, WEATHERS.index(weather)])
    out = _EFFECTS[weather](arr, float(severity), rng)
    np.clip(out, 0.0, 1.0, out=out)
    out *= 255.0
    out += 0.5
    return Image.fromarray(out.astype(np.uint8), "RGB")


def _count(base: float, s: float, h: int, w: int) -> int:
    """Particle count for severity ``s``: sizes and widths scale with the frame, so counts do not."""
    del h, w
    return int(base * s)


def _px(w: int, width_at_960: float) -> int:
    """Line width in pixels for a frame ``w`` wide (``width_at_960`` on a 960-pixel frame)."""
    return max(1, round(width_at_960 * w / 960))


def _thin(w: int, width_at_960: float) -> float:
    """Count factor that keeps the covered area constant when a line is clamped to 1 pixel on small frames."""
    return min(1.0, width_at_960 * w / 960 / _px(w, width_at_960))


def _unit(arr: np.ndarray) -> np.ndarray:
    return arr.astype(np.float32) * np.float32(1 / 255.0)


def _row_field(h: int, w: int, rows: np.ndarray, rng: np.random.Generator, cells: int, amount: float) -> np.ndarray:
    """A per-row profile modulated by smooth noise: float32 (h, w)."""
    field = _noise.value_noise(rng, h, w, cells, octaves=2)
    field *= amount
    field += 1.0
    field *= rows[:, None]
    return field


def _small_field(h: int, w: int, fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Evaluate ``fn(yy, xx)`` (pixel coordinates) on a coarse grid and upsample it to (h, w)."""
    k = max(1, min(h, w) // 90)
    hs, ws = max(2, h // k), max(2, w // k)
    yy, xx = np.meshgrid(
        np.linspace(0, h - 1, hs, dtype=np.float32), np.linspace(0, w - 1, ws, dtype=np.float32), indexing="ij"
    )
    small = fn(yy, xx).astype(np.float32)
    if (hs, ws) == (h, w):
        return small
    return np.array(Image.fromarray(small, mode="F").resize((w, h), Image.Resampling.BILINEAR))


def _blend_(img: np.ndarray, color: tuple[float, float, float], alpha: np.ndarray) -> np.ndarray:
    """In place: ``img += (color - img) * alpha`` (alpha (H, W) or (H, W, 1))."""
    a = alpha[..., None] if alpha.ndim == 2 else alpha
    img += (np.asarray(color, np.float32) - img) * a
    return img


def _luma(img: np.ndarray) -> np.ndarray:
    return img @ np.array([0.299, 0.587, 0.114], np.float32)


def _soft(arr: np.ndarray, radius: float) -> np.ndarray:
    """Blur a uint8 RGB array and return it as float32 in [0, 1]."""
    return _unit(_noise.blur_rgb(arr, radius))


def _to_u8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def _streaks(
    rng: np.random.Generator,
    h: int,
    w: int,
    count: int,
    length: tuple[float, float],
    angle: float,
    width: int,
    value: int,
    *,
    spread: float = 0.0,
) -> np.ndarray:
    """A layer (float [0, 1], h x w) of line segments at ``angle`` (radians from vertical)."""
    layer = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(layer)
    xs, ys = rng.uniform(-0.1 * w, 1.1 * w, count), rng.uniform(-0.1 * h, h, count)
    ls = rng.uniform(*length, count) * h
    vals = rng.integers(value // 2, value + 1, count)
    angs = angle + rng.uniform(-spread, spread, count)
    for x, y, ln, v, a in zip(xs, ys, ls, vals, angs, strict=True):
        d.line([(x, y), (x + np.sin(a) * ln, y + np.cos(a) * ln)], fill=int(v), width=width)
    return np.asarray(layer, np.float32) * np.float32(1 / 255.0)


def _rain(arr: np.ndarray, s: float, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = arr.shape
    out = _soft(arr, 0.4 + 1.2 * s * w / 960)
    out *= 1 - 0.45 * s
    out += np.array([0.42, 0.45, 0.5], np.float32) * (0.2 * s)
    # wet sheen: lower rows reflect a blurred, mirrored copy of the rows above them
    y0 = int(0.55 * h)
    mirror = _to_u8(out[::-1][y0:]) if h - y0 >= 2 else None
    if mirror is not None:
        ref = _soft(mirror, 3 + 6 * s * w / 960)
        sheen = (np.linspace(0, 1, h - y0, dtype=np.float32) * 0.4 * s)[:, None, None]
        low = out[y0:]
        low += (np.maximum(low, ref) - low) * sheen
    width = _px(w, 1.3)
    streaks = _streaks(
        rng,
        h,
        w,
        int((300 + 1500 * s) * _thin(w, 1.3)),
        (0.04, 0.12),
        rng.uniform(-0.35, 0.35),
        width,
        200,
        spread=0.04,
    )
    streaks = _noise.blur_unit(streaks, 0.5 * width)
    streaks *= 0.35 + 0.4 * s
    return _blend_(out, (0.85, 0.87, 0.9), streaks)


def _night(arr: np.ndarray, s: float, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = arr.shape
    levels = np.linspace(0, 1, 256, dtype=np.float32)[:, None]
    tint = np.array([0.7, 0.82, 1.15], np.float32) ** s
    lut = np.power(levels, 1.0 + 1.4 * s) * (1.0 - 0.8 * s) * tint  # (256, 3) tone curve per channel
    out = np.stack([lut[arr[..., c], c] for c in range(3)], axis=-1)
    # light sources (lamps, lit windows): bright pixels keep their colour
    luma = (arr.astype(np.uint16) @ np.array([77, 150, 29], np.uint16) >> 8).astype(np.uint8)
    hi_lut = (np.clip((levels[:, 0] - 0.82) / 0.18, 0, 1) ** 2).astype(np.float32)
    hi = hi_lut[luma]
    if hi.any():
        out += (_unit(arr) * 0.95 - out) * hi[..., None]
    lights = [
        (rng.uniform(0, w), rng.uniform(0.15 * h, 0.5 * h), rng.uniform(0.02, 0.06) * w)
        for _ in range(int(rng.integers(2, 6)))
    ]

    def glow(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        g = np.zeros_like(yy)
        for cx, cy, r in lights:
            g += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
        return g

    def cone(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:  # ego headlights on the lower centre
        return np.exp(-(((xx - w / 2) / (0.33 * w)) ** 2) - (((yy - h) / (0.35 * h)) ** 2))

    lit = _small_field(h, w, cone)[..., None] * (np.array([0.85, 0.9, 1.0], np.float32) * 0.9 * s)
    out += _unit(arr) * lit
    out += _small_field(h, w, glow)[..., None] * (np.array([1.0, 0.75, 0.4], np.float32) * 0.6 * s)
    out += _noise.grain(rng, h, w)[..., None] * (0.04 * s)
    return out


def _frost(arr: np.ndarray, s: float, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = arr.shape
    out = _soft(arr, 1.2 * s * w / 960)
    lum = _luma(out)[..., None]
    out += (lum - out) * (0.6 * s)
    out *= np.array([0.9, 1.0, 1.12], np.float32) * (1 + 0.1 * s)

    def border(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:  # 0 at the frame edge, 1 in the centre
        e = np.minimum(np.minimum(xx / w, 1 - xx / w) * 1.6, np.minimum(yy / h, 1 - yy / h) * 2.2)
        return np.clip(e * 2, 0, 1)

    n = _noise.value_noise(rng, h, w, 18, octaves=4)
    reach = 0.3 + 0.45 * s  # how far the ice grows inward
    cover = _small_field(h, w, border)
    cover -= reach
    cover *= -4.0
    cover += 1.2 * n
    np.clip(cover, 0, 1, out=cover)
    count = int(_count(1500, s, h, w) * _thin(w, 1.0)) + 30
    lw = _px(w, 1.0)
    crystals = np.maximum(
        _streaks(rng, h, w, count, (0.01, 0.05), 0.0, lw, 255, spread=np.pi),
        _streaks(rng, h, w, count, (0.005, 0.02), 0.0, lw, 255, spread=np.pi),
    )
    ice = cover * (0.35 + 0.2 * n) + crystals * np.sqrt(cover) * 0.9
    np.clip(ice, 0, 0.95, out=ice)
    return _blend_(out, (0.9, 0.95, 1.0), ice)


def _haze_rows(h: int, horizon: float, s: float) -> np.ndarray:
    """Haze density per row: strongest at and above the horizon, thinning toward the bottom."""
    r = np.linspace(0.0, 1.0, h, dtype=np.float32)
    below = np.exp(-np.clip(r - horizon, 0, None) / 0.28)
    return (0.35 + 0.65 * below) * s


def _fog(arr: np.ndarray, s: float, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = arr.shape
    dens = _row_field(h, w, _haze_rows(h, rng.uniform(0.38, 0.5), s) * 0.95, rng, 4, 0.2)
    np.clip(dens, 0, 0.97, out=dens)
    out = _soft(arr, 1.0 * s * w / 960)
    mean = out.mean(axis=(0, 1), keepdims=True)
    out -= mean
    out *= 1 - 0.3 * s
    out += mean
    return _blend_(out, (0.8, 0.82, 0.84), dens)


def _blizzard(arr: np.ndarray, s: float, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = arr.shape
    dens = _row_field(h, w, _haze_rows(h, rng.uniform(0.38, 0.5), s) * 0.85, rng, 5, 0.3)
    np.clip(dens, 0, 0.95, out=dens)
    out = _blend_(_soft(arr, 1.2 * s * w / 960), (0.88, 0.9, 0.94), dens)
    flakes = np.zeros((h, w), np.float32)
    ang = rng.uniform(-0.6, 0.6)
    for count, (r0, r1), blur in (
        (_count(1600, s, h, w), (0.0012, 0.003), 0.0),
        (_count(350, s, h, w), (0.003, 0.007), 0.6),
        (_count(40, s, h, w) + 3, (0.008, 0.02), 2.0),
    ):
        r_px = (r0 + r1) / 2 * w
        count = int(count * min(1.0, (r_px / 0.6) ** 2))  # sub-pixel flakes would still paint a whole pixel
        layer = Image.new("L", (w, h), 0)
        d = ImageDraw.Draw(layer)
        xs, ys, rs = rng.uniform(0, w, count), rng.uniform(0, h, count), rng.uniform(r0, r1, count) * w
        vs = rng.integers(150, 240, count)
        for x, y, r, v in zip(xs, ys, rs, vs, strict=True):
            d.ellipse([x - r, y - r * 0.8, x + r + abs(np.sin(ang)) * r * 1.5, y + r * 0.8], fill=int(v))
        np.maximum(flakes, _noise.blur_unit(np.asarray(layer, np.float32) / 255, blur * r1 * w), out=flakes)
    return _blend_(out, (0.97, 0.97, 0.99), flakes)


def _sandstorm(arr: np.ndarray, s: float, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = arr.shape
    dens = _row_field(h, w, _haze_rows(h, rng.uniform(0.35, 0.5), s) * 0.9, rng, 6, 0.35)
    np.clip(dens, 0, 0.95, out=dens)
    out = _soft(arr, 1.0 * s * w / 960)
    out *= np.array([1.05, 0.92, 0.7], np.float32) ** s
    sand = np.array([0.78, 0.56, 0.3], np.float32)
    out = _blend_(out, tuple(sand), dens)  # type: ignore[arg-type]
    grains = _streaks(
        rng,
        h,
        w,
        int(_count(2500, s, h, w) * _thin(w, 1.0)),
        (0.002, 0.012),
        np.pi / 2 - 0.2,
        _px(w, 1.0),
        180,
        spread=0.15,
    )
    grains *= 0.6
    return _blend_(out, (0.9, 0.7, 0.45), grains)


_EFFECTS: dict[str, Callable[[np.ndarray, float, np.random.Generator], np.ndarray]] = {
    "rain": _rain,
    "night": _night,
    "frost": _frost,
    "fog": _fog,
    "blizzard": _blizzard,
    "sandstorm": _sandstorm,
}
