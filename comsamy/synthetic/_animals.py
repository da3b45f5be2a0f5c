"""Animal silhouettes for anomaly sprites: one parametric quadruped, seen from the side."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comsamy.synthetic._sprite import Color, Sprite


@dataclass(frozen=True)
class Quadruped:
    """Proportions of a four-legged animal, in units of its total height (the canvas height)."""

    aspect: float  # canvas width / height
    body_len: float
    body_h: float
    leg_len: float
    neck: float  # how far the head rises above the back
    head: float  # head length
    color: Color
    belly: Color | None = None
    antlers: str = ""  # "", "moose", "deer", "horns"
    spots: bool = False
    tail: float = 0.15
    leg_w: float = 0.06
    hump: bool = False
    head_tilt: float = 20.0  # degrees below horizontal


SPECIES: dict[str, Quadruped] = {
    "elk": Quadruped(
        1.25, 0.95, 0.33, 0.40, 0.06, 0.26, (85, 60, 40), (60, 45, 32), antlers="moose", leg_w=0.055, head_tilt=35
    ),
    "deer": Quadruped(
        1.05, 0.78, 0.26, 0.42, 0.12, 0.2, (150, 100, 60), (210, 190, 165), antlers="deer", leg_w=0.04, head_tilt=35
    ),
    "cow": Quadruped(
        1.45,
        1.1,
        0.45,
        0.34,
        0.02,
        0.22,
        (240, 238, 232),
        (230, 225, 220),
        antlers="horns",
        spots=True,
        leg_w=0.07,
        head_tilt=25,
    ),
    "dog": Quadruped(
        1.3, 0.9, 0.34, 0.38, 0.2, 0.26, (170, 120, 60), (220, 200, 170), tail=0.25, leg_w=0.07, head_tilt=10
    ),
    "bear": Quadruped(1.55, 1.2, 0.58, 0.3, 0.02, 0.28, (60, 42, 30), None, tail=0.04, leg_w=0.12, head_tilt=20),
    "horse": Quadruped(1.2, 0.95, 0.3, 0.42, 0.2, 0.3, (110, 70, 40), None, tail=0.3, leg_w=0.05, head_tilt=55),
    "sheep": Quadruped(1.35, 0.95, 0.5, 0.3, 0.08, 0.2, (225, 220, 205), None, tail=0.05, leg_w=0.07, head_tilt=30),
    "camel": Quadruped(
        1.05, 0.8, 0.26, 0.45, 0.1, 0.2, (195, 155, 100), None, tail=0.12, leg_w=0.045, hump=True, head_tilt=15
    ),
    "wild_boar": Quadruped(1.6, 1.2, 0.5, 0.28, -0.05, 0.32, (70, 58, 48), None, tail=0.08, leg_w=0.08, head_tilt=30),
}


def draw_quadruped(sp: Sprite, q: Quadruped, rng: np.random.Generator, color: Color) -> None:
    """Draw ``q`` facing right on ``sp`` (the caller mirrors at random)."""
    a = q.aspect
    ground = 0.99
    x0 = (a - q.body_len - q.head * 0.6) / 2 + 0.02
    x1 = x0 + q.body_len
    body_bottom = ground - q.leg_len
    body_top = body_bottom - q.body_h
    dark: Color = (int(color[0] * 0.7), int(color[1] * 0.7), int(color[2] * 0.7))
    lw = q.leg_w
    # far legs first (darker), then near legs; knees bend a little at random
    for k, (lx, far) in enumerate(
        ((x0 + 0.1 + lw, True), (x1 - 0.12 - 2 * lw, True), (x0 + 0.03, False), (x1 - 0.1, False))
    ):
        bend = rng.uniform(-0.04, 0.04)
        c = dark if far else color
        knee_y = body_bottom + q.leg_len * 0.5
        sp.poly(
            [
                (lx, body_bottom - 0.05),
                (lx + lw * 1.4, body_bottom - 0.05),
                (lx + lw + bend, knee_y),
                (lx + lw * 0.8, ground),
                (lx + 0.0, ground),
                (lx + bend, knee_y),
            ],
            c,
        )
        sp.rect(lx - 0.005, ground - 0.03, lx + lw * 0.85, ground, (35, 30, 25))
        del k
    sp.ellipse((x0 + x1) / 2, (body_top + body_bottom) / 2, q.body_len / 2, q.body_h / 2, color)
    if q.hump:
        sp.ellipse((x0 + x1) / 2, body_top + 0.02, q.body_len * 0.22, q.body_h * 0.55, color)
    if q.belly is not None:
        sp.paint(
            [
                (x0 + 0.1, body_bottom - q.body_h * 0.25),
                (x1 - 0.1, body_bottom - q.body_h * 0.25),
                (x1 - 0.15, body_bottom + 0.02),
                (x0 + 0.15, body_bottom + 0.02),
            ],
            q.belly,
        )
    if q.spots:
        for _ in range(5):
            cx, cy = rng.uniform(x0 + 0.1, x1 - 0.1), rng.uniform(body_top + 0.05, body_bottom - 0.05)
            r = rng.uniform(0.05, 0.11)
            sp.paint(
                [
                    (cx + r * np.cos(t) * rng.uniform(0.6, 1.2), cy + r * np.sin(t) * rng.uniform(0.6, 1.2))
                    for t in np.linspace(0, 2 * np.pi, 9)[:-1]
                ],
                (30, 28, 26),
            )
    # neck and head
    neck_top = body_top - q.neck
    hx = x1 - 0.05
    sp.poly(
        [
            (x1 - 0.22, body_top + 0.1),
            (hx, neck_top),
            (hx + 0.1, neck_top + 0.04),
            (x1 + 0.02, body_top + q.body_h * 0.55),
        ],
        color,
    )
    # head: a skull tapering into a muzzle, pointing forward and tilted down by ``head_tilt``
    ang = np.radians(q.head_tilt)
    ca, sa = np.cos(ang), np.sin(ang)

    def local(u: float, v: float) -> tuple[float, float]:
        return hx + 0.02 + (u * ca - v * sa) * q.head, neck_top + 0.03 + (u * sa + v * ca) * q.head

    sp.poly(
        [
            local(u, v)
            for u, v in (
                (-0.15, -0.3),
                (0.35, -0.32),
                (0.95, -0.12),
                (1.02, 0.05),
                (0.95, 0.2),
                (0.3, 0.32),
                (-0.15, 0.3),
            )
        ],
        color,
    )
    sp.paint([local(u, v) for u, v in ((0.8, -0.1), (1.02, 0.02), (0.96, 0.18), (0.78, 0.16))], dark)  # nose
    ex, ey = local(0.22, -0.1)
    sp.ellipse(ex, ey, 0.018, 0.018, (15, 12, 10))  # eye
    if q.neck >= 0.15:  # a mane along the top of a long neck
        sp.line([(x1 - 0.2, body_top + 0.04), (hx - 0.01, neck_top + 0.01)], dark, 0.03)
    sp.poly([(hx + 0.02, neck_top - 0.02), (hx - 0.02, neck_top - 0.09), (hx + 0.05, neck_top - 0.01)], dark)  # ear
    if q.antlers == "moose":
        for side in (-0.05, 0.04):
            bx, by = hx + side, neck_top - 0.03
            sp.poly(
                [
                    (bx, by),
                    (bx - 0.14, by - 0.12),
                    (bx - 0.1, by - 0.17),
                    (bx - 0.02, by - 0.13),
                    (bx + 0.03, by - 0.17),
                    (bx + 0.1, by - 0.15),
                    (bx + 0.04, by),
                ],
                (175, 150, 110),
            )
    elif q.antlers == "deer":
        for side in (-0.03, 0.03):
            bx, by = hx + side, neck_top - 0.03
            sp.line([(bx, by), (bx - 0.05, by - 0.09), (bx - 0.02, by - 0.15)], (120, 95, 70), 0.016)
            sp.line([(bx - 0.05, by - 0.09), (bx + 0.04, by - 0.13)], (120, 95, 70), 0.014)
    elif q.antlers == "horns":
        sp.line([(hx + 0.02, neck_top - 0.01), (hx - 0.02, neck_top - 0.07)], (225, 215, 190), 0.02)
    # tail
    ty = body_top + q.body_h * 0.3
    sp.line([(x0 + 0.04, ty), (x0 - q.tail * 0.35, ty + q.tail)], dark, 0.03)
