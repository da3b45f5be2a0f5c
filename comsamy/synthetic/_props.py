"""Inlier props drawn into a scene with their Cityscapes train ids: cars, people, poles, signs, trees.

Each function draws on two ``ImageDraw`` objects at once, the RGB picture and the label map, so the
label is exact by construction. Coordinates are pixels; ``ppm`` is pixels per metre at the prop's foot.
"""

from __future__ import annotations

import numpy as np
from PIL import ImageDraw

from comsamy.constants import TRAIN_ID

Color = tuple[int, int, int]

_ROAD, _CAR, _PERSON = TRAIN_ID["road"], TRAIN_ID["car"], TRAIN_ID["person"]
_POLE, _SIGN, _VEG = TRAIN_ID["pole"], TRAIN_ID["traffic sign"], TRAIN_ID["vegetation"]


def shade(color: Color, factor: float) -> Color:
    """``color`` scaled by ``factor`` and clipped to 0..255."""
    return tuple(int(max(0, min(255, round(c * factor)))) for c in color)  # type: ignore[return-value]


def both(
    rgb: ImageDraw.ImageDraw, lab: ImageDraw.ImageDraw, poly: list[tuple[float, float]], color: Color, cls: int
) -> None:
    """Fill ``poly`` with ``color`` in the picture and ``cls`` in the labels."""
    rgb.polygon(poly, fill=color)
    lab.polygon(poly, fill=cls)


