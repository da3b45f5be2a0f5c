"""Non-animal anomaly sprites: static obstacles, debris and unusual vehicles (drawn in unit coordinates)."""

from __future__ import annotations

import numpy as np

from comsamy.synthetic._sprite import Color, Sprite


def _shade(c: Color, f: float) -> Color:
    return tuple(int(max(0, min(255, v * f))) for v in c)  # type: ignore[return-value]


def _wheel(sp: Sprite, cx: float, cy: float, r: float, rim: Color = (150, 150, 150)) -> None:
    sp.ellipse(cx, cy, r, r, (25, 25, 25))
    sp.paint([(cx + r * 0.5 * np.cos(t), cy + r * 0.5 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 13)[:-1]], rim)


def rock(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    n = 11
    ang = np.linspace(np.pi, 2 * np.pi, n)
    rx, cx = a / 2 * 0.95, a / 2
    pts = [(cx + rx * np.cos(t) * rng.uniform(0.8, 1.0), 1.0 + 0.98 * np.sin(t) * rng.uniform(0.75, 1.0)) for t in ang]
    sp.poly([(cx - rx, 1.0), *pts, (cx + rx, 1.0)], c)
    sp.paint([(cx, 0.15), (cx + rx, 0.7), (cx + rx, 1.0), (cx + 0.1, 1.0)], _shade(c, 0.75))
    for _ in range(3):
        x = rng.uniform(cx - rx * 0.6, cx + rx * 0.6)
        sp.paint([(x, 0.4), (x + 0.05, 0.42), (x + 0.12, 0.7), (x + 0.1, 0.71)], _shade(c, 0.6))


def tree_stump(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    cx, r = a / 2, a / 2 * 0.8
    sp.poly(
        [
            (cx - r, 0.12),
            (cx + r, 0.12),
            (cx + r * 1.1, 0.95),
            (cx + r * 1.25, 1.0),
            (cx - r * 1.25, 1.0),
            (cx - r * 1.1, 0.95),
        ],
        c,
    )
    sp.ellipse(cx, 0.12, r, 0.1, (190, 160, 110))
    for k in (0.7, 0.45, 0.2):
        sp.paint(
            [(cx + r * k * np.cos(t), 0.12 + 0.1 * k * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 17)[:-1]],
            (160, 125, 80) if k != 0.45 else (200, 170, 120),
        )
    for x in np.linspace(cx - r * 0.8, cx + r * 0.8, 5):
        sp.paint([(x, 0.25), (x + 0.02, 0.25), (x + 0.03, 0.95), (x + 0.01, 0.95)], _shade(c, 0.7))


def barrel(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    cx, r = a / 2, a / 2 * 0.92
    sp.poly(
        [(cx - r, 0.06), (cx + r, 0.06), (cx + r * 1.04, 0.5), (cx + r, 0.97), (cx - r, 0.97), (cx - r * 1.04, 0.5)], c
    )
    sp.ellipse(cx, 0.06, r, 0.05, _shade(c, 1.2))
    for y in (0.3, 0.7):
        sp.paint(
            [(cx - r * 1.05, y), (cx + r * 1.05, y), (cx + r * 1.05, y + 0.05), (cx - r * 1.05, y + 0.05)],
            _shade(c, 0.65) if c[0] < 200 else (240, 240, 240),
        )
    sp.paint([(cx - r * 0.6, 0.1), (cx - r * 0.35, 0.1), (cx - r * 0.35, 0.95), (cx - r * 0.6, 0.95)], _shade(c, 1.25))


def tire(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    cx = a / 2
    sp.ellipse(cx, 0.5, a / 2 * 0.98, 0.49, (30, 30, 32))
    for t in np.linspace(0, 2 * np.pi, 25)[:-1]:
        sp.paint(
            [
                (cx + 0.47 * np.cos(t) * a, 0.5 + 0.47 * np.sin(t)),
                (cx + 0.49 * np.cos(t + 0.06) * a, 0.5 + 0.49 * np.sin(t + 0.06)),
                (cx + 0.4 * np.cos(t + 0.06) * a, 0.5 + 0.4 * np.sin(t + 0.06)),
            ],
            (55, 55, 58),
        )
    sp.paint(
        [(cx + 0.3 * a * np.cos(t), 0.5 + 0.3 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 17)[:-1]], (120, 120, 125)
    )
    sp.erase(cx, 0.5, 0.16 * a, 0.16)


def cardboard_box(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    front_w, depth = a * 0.7, a * 0.28
    sp.poly([(0.01, 0.3), (front_w, 0.3), (front_w, 0.99), (0.01, 0.99)], c)
    sp.poly([(front_w, 0.3), (front_w + depth, 0.05), (front_w + depth, 0.75), (front_w, 0.99)], _shade(c, 0.75))
    sp.poly([(0.01, 0.3), (depth, 0.05), (front_w + depth, 0.05), (front_w, 0.3)], _shade(c, 1.2))
    sp.paint(
        [(front_w * 0.45, 0.3), (front_w * 0.55, 0.3), (front_w * 0.55, 0.99), (front_w * 0.45, 0.99)], (200, 180, 140)
    )
    sp.paint([(0.1, 0.5), (0.3, 0.5), (0.3, 0.62), (0.1, 0.62)], (60, 50, 40))


def crate(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    cardboard_box(sp, rng, c)
    a = sp.w_out / sp.h_out
    fw = a * 0.7
    for y in (0.48, 0.66, 0.84):
        sp.paint([(0.01, y), (fw, y), (fw, y + 0.02), (0.01, y + 0.02)], _shade(c, 0.55))
    sp.paint([(0.02, 0.32), (0.08, 0.32), (fw - 0.02, 0.97), (fw - 0.08, 0.97)], _shade(c, 0.8))


def traffic_cone_pile(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    for k, cx in enumerate(np.linspace(0.25, a - 0.25, 3)):
        top = 0.05 + 0.08 * (k % 2)
        sp.poly([(cx - 0.04, top), (cx + 0.04, top), (cx + 0.2, 0.92), (cx - 0.2, 0.92)], (235, 90, 20))
        sp.rect(cx - 0.25, 0.92, cx + 0.25, 0.99, (40, 40, 40))
        sp.paint([(cx - 0.09, 0.4), (cx + 0.09, 0.4), (cx + 0.12, 0.52), (cx - 0.12, 0.52)], (240, 240, 240))


def fallen_load(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    x = 0.02
    while x < a - 0.2:
        w = rng.uniform(0.25, 0.45)
        h = rng.uniform(0.35, 0.6)
        col = _shade(c, rng.uniform(0.8, 1.15))
        sp.ellipse(x + w / 2, 1.0 - h / 2, w / 2, h / 2, col)  # sacks
        sp.paint([(x + w * 0.45, 1 - h), (x + w * 0.55, 1 - h), (x + w * 0.55, 1), (x + w * 0.45, 1)], _shade(col, 0.8))
        x += w * 0.75
    bw = rng.uniform(0.3, 0.5)
    bx = rng.uniform(0.1, a - bw - 0.1)
    sp.rect(bx, 0.05, bx + bw, 0.5, (150, 110, 70))  # a box on top
    sp.paint([(bx, 0.25), (bx + bw, 0.25), (bx + bw, 0.28), (bx, 0.28)], (110, 80, 50))


def planks(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    for y in np.linspace(0.05, 0.75, 6) + rng.uniform(0, 0.1, 6):
        x0 = rng.uniform(0.0, a * 0.4)
        x1 = min(a, x0 + rng.uniform(a * 0.5, a * 0.9))
        dy = rng.uniform(-0.1, 0.1)
        th = rng.uniform(0.1, 0.16)
        col = _shade(c, rng.uniform(0.8, 1.2))
        sp.poly([(x0, y), (x1, y + dy), (x1, y + dy + th), (x0, y + th)], col)
        sp.paint([(x0, y + th * 0.7), (x1, y + dy + th * 0.7), (x1, y + dy + th), (x0, y + th)], _shade(col, 0.7))


def tractor(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    sp.rect(a * 0.35, 0.45, a * 0.95, 0.72, c)  # hood
    sp.rect(0.08, 0.05, a * 0.45, 0.62, c)  # cabin
    sp.paint([(0.13, 0.1), (a * 0.41, 0.1), (a * 0.41, 0.42), (0.13, 0.42)], (120, 150, 165))
    sp.rect(a * 0.78, 0.25, a * 0.81, 0.45, (40, 40, 40))  # exhaust
    _wheel(sp, 0.3, 0.68, 0.31, (200, 170, 40))
    _wheel(sp, a * 0.82, 0.81, 0.18, (200, 170, 40))


def horse_cart(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    sp.poly([(0.05, 0.3), (a * 0.7, 0.3), (a * 0.66, 0.62), (0.09, 0.62)], c)
    for y in (0.4, 0.5):
        sp.paint([(0.05, y), (a * 0.7, y), (a * 0.7, y + 0.02), (0.05, y + 0.02)], _shade(c, 0.6))
    sp.line([(a * 0.65, 0.58), (a * 0.98, 0.66)], _shade(c, 0.7), 0.04)  # shaft
    _wheel(sp, a * 0.36, 0.72, 0.27, (140, 100, 60))


def excavator(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    sp.poly(
        [(0.05, 0.78), (a * 0.6, 0.78), (a * 0.64, 0.88), (a * 0.6, 0.99), (0.05, 0.99), (0.01, 0.88)], (45, 45, 45)
    )  # tracks
    for x in np.linspace(0.1, a * 0.55, 6):
        sp.paint([(x - 0.03, 0.82), (x + 0.03, 0.82), (x + 0.03, 0.95), (x - 0.03, 0.95)], (90, 90, 90))
    sp.rect(0.05, 0.5, a * 0.58, 0.78, c)  # house
    sp.rect(a * 0.3, 0.28, a * 0.55, 0.55, c)  # cab
    sp.paint([(a * 0.33, 0.32), (a * 0.52, 0.32), (a * 0.52, 0.5), (a * 0.33, 0.5)], (110, 140, 160))
    sp.line([(a * 0.5, 0.55), (a * 0.75, 0.1), (a * 0.93, 0.45)], c, 0.07)  # boom and stick
    sp.poly([(a * 0.88, 0.42), (a * 0.99, 0.45), (a * 0.97, 0.66), (a * 0.84, 0.6)], (60, 60, 60))  # bucket


def shopping_cart(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    sp.poly([(0.02, 0.1), (a * 0.98, 0.1), (a * 0.82, 0.65), (a * 0.15, 0.65)], (170, 175, 180))
    for x in np.linspace(0.1, a * 0.9, 7):
        sp.paint([(x, 0.12), (x + 0.015, 0.12), (x * 0.85 + 0.08, 0.63), (x * 0.85 + 0.065, 0.63)], (90, 95, 100))
    sp.line([(a * 0.2, 0.65), (a * 0.2, 0.93)], (120, 120, 125), 0.03)
    sp.line([(a * 0.8, 0.65), (a * 0.8, 0.93)], (120, 120, 125), 0.03)
    for x in (a * 0.2, a * 0.8):
        sp.ellipse(x, 0.95, 0.05, 0.05, (30, 30, 30))
    sp.line([(0.0, 0.04), (0.15, 0.1)], c, 0.04)


def fallen_tree(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    sp.poly([(0.02, 0.55), (a * 0.98, 0.62), (a * 0.98, 0.98), (0.02, 0.9)], c)  # trunk lying across
    sp.ellipse(0.04, 0.72, 0.06, 0.18, (185, 150, 105))  # cut face
    for _ in range(5):  # broken branches sticking up, some still carrying leaves
        x = rng.uniform(0.2, a * 0.9)
        ex, ey = x + rng.uniform(-0.25, 0.25), rng.uniform(0.1, 0.35)
        sp.line([(x, 0.62), (ex, ey)], _shade(c, 0.85), 0.05)
        if rng.random() < 0.7:
            for _ in range(3):
                sp.ellipse(
                    ex + rng.uniform(-0.06, 0.06),
                    ey + rng.uniform(-0.05, 0.03),
                    rng.uniform(0.06, 0.11),
                    rng.uniform(0.05, 0.09),
                    (55 + int(rng.integers(0, 25)), 85, 40),
                )
    sp.paint([(0.02, 0.8), (a * 0.98, 0.86), (a * 0.98, 0.98), (0.02, 0.9)], _shade(c, 0.7))


def mattress(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    sp.poly([(0.02, 0.35), (a * 0.75, 0.2), (a * 0.98, 0.55), (a * 0.25, 0.8)], c)  # top face
    sp.poly([(0.02, 0.35), (a * 0.25, 0.8), (a * 0.25, 0.98), (0.02, 0.55)], _shade(c, 0.75))
    sp.poly([(a * 0.25, 0.8), (a * 0.98, 0.55), (a * 0.98, 0.72), (a * 0.25, 0.98)], _shade(c, 0.85))
    for k in range(1, 5):
        f = k / 5
        sp.paint(
            [
                (0.02 + f * (a * 0.73), 0.35 - f * 0.15),
                (0.03 + f * (a * 0.73), 0.35 - f * 0.15),
                (a * 0.26 + f * (a * 0.73), 0.8 - f * 0.25),
                (a * 0.25 + f * (a * 0.73), 0.8 - f * 0.25),
            ],
            _shade(c, 0.8),
        )


def suitcase(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    sp.rect(0.02, 0.18, a * 0.98, 0.99, c)
    sp.line([(a * 0.35, 0.2), (a * 0.35, 0.04), (a * 0.65, 0.04), (a * 0.65, 0.2)], (40, 40, 40), 0.05)
    for x in (a * 0.25, a * 0.75):
        sp.paint([(x - 0.02, 0.2), (x + 0.02, 0.2), (x + 0.02, 0.98), (x - 0.02, 0.98)], _shade(c, 0.6))
    sp.paint([(0.02, 0.5), (a * 0.98, 0.5), (a * 0.98, 0.53), (0.02, 0.53)], _shade(c, 0.7))


def wheelbarrow(sp: Sprite, rng: np.random.Generator, c: Color) -> None:
    a = sp.w_out / sp.h_out
    sp.poly([(0.15, 0.2), (a * 0.75, 0.2), (a * 0.6, 0.62), (0.3, 0.62)], c)  # tray
    sp.paint([(0.15, 0.2), (a * 0.75, 0.2), (a * 0.72, 0.28), (0.18, 0.28)], _shade(c, 1.25))
    sp.line([(0.3, 0.6), (0.2, 0.98)], (70, 70, 70), 0.05)  # leg
    sp.line([(a * 0.6, 0.55), (a * 0.98, 0.35)], (90, 70, 50), 0.05)  # handles
    _wheel(sp, 0.14, 0.8, 0.18, (120, 120, 120))
