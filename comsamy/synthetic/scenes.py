"""Procedural road scenes for the seven landforms, with Cityscapes train-id label maps.

A scene is drawn in three passes on one label map: large regions (road, terrain, buildings, forest
walls), decals that recolour a region without changing its class (lane markings, windows, furrows),
and props sorted far to near (cars, people, poles, trees). The picture is derived from the label map
(a colour and a texture per class), so the labels are exact by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from comsamy.constants import IGNORE_INDEX, LANDFORMS, TRAIN_ID, WEATHERS
from comsamy.errors import UsageError
from comsamy.synthetic import _noise
from comsamy.synthetic.geometry import RoadGeometry

Color = tuple[int, int, int]
Point = tuple[float, float]
DrawFn = Callable[[ImageDraw.ImageDraw, ImageDraw.ImageDraw], None]

SKY, TERRAIN = TRAIN_ID["sky"], TRAIN_ID["terrain"]


@dataclass(frozen=True)
class Scene:
    """One rendered scene.

    Attributes:
        image: RGB picture, uint8 (H, W, 3).
        labels: Cityscapes train ids, uint8 (H, W); 255 where ignored (ego-vehicle hood).
        geometry: Perspective of the road, used to place anomalies at the right size.
        landform: One of :data:`comsamy.constants.LANDFORMS`.
        near_m: Half the width of the driving area in metres (road plus shoulder): objects inside it
            can reach the ego lane.
    """

    image: np.ndarray
    labels: np.ndarray
    geometry: RoadGeometry
    landform: str
    near_m: float


@dataclass
class Painter:
    """Accumulates regions, decals and props for one scene (internal to the scene builders)."""

    width: int
    height: int
    rng: np.random.Generator
    geom: RoadGeometry
    pal: dict[str, Color]
    weather: str
    colors: dict[int, Color] = field(default_factory=dict)
    amp: dict[int, float] = field(default_factory=dict)
    items: list[tuple[float, int, DrawFn]] = field(default_factory=list)
    near_m: float = 0.0
    cloud: float = 0.5
    haze: float = 0.3
    tex: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    """Randomness of the textures only, so the layout does not depend on the image size."""

    def __post_init__(self) -> None:
        size = (self.width, self.height)
        self.label = Image.new("L", size, SKY)
        self.ldraw = ImageDraw.Draw(self.label)
        self.decal_rgb = Image.new("RGB", size)
        self.decal_cls = Image.new("L", size, 0)
        self._drgb = ImageDraw.Draw(self.decal_rgb)
        self._dcls = ImageDraw.Draw(self.decal_cls)

    def region(self, poly: list[Point], cls: int) -> None:
        """Pass 1: fill ``poly`` with class ``cls``."""
        self.ldraw.polygon(poly, fill=cls)

    def decal(self, cls: int, poly: list[Point], color: Color) -> None:
        """Pass 2: recolour the pixels of ``poly`` that belong to class ``cls``."""
        self._drgb.polygon(poly, fill=color)
        self._dcls.polygon(poly, fill=cls + 1)

    def decal_line(self, cls: int, pts: list[Point], color: Color, width: float) -> None:
        """Pass 2: a recolouring polyline restricted to class ``cls``."""
        w = max(1, round(width))
        self._drgb.line(pts, fill=color, width=w)
        self._dcls.line(pts, fill=cls + 1, width=w)

    def item(self, t: float, fn: DrawFn) -> None:
        """Pass 3: a prop at inverse depth ``t`` (drawn far to near)."""
        self.items.append((t, len(self.items), fn))

    def jitter(self, color: Color, amount: float = 0.08) -> Color:
        """``color`` with a random brightness and hue wobble."""
        f = 1.0 + self.rng.uniform(-amount, amount, 3) + self.rng.uniform(-amount, amount)
        return tuple(int(np.clip(c * k, 0, 255)) for c, k in zip(color, f, strict=True))  # type: ignore[return-value]


def _sky(p: Painter, rgb: np.ndarray, labels: np.ndarray) -> None:
    """Vertical sky gradient with soft clouds, written where the label is sky (only rows that hold sky)."""
    _h, w = labels.shape
    is_sky = labels == SKY
    rows_with_sky = np.flatnonzero(is_sky.any(axis=1))
    if len(rows_with_sky) == 0:
        return
    n = int(rows_with_sky[-1]) + 1
    hz = max(p.geom.horizon, 1.0)
    rows = np.clip(np.arange(n, dtype=np.float32) / hz, 0, 1) ** 0.8
    top, bottom = np.array(p.pal["sky_top"], np.float32), np.array(p.pal["sky_horizon"], np.float32)
    grad = top[None, :] + (bottom - top)[None, :] * rows[:, None]
    clouds = _noise.value_noise(p.tex, n, w, max(3, round(5 * w / max(n, 1) / 2)), octaves=4)
    np.clip(clouds * 1.6 - 0.15, 0, 1, out=clouds)
    clouds *= p.cloud
    sky = (
        grad[:, None, :] + (np.array(p.pal["cloud"], np.float32)[None, None, :] - grad[:, None, :]) * clouds[..., None]
    )
    np.copyto(rgb[:n], sky, where=is_sky[:n, :, None])


def _compose(p: Painter) -> tuple[np.ndarray, np.ndarray]:
    """Turn the three passes into a picture and a label map.

    Flat colours first (regions, decals, then props drawn far to near), then one texture pass keyed by
    the final label map, the sky, and aerial perspective.
    """
    h, w = p.height, p.width
    lab1 = np.asarray(p.label)
    lut = np.zeros((256, 3), np.uint8)
    for cls, col in p.colors.items():
        lut[cls] = col
    base = np.take(lut, lab1, axis=0)
    dcls = np.asarray(p.decal_cls)
    dmask = (dcls != 0) & (dcls == lab1 + np.uint8(1))
    np.copyto(base, np.asarray(p.decal_rgb), where=dmask[..., None])
    img = Image.fromarray(base, "RGB")
    label = p.label.copy()
    rdraw, ldraw = ImageDraw.Draw(img), ImageDraw.Draw(label)
    for _, _, fn in sorted(p.items, key=lambda it: (it[0], it[1])):
        fn(rdraw, ldraw)
    labels = np.array(label)
    out = np.asarray(img, dtype=np.float32)
    amp = np.full(256, 0.04, np.float32)
    for cls, a in p.amp.items():
        amp[cls] = a
    mod = _noise.value_noise(p.tex, h, w, 12, octaves=4)
    mod *= 0.75
    mod += 0.35 * _noise.grain(p.tex, h, w)
    mod *= np.take(amp, labels)
    mod += 1.0
    out *= mod[..., None]
    # aerial perspective: far ground and objects fade toward the horizon colour
    t = np.clip(p.geom.t_of_row(np.arange(h, dtype=np.float32)), 0, 1)
    fade = (p.haze * (1 - t) ** 4).astype(np.float32)
    n = int(np.flatnonzero(fade > 0.01)[-1]) + 1 if (fade > 0.01).any() else 0
    if n:
        hcol = np.array(p.pal["sky_horizon"], np.float32)
        out[:n] += (hcol - out[:n]) * fade[:n, None, None]
    _sky(p, out, labels)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8), labels


def _hood(p: Painter, rgb: np.ndarray, labels: np.ndarray) -> None:
    """Ego-vehicle bonnet at the bottom of the frame: ignored (255) in every label map."""
    h, w = labels.shape
    top = h * p.rng.uniform(0.88, 0.94)
    poly = [
        (-1, h + 1),
        (-1, top + 0.06 * h),
        (w * 0.2, top + 0.01 * h),
        (w * 0.5, top),
        (w * 0.8, top + 0.01 * h),
        (w + 1, top + 0.06 * h),
        (w + 1, h + 1),
    ]
    mimg = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mimg).polygon(poly, fill=1)
    m = np.asarray(mimg).astype(bool)
    col = np.array(p.jitter(p.pal["hood"]), np.float32)
    rows = np.linspace(1.15, 0.6, h, dtype=np.float32)[:, None, None]
    rgb[m] = np.clip(col * rows, 0, 255).astype(np.uint8).repeat(w, axis=1)[m]
    labels[m] = IGNORE_INDEX


def render_scene(
    landform: str,
    rng: np.random.Generator,
    size: tuple[int, int] = (480, 270),
    *,
    weather: str = "clear",
    hood: bool | None = None,
) -> Scene:
    """Draw one road scene and its semantic labels.

    Args:
        landform: One of :data:`comsamy.constants.LANDFORMS`.
        rng: Source of randomness; the scene is a pure function of its state.
        size: ``(width, height)`` in pixels.
        weather: Tints the scene to match a weather (overcast sky, snow on the ground...); the weather
            effect itself is :func:`comsamy.synthetic.apply_weather`.
        hood: Draw the ego-vehicle bonnet (ignored in labels); ``None`` decides at random (25 %).

    Returns:
        The :class:`Scene`.

    Raises:
        UsageError: Unknown landform or weather, or a size below 32 x 32.
    """
    from comsamy.synthetic import _landforms

    if landform not in LANDFORMS:
        raise UsageError(f"landform: expected one of {LANDFORMS}, got {landform!r}")
    if weather not in WEATHERS:
        raise UsageError(f"weather: expected one of {WEATHERS}, got {weather!r}")
    w, h = _check_size(size)
    tex = np.random.default_rng(rng.integers(2**63))
    p = _landforms.make_painter(landform, weather, rng, w, h)
    p.tex = tex
    _landforms.BUILDERS[landform](p)
    rgb, labels = _compose(p)
    if hood if hood is not None else p.rng.random() < 0.25:
        rgb = rgb.copy()
        _hood(p, rgb, labels)
    return Scene(image=rgb, labels=labels, geometry=p.geom, landform=landform, near_m=p.near_m)


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise UsageError(f"size: expected (width, height) integers, got {size!r}") from None
    if w < 32 or h < 32:
        raise UsageError(f"size: expected width and height >= 32, got {size!r}")
    return w, h