def box(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    """Axis-aligned rectangle as a polygon."""
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def car_rear(
    rgb: ImageDraw.ImageDraw,
    lab: ImageDraw.ImageDraw,
    cx: float,
    base: float,
    ppm: float,
    color: Color,
    *,
    truck: bool = False,
) -> None:
    """A car (or a box truck, train id ``truck``) seen from behind, standing on row ``base``."""
    w = (2.5 if truck else 1.8) * ppm
    h = (3.4 if truck else 1.45) * ppm
    cls = TRAIN_ID["truck"] if truck else _CAR
    wheel_h = 0.35 * ppm
    # wheels
    for side in (-1, 1):
        x = cx + side * w * 0.36
        both(rgb, lab, box(x - 0.13 * ppm, base - wheel_h, x + 0.13 * ppm, base), (20, 20, 22), cls)
    body_bottom = base - 0.22 * ppm
    if truck:
        both(rgb, lab, box(cx - w / 2, body_bottom - h + 0.2 * ppm, cx + w / 2, body_bottom), color, cls)
        rgb.polygon(box(cx - w / 2, body_bottom - 0.3 * ppm, cx + w / 2, body_bottom), fill=shade(color, 0.5))
        rgb.line(
            [(cx, body_bottom - h + 0.3 * ppm), (cx, body_bottom - 0.3 * ppm)],
            fill=shade(color, 0.7),
            width=max(1, int(0.04 * ppm)),
        )
    else:
        lower = body_bottom - 0.75 * ppm
        both(rgb, lab, box(cx - w / 2, lower, cx + w / 2, body_bottom), color, cls)
        cabin = [
            (cx - w * 0.42, lower),
            (cx - w * 0.33, body_bottom - h),
            (cx + w * 0.33, body_bottom - h),
            (cx + w * 0.42, lower),
        ]
        both(rgb, lab, cabin, shade(color, 0.9), cls)
        win = [
            (cx - w * 0.36, lower - 0.05 * ppm),
            (cx - w * 0.3, body_bottom - h + 0.08 * ppm),
            (cx + w * 0.3, body_bottom - h + 0.08 * ppm),
            (cx + w * 0.36, lower - 0.05 * ppm),
        ]
        rgb.polygon(win, fill=(35, 45, 55))
        bumper = box(cx - w / 2, body_bottom - 0.2 * ppm, cx + w / 2, body_bottom)
        rgb.polygon(bumper, fill=shade(color, 0.55))
    for side in (-1, 1):  # tail lights
        x = cx + side * w * 0.4
        y = body_bottom - 0.55 * ppm
        rgb.rectangle([x - 0.12 * ppm, y - 0.08 * ppm, x + 0.12 * ppm, y + 0.08 * ppm], fill=(200, 30, 25))
    rgb.rectangle(
        [cx - 0.25 * ppm, body_bottom - 0.45 * ppm, cx + 0.25 * ppm, body_bottom - 0.3 * ppm], fill=(225, 225, 215)
    )


def person(
    rgb: ImageDraw.ImageDraw,
    lab: ImageDraw.ImageDraw,
    cx: float,
    base: float,
    ppm: float,
    shirt: Color,
    trousers: Color,
) -> None:
    """A standing pedestrian about 1.75 m tall."""
    h = 1.75 * ppm
    leg_w = 0.13 * ppm
    both(rgb, lab, box(cx - 0.17 * ppm, base - 0.85 * ppm, cx - 0.17 * ppm + leg_w, base), trousers, _PERSON)
    both(rgb, lab, box(cx + 0.04 * ppm, base - 0.85 * ppm, cx + 0.04 * ppm + leg_w, base), trousers, _PERSON)
    torso = [
        (cx - 0.22 * ppm, base - 0.82 * ppm),
        (cx - 0.24 * ppm, base - 1.45 * ppm),
        (cx + 0.24 * ppm, base - 1.45 * ppm),
        (cx + 0.22 * ppm, base - 0.82 * ppm),
    ]
    both(rgb, lab, torso, shirt, _PERSON)
    r = 0.12 * ppm
    hy = base - h + r
    rgb.ellipse([cx - r, hy - r, cx + r, hy + r], fill=(205, 160, 130))
    lab.ellipse([cx - r, hy - r, cx + r, hy + r], fill=_PERSON)
    rgb.chord([cx - r, hy - r, cx + r, hy + r], 180, 360, fill=(50, 35, 25))


def pole(
    rgb: ImageDraw.ImageDraw,
    lab: ImageDraw.ImageDraw,
    x: float,
    base: float,
    ppm: float,
    height_m: float,
    color: Color,
    *,
    lamp_side: int = 0,
    sign: Color | None = None,
) -> None:
    """A pole; optionally a street lamp arm toward ``lamp_side`` (-1/1) and a traffic sign plate."""
    w = max(1.0, 0.14 * ppm)
    top = base - height_m * ppm
    both(rgb, lab, box(x - w / 2, top, x + w / 2, base), color, _POLE)
    if lamp_side:
        arm = [
            (x, top),
            (x + lamp_side * 1.6 * ppm, top - 0.15 * ppm),
            (x + lamp_side * 1.6 * ppm, top + w * 0.6),
            (x, top + w),
        ]
        both(rgb, lab, arm, color, _POLE)
        lx = x + lamp_side * 1.6 * ppm
        both(rgb, lab, box(lx - 0.3 * ppm, top - 0.05 * ppm, lx + 0.3 * ppm, top + 0.12 * ppm), (230, 225, 190), _POLE)
    if sign is not None:
        sy = top + 0.1 * height_m * ppm
        r = 0.38 * ppm
        rgb.ellipse([x - r, sy - r, x + r, sy + r], fill=(240, 240, 240))
        lab.ellipse([x - r, sy - r, x + r, sy + r], fill=_SIGN)
        rgb.ellipse([x - r * 0.8, sy - r * 0.8, x + r * 0.8, sy + r * 0.8], fill=sign)
        rgb.ellipse([x - r * 0.55, sy - r * 0.55, x + r * 0.55, sy + r * 0.55], fill=(240, 240, 240))


def sign_panel(
    rgb: ImageDraw.ImageDraw,
    lab: ImageDraw.ImageDraw,
    x: float,
    base: float,
    ppm: float,
    color: Color,
    *,
    height_m: float = 2.4,
) -> None:
    """A rectangular direction sign (blue/green) on two thin posts."""
    top = base - height_m * ppm - 1.2 * ppm
    for dx in (-0.7, 0.7):
        both(rgb, lab, box(x + dx * ppm - 0.05 * ppm, top, x + dx * ppm + 0.05 * ppm, base), (120, 120, 125), _POLE)
    both(rgb, lab, box(x - 1.1 * ppm, top, x + 1.1 * ppm, top + 1.2 * ppm), color, _SIGN)
    for k in range(3):
        y = top + (0.3 + 0.3 * k) * ppm
        rgb.line([(x - 0.8 * ppm, y), (x + 0.6 * ppm, y)], fill=(235, 235, 235), width=max(1, int(0.08 * ppm)))


def conifer(
    rgb: ImageDraw.ImageDraw,
    lab: ImageDraw.ImageDraw,
    x: float,
    base: float,
    ppm: float,
    height_m: float,
    color: Color,
    rng: np.random.Generator,
) -> None:
    """A spruce: trunk and stacked triangles of foliage, shaded darker on one side."""
    h = height_m * ppm
    w = 0.32 * h
    both(rgb, lab, box(x - 0.025 * h, base - 0.15 * h, x + 0.025 * h, base), (70, 50, 35), _VEG)
    tiers = 5
    for k in range(tiers):
        y0 = base - 0.12 * h - k * 0.17 * h
        tw = w * (1.0 - k / (tiers + 0.5))
        apex = y0 - 0.32 * h
        c = shade(color, 0.85 + 0.1 * rng.random())
        both(rgb, lab, [(x - tw, y0), (x, apex), (x + tw, y0)], c, _VEG)
        rgb.polygon([(x, y0), (x, apex), (x + tw, y0)], fill=shade(c, 0.72))


def broadleaf(
    rgb: ImageDraw.ImageDraw,
    lab: ImageDraw.ImageDraw,
    x: float,
    base: float,
    ppm: float,
    height_m: float,
    color: Color,
    rng: np.random.Generator,
) -> None:
    """A round tree: a trunk and a crown of overlapping blobs in several greens."""
    h = height_m * ppm
    both(rgb, lab, box(x - 0.025 * h, base - 0.45 * h, x + 0.025 * h, base), (85, 62, 45), _VEG)
    cy, r = base - 0.62 * h, 0.3 * h
    for _ in range(9):
        dx, dy = rng.normal(0, 0.35, 2) * r
        rr = r * (0.45 + 0.3 * rng.random())
        c = shade(color, 0.7 + 0.5 * rng.random() - 0.25 * (dy < 0))
        bb = [x + dx - rr, cy + dy - rr, x + dx + rr, cy + dy + rr]
        rgb.ellipse(bb, fill=c)
        lab.ellipse(bb, fill=_VEG)


def bush(
    rgb: ImageDraw.ImageDraw,
    lab: ImageDraw.ImageDraw,
    x: float,
    base: float,
    ppm: float,
    size_m: float,
    color: Color,
    rng: np.random.Generator,
) -> None:
    """A low bush of a few overlapping blobs."""
    r = size_m * ppm / 2
    for _ in range(4):
        dx = rng.normal(0, 0.5) * r
        rr = r * (0.5 + 0.4 * rng.random())
        bb = [x + dx - rr, base - 2 * rr, x + dx + rr, base]
        rgb.ellipse(bb, fill=shade(color, 0.75 + 0.45 * rng.random()))
        lab.ellipse(bb, fill=_VEG)


def billboard(
    rgb: ImageDraw.ImageDraw, lab: ImageDraw.ImageDraw, x: float, base: float, ppm: float, color: Color, accent: Color
) -> None:
    """A roadside billboard on two posts: outside the 19 classes and off the road, so it is ignored (255)."""
    w, h, lift = 6.0 * ppm, 3.0 * ppm, 2.5 * ppm
    void = 255
    for dx in (-0.3, 0.3):
        both(
            rgb,
            lab,
            box(x + dx * w - 0.1 * ppm, base - lift - 0.1 * ppm, x + dx * w + 0.1 * ppm, base),
            (90, 90, 95),
            void,
        )
    top = base - lift - h
    both(rgb, lab, box(x - w / 2, top, x + w / 2, base - lift), color, void)
    rgb.rectangle([x - w / 2, top, x + w / 2, top + 0.15 * h], fill=shade(color, 0.7))
    rgb.ellipse([x + 0.05 * w, top + 0.2 * h, x + 0.05 * w + 0.6 * h, top + 0.8 * h], fill=accent)
    for k in range(3):
        y = top + (0.35 + 0.18 * k) * h
        rgb.line([(x - 0.42 * w, y), (x - 0.05 * w, y)], fill=(245, 245, 240), width=max(1, int(0.1 * ppm)))
