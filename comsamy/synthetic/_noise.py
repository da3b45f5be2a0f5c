"""Cheap, resolution-independent noise fields (numpy + Pillow only).

Every field is drawn on a small random grid and upsampled with Pillow, so the number of random
draws does not depend on the output size and a 1920x1080 field costs a few milliseconds.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

_WORK = 320
"""Longest side of the working grid; fields are summed there and upsampled once."""


def value_noise(rng: np.random.Generator, height: int, width: int, cells: int, *, octaves: int = 1) -> np.ndarray:
    """Smooth noise in about [-1, 1].

    Args:
        rng: Source of randomness.
        height: Output rows.
        width: Output columns.
        cells: Grid cells along the longer side for the first octave (more cells, finer grain).
        octaves: Octaves added with halving amplitude and doubling frequency.

    Returns:
        Float32 array (height, width).
    """
    scale = min(1.0, _WORK / max(height, width))
    wh, ww = max(2, round(height * scale)), max(2, round(width * scale))
    out = np.zeros((wh, ww), dtype=np.float32)
    amp, total = 1.0, 0.0
    for octave in range(octaves):
        n = cells * (2**octave)
        gw = max(2, n if width >= height else round(n * width / height))
        gh = max(2, n if height > width else round(n * height / width))
        grid = rng.uniform(-1.0, 1.0, size=(gh, gw)).astype(np.float32)
        field = Image.fromarray(grid, mode="F").resize((ww, wh), Image.Resampling.BICUBIC)
        out += amp * np.asarray(field, dtype=np.float32)
        total += amp
        amp *= 0.5
    out /= total
    if (wh, ww) != (height, width):
        out = np.array(Image.fromarray(out, mode="F").resize((width, height), Image.Resampling.BILINEAR))
    return out.astype(np.float32, copy=False)


def grain(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Per-pixel uniform noise in [-1, 1] (float32, height x width); sensor grain and fine texture."""
    return (rng.random((height, width), dtype=np.float32) * 2.0 - 1.0).astype(np.float32, copy=False)


def soften(img: Image.Image, radius: float) -> Image.Image:
    """Blur a Pillow image by about ``radius`` pixels.

    Small radii use a Gaussian; from 1 pixel up the image is box-reduced and scaled back up, which costs
    a fraction of a full-resolution Gaussian at 1920x1080 and looks the same for haze and streaks.
    """
    if radius < 0.3:
        return img
    if radius < 1.0:
        return img.filter(ImageFilter.GaussianBlur(radius))
    k = max(2, round(radius * 1.5))
    w, h = img.size
    if w // k < 2 or h // k < 2:
        return img.filter(ImageFilter.GaussianBlur(radius))
    return img.reduce(k).resize((w, h), Image.Resampling.BILINEAR)


def blur_unit(array: np.ndarray, radius: float) -> np.ndarray:
    """Blur of a float (H, W) field in [0, 1] (8-bit precision, through Pillow's mode ``L``)."""
    if radius < 0.3:
        return array.astype(np.float32, copy=False)
    img = Image.fromarray(np.clip(array * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L")
    return np.asarray(soften(img, radius), dtype=np.float32) * np.float32(1 / 255.0)


def blur_rgb(rgb: np.ndarray, radius: float) -> np.ndarray:
    """Blur of a uint8 (H, W, 3) image (see :func:`soften`)."""
    if radius < 0.3:
        return rgb
    return np.asarray(soften(Image.fromarray(rgb, mode="RGB"), radius))
