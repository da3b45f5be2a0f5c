"""Adverse-weather image effects: a public API that works on any RGB image.

:func:`apply_weather` turns a clear picture into the same picture under rain, night, frost, fog,
blizzard or sandstorm, with a severity in [0, 1] and a seed (the result is a pure function of the
image, weather, severity and seed). Effects assume a road-scene layout only loosely (the horizon
somewhere near the middle), so they stay plausible on photos from other benchmarks.

>>> import numpy as np
>>> img = np.full((64, 96, 3), 128, np.uint8)
>>> night = apply_weather(img, "night", severity=0.8, seed=1)
>>> np.asarray(night).mean() < 128
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from comsamy.constants import WEATHERS
from comsamy.errors import UsageError
from comsamy.synthetic import _noise

__all__ = ["apply_weather", "to_rgb_array"]


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


def apply_weather(image: Any, weather: str, *, severity: float = 0.6, seed: int = 0) -> Image.Image:
    """Render ``image`` under ``weather``.

    Args:
        image: RGB picture: a PIL image (converted to RGB) or a uint8 array (H, W, 3).
        weather: One of :data:`comsamy.constants.WEATHERS`; ``"clear"`` returns the image unchanged.
        severity: Strength in [0, 1]; 0 returns the image unchanged.
        seed: Seed of the random parts (streaks, flakes, crystals, noise).

    Returns:
        A new RGB PIL image of the same size.

    Raises:
        UsageError: Unknown weather, severity outside [0, 1], a non-integer seed or a bad image.

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
    if isinstance(severity, bool) or not isinstance(severity, int | float) or not 0.0 <= float(severity) <= 1.0:
        raise UsageError(f"severity: expected a number in [0, 1], got {severity!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise UsageError(f"seed: expected an integer, got {seed!r}")
    arr = to_rgb_array(image)
    if weather == "clear" or float(severity) == 0.0:
        return Image.fromarray(arr.copy(), "RGB")
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, WEATHERS.index(weather)])
    out = _EFFECTS[weather](arr.astype(np.float32) / 255.0, float(severity), rng)
    return Image.fromarray(np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8), "RGB")


def _rows(h: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]


def _blend(img: np.ndarray, color: tuple[float, float, float], alpha: np.ndarray) -> np.ndarray:
    a = alpha[..., None] if alpha.ndim == 2 else alpha
    return img * (1 - a) + np.asarray(color, np.float32) * a


def _luma(img: np.ndarray) -> np.ndarray:
    return img @ np.array([0.299, 0.587, 0.114], np.float32)


def _blur(img: np.ndarray, radius: float) -> np.ndarray:
    if radius < 0.3:
        return img
    u8 = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
    return _noise.blur_rgb(u8, radius).astype(np.float32) / 255.0


def _streaks(rng: np.random.Generator, h: int, w: int, count: int, length: tuple[float, float], angle: float,
             width: int, value: int) -> np.ndarray:
    """A layer (float [0, 1], h x w) of slanted line segments."""
    layer = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(layer)
    xs, ys = rng.uniform(-0.1 * w, 1.1 * w, count), rng.uniform(-0.1 * h, h, count)
    ls = rng.uniform(*length, count) * h
    vals = rng.integers(value // 2, value + 1, count)
    dx, dy = np.sin(angle), np.cos(angle)
    for x, y, ln, v in zip(xs, ys, ls, vals, strict=True):
        d.line([(x, y), (x + dx * ln, y + dy * ln)], fill=int(v), width=width)
    return np.asarray(layer, np.float32) / 255.0


def _rain(img: np.ndarray, s: float, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = img.shape
    out = img * (1 - 0.35 * s)
    out = _blend(out, (0.42, 0.45, 0.5), np.full((h, w), 0.25 * s, np.float32))
    out = _blur(out, 0.4 + 1.2 * s * w / 960)
    # wet sheen: the lower half mirrors a blurred, vertically smeared copy of what is above it
    ref = _blur(out[::-1], 2 + 6 * s * w / 960)
    sheen = np.clip((_rows(h) - 0.55) / 0.45, 0, 1) * 0.35 * s
    out = out * (1 - sheen[..., None]) + np.maximum(out, ref) * sheen[..., None]
    ang = rng.uniform(-0.35, 0.35)
    width = max(1, round(w / 700))
    streaks = _streaks(rng, h, w, int(300 + 1500 * s * (w * h) / (960 * 540)), (0.04, 0.12), ang, width, 200)
    streaks = _noise.blur_unit(streaks, 0.5 * width)
    return _blend(out, (0.85, 0.87, 0.9), streaks * (0.35 + 0.4 * s))


def _night(img: np.ndarray, s: float, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = img.shape
    out = np.power(img, 1.0 + 1.2 * s) * (1.0 - 0.75 * s)
    out = out * np.array([0.75, 0.85, 1.15], np.float32) ** s
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    glow = np.zeros((h, w), np.float32)
    # ego headlights: a wide bright cone on the lower-centre of the frame
    cone = np.exp(-(((xx - w / 2) / (0.35 * w)) ** 2) - (((yy - h) / (0.32 * h)) ** 2))
    lit = img * cone[..., None] * 0.9 * s
    # street lights: a few orange glows in the upper half
    for _ in range(int(rng.integers(2, 6))):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0.15 * h, 0.5 * h), rng.uniform(0.02, 0.06) * w
        glow += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
    out = out + lit + glow[..., None] * np.array([1.0, 0.75, 0.4], np.float32) * 0.8 * s
    out = out + _noise.grain(rng, h, w)[..., None] * 0.05 * s
    return out


def _frost(img: np.ndarray, s: float, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = img.shape
    lum = _luma(img)[..., None]
    out = img * (1 - 0.6 * s) + lum * 0.6 * s
    out = out * np.array([0.92, 1.0, 1.12], np.float32) * (1 + 0.1 * s)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    edge = np.minimum(np.minimum(xx / w, 1 - xx / w), np.minimum(yy / h, 1 - yy / h)) * 2  # 0 at border, 1 centre
    n = _noise.value_noise(rng, h, w, 24, octaves=4)
    cover = np.clip((0.25 + 0.55 * s) - edge + 0.35 * n, 0, 1)
    cover = np.clip(cover * 3, 0, 1)
    crystals = _streaks(rng, h, w, int(400 * s * (w * h) / (960 * 540)) + 20, (0.01, 0.05), 0.0, 1, 255)
    crystals += _streaks(rng, h, w, int(400 * s * (w * h) / (960 * 540)) + 20, (0.01, 0.05), 1.2, 1, 255)
    ice = np.clip(cover * (0.7 + 0.3 * n) + crystals * cover * 0.5, 0, 1)
    out = _blend(_blur(out, 1.5 * s * w / 960), (0.88, 0.93, 0.98), ice * 0.9)
    return out


def _haze_rows(h: int, horizon: float, s: float) -> np.ndarray:
    """Haze density per row: strongest at and above the horizon, thinning toward the bottom."""
    r = _rows(h)[:, 0]
    below = np.exp(-np.clip(r - horizon, 0, None) / 0.28)
    return (0.35 + 0.65 * below) * s


def _fog(img: np.ndarray, s: float, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = img.shape
    dens = _haze_rows(h, rng.uniform(0.38, 0.5), s)[:, None] * (1 + 0.2 * _noise.value_noise(rng, h, w, 4, octaves=2))
    dens = np.clip(dens * 0.95, 0, 0.97)
    out = _blur(img, 1.0 * s * w / 960)
    mean = out.mean(axis=(0, 1), keepdims=True)
    out = mean + (out - mean) * (1 - 0.3 * s)
    return _blend(out, (0.8, 0.82, 0.84), dens)


def _blizzard(img: np.ndarray, s: float, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = img.shape
    dens = _haze_rows(h, rng.uniform(0.38, 0.5), s)[:, None] * 0.85 * (1 + 0.3 * _noise.value_noise(rng, h, w, 5))
    out = _blend(_blur(img, 1.2 * s * w / 960), (0.88, 0.9, 0.94), np.clip(dens, 0, 0.95))
    scale = (w * h) / (960 * 540)
    flakes = np.zeros((h, w), np.float32)
    ang = rng.uniform(-0.6, 0.6)
    for count, (r0, r1), blur in ((int(3000 * s * scale), (0.0012, 0.003), 0.0),
                                  (int(600 * s * scale), (0.003, 0.007), 0.6),
                                  (int(60 * s * scale) + 3, (0.008, 0.02), 2.0)):
        layer = Image.new("L", (w, h), 0)
        d = ImageDraw.Draw(layer)
        xs, ys, rs = rng.uniform(0, w, count), rng.uniform(0, h, count), rng.uniform(r0, r1, count) * w
        for x, y, r in zip(xs, ys, rs, strict=True):
            d.ellipse([x - r, y - r * 0.8, x + r + abs(np.sin(ang)) * r * 1.5, y + r * 0.8], fill=235)
        flakes = np.maximum(flakes, _noise.blur_unit(np.asarray(layer, np.float32) / 255, blur * r1 * w))
    return _blend(out, (0.97, 0.97, 0.99), flakes)


def _sandstorm(img: np.ndarray, s: float, rng: np.random.Generator) -> np.ndarray:
    h, w, _ = img.shape
    dens = _haze_rows(h, rng.uniform(0.35, 0.5), s)[:, None] * (1 + 0.35 * _noise.value_noise(rng, h, w, 6, octaves=3))
    dens = np.clip(dens * 0.9, 0, 0.95)
    out = _blur(img, 1.0 * s * w / 960)
    out = out * np.array([1.05, 0.92, 0.7], np.float32) ** s
    sand = np.array([0.78, 0.56, 0.3], np.float32) * (1 + 0.12 * _noise.value_noise(rng, h, w, 10)[..., None])
    out = out * (1 - dens[..., None]) + sand * dens[..., None]
    grains = _streaks(rng, h, w, int(2500 * s * (w * h) / (960 * 540)), (0.002, 0.012), np.pi / 2 - 0.2, 1, 180)
    return _blend(out, (0.9, 0.7, 0.45), grains * 0.6)


_EFFECTS: dict[str, Callable[[np.ndarray, float, np.random.Generator], np.ndarray]] = {
    "rain": _rain, "night": _night, "frost": _frost, "fog": _fog, "blizzard": _blizzard, "sandstorm": _sandstorm,
}
