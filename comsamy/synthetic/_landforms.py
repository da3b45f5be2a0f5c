"""Scene builders, one per landform, and their palettes (internal to :mod:`comsamy.synthetic.scenes`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from comsamy.constants import TRAIN_ID
from comsamy.synthetic import _props as props
from comsamy.synthetic.geometry import RoadGeometry
from comsamy.synthetic.scenes import Color, Painter

ROAD, SIDEWALK, BUILDING = TRAIN_ID["road"], TRAIN_ID["sidewalk"], TRAIN_ID["building"]
FENCE, POLE, VEG, TERRAIN = TRAIN_ID["fence"], TRAIN_ID["pole"], TRAIN_ID["vegetation"], TRAIN_ID["terrain"]
SKY = TRAIN_ID["sky"]

# (half road width m, bottom half width as fraction of image width, horizon fraction range)
_ROADS: dict[str, tuple[float, float, tuple[float, float]]] = {
    "highway": (7.5, 0.95, (0.40, 0.48)),
    "urban_road": (5.0, 0.62, (0.42, 0.50)),
    "country_road": (2.8, 0.40, (0.38, 0.47)),
    "forest": (3.0, 0.45, (0.40, 0.48)),
    "polar": (3.4, 0.46, (0.40, 0.50)),
    "grassland": (3.3, 0.45, (0.38, 0.48)),
    "desert": (3.4, 0.48, (0.40, 0.50)),
}

_BASE: dict[str, dict[str, Color]] = {
    "highway": {"terrain": (105, 125, 70), "veg": (60, 85, 45), "road": (92, 92, 96)},
    "urban_road": {"terrain": (110, 120, 80), "veg": (60, 90, 50), "road": (88, 88, 92)},
    "country_road": {"terrain": (140, 135, 75), "veg": (65, 95, 45), "road": (120, 112, 98)},
    "forest": {"terrain": (80, 95, 55), "veg": (38, 70, 40), "road": (78, 78, 80)},
    "polar": {"terrain": (228, 234, 242), "veg": (70, 90, 80), "road": (150, 156, 164)},
    "grassland": {"terrain": (100, 150, 60), "veg": (55, 100, 45), "road": (95, 95, 98)},
    "desert": {"terrain": (222, 180, 120), "veg": (120, 125, 70), "road": (112, 102, 92)},
}


def make_painter(landform: str, weather: str, rng: np.random.Generator, w: int, h: int) -> Painter:
    """Geometry, palette and per-class colours for one scene."""
    half_m, frac, (h0, h1) = _ROADS[landform]
    half_m *= rng.uniform(0.9, 1.1)
    geom = RoadGeometry(
        width=w,
        height=h,
        horizon=h * rng.uniform(h0, h1),
        vanish_x=w * rng.uniform(0.4, 0.6),
        bottom_x=w * rng.uniform(0.44, 0.56),
        half_width_px=w * frac * rng.uniform(0.9, 1.1),
        half_width_m=half_m,
        curve=rng.uniform(-0.12, 0.12),
    )
    base = _BASE[landform]
    pal: dict[str, Color] = {
        "sky_top": (70, 125, 200),
        "sky_horizon": (185, 208, 232),
        "cloud": (245, 245, 248),
        "hood": (40, 45, 55),
        **base,
    }
    if landform == "polar":
        pal.update(sky_top=(160, 185, 215), sky_horizon=(228, 234, 240))
    elif landform == "desert":
        pal.update(sky_top=(95, 150, 210), sky_horizon=(232, 218, 190))
    cloud, haze = rng.uniform(0.2, 0.7), 0.3
    if weather in ("rain", "fog", "blizzard"):
        pal.update(sky_top=(128, 134, 142), sky_horizon=(178, 182, 188), cloud=(150, 153, 158))
        cloud, haze = 0.9, 0.5
        if weather == "rain":
            pal["road"] = props.shade(pal["road"], 0.75)
    if weather in ("frost", "blizzard"):
        pal["terrain"] = (222, 228, 236) if weather == "blizzard" else _mix(pal["terrain"], (215, 225, 235), 0.55)
        pal["road"] = _mix(pal["road"], (190, 195, 205), 0.45 if weather == "blizzard" else 0.2)
        pal["veg"] = _mix(pal["veg"], (200, 210, 215), 0.35)
    if weather == "night":
        pal.update(sky_top=(8, 12, 30), sky_horizon=(40, 45, 70), cloud=(30, 32, 45))
    if weather == "sandstorm":
        pal.update(sky_top=(175, 130, 80), sky_horizon=(215, 170, 110), cloud=(200, 150, 95))
        haze = 0.6
    p = Painter(width=w, height=h, rng=rng, geom=geom, pal=pal, weather=weather, cloud=cloud, haze=haze)
    p.colors = {
        TERRAIN: p.jitter(pal["terrain"]),
        VEG: p.jitter(pal["veg"]),
        ROAD: p.jitter(pal["road"], 0.05),
        SIDEWALK: p.jitter((150, 145, 140)),
        BUILDING: p.jitter((150, 135, 120)),
        FENCE: (150, 150, 155),
        POLE: (110, 110, 115),
        SKY: pal["sky_horizon"],
    }
    p.amp = {TERRAIN: 0.22, VEG: 0.35, ROAD: 0.1, SIDEWALK: 0.1, BUILDING: 0.12, FENCE: 0.1, POLE: 0.05}
    p.near_m = half_m + 1.5
    p.region([(0, geom.horizon), (w, geom.horizon), (w, h), (0, h)], TERRAIN)
    return p


def _mix(a: Color, b: Color, k: float) -> Color:
    return tuple(int(x * (1 - k) + y * k) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _skyline(p: Painter, cls: int, max_frac: float, cells: int, color: Color | None = None) -> None:
    """A ragged band just above the horizon (distant trees, hills or dunes)."""
    g, w = p.geom, p.width
    n = cells + 1
    xs = np.linspace(-0.05 * w, 1.05 * w, n)
    hs = np.abs(np.cumsum(p.rng.normal(0, 1, n))) + p.rng.uniform(0.2, 1, n)
    hs = hs / hs.max() * max_frac * p.height
    poly = [(float(x), float(g.horizon - hh)) for x, hh in zip(xs, hs, strict=True)]
    poly = [(-10.0, g.horizon + 2), *poly, (w + 10.0, g.horizon + 2)]
    p.region(poly, cls)
    if color is not None:
        p.decal(cls, poly, color)


def _road(p: Painter, half: float) -> None:
    p.region(p.geom.strip(-half, half, 0.0, 1.5), ROAD)


def _dashes(
    p: Painter, x_m: float, color: Color, *, dash: float = 3.0, gap: float = 9.0, width_m: float = 0.15
) -> None:
    g = p.geom
    z = g.bottom_distance * 0.7 + p.rng.uniform(0, dash + gap)
    while z < 160:
        t0, t1 = g.t_at_distance(z), g.t_at_distance(z + dash)
        p.decal(ROAD, g.strip(x_m - width_m / 2, x_m + width_m / 2, t1, t0, steps=3), color)
        z += dash + gap


def _line(p: Painter, x_m: float, color: Color, width_m: float = 0.15) -> None:
    p.decal(ROAD, p.geom.strip(x_m - width_m / 2, x_m + width_m / 2, 0.004, 1.5), color)


def _along(p: Painter, start: float, step: float, jitter: float = 0.3, stop: float = 180.0) -> list[float]:
    """Distances ahead (m) of repeated roadside things, as inverse depths."""
    out, z = [], p.geom.bottom_distance * start
    while z < stop:
        out.append(p.geom.t_at_distance(z))
        z += step * (1 + p.rng.uniform(-jitter, jitter))
    return out


def _place(p: Painter, t: float, x_m: float, fn: Callable[..., None], *args: object, **kw: object) -> None:
    g = p.geom
    x, y, ppm = float(g.x(t, x_m)), float(g.row(t)), float(g.ppm(t))
    if -0.3 * p.width < x < 1.3 * p.width:
        p.item(t, partial(_call, fn, x, y, ppm, args, kw))


def _scatter(
    p: Painter,
    count: tuple[int, int],
    t: tuple[float, float],
    offset_m: tuple[float, float],
    fn: Callable[..., None],
    height_m: tuple[float, float],
    color: Color,
) -> None:
    """Place a random number of ``fn`` plants (``fn(..., height_m, color, rng)``) on either side of the road."""
    for _ in range(int(p.rng.integers(*count))):
        _place(
            p,
            p.rng.uniform(*t),
            p.rng.choice([-1, 1]) * p.rng.uniform(*offset_m),
            fn,
            p.rng.uniform(*height_m),
            color,
            p.rng,
        )


def _call(fn: Callable[..., None], x: float, y: float, ppm: float, args: tuple, kw: dict, rgb, lab) -> None:  # type: ignore[no-untyped-def]
    fn(rgb, lab, x, y, ppm, *args, **kw)


def _billboard(p: Painter, chance: float) -> None:
    """Sometimes a roadside billboard well off the road (void in every label map)."""
    if p.rng.random() < chance:
        g = p.geom
        side = float(p.rng.choice([-1.0, 1.0]))
        t = float(p.rng.uniform(0.12, 0.35))
        colors = [(30, 90, 170), (200, 40, 40), (240, 200, 40), (40, 140, 80)]
        fill, accent = colors[p.rng.integers(4)], colors[p.rng.integers(4)]
        edge = 0.92 * p.width if side > 0 else 0.08 * p.width
        lo, hi = p.near_m + 5.0, side * (edge - float(g.center(t))) / float(g.ppm(t))
        if hi > lo:
            _place(p, t, side * float(p.rng.uniform(lo, min(hi, lo + 10))), props.billboard, fill, accent)


def _cars(p: Painter, lanes: list[float], count: int) -> None:
    colors = [(180, 30, 30), (30, 60, 150), (220, 220, 225), (40, 40, 45), (150, 150, 160), (200, 170, 40)]
    for _ in range(count):
        t = p.rng.uniform(0.12, 0.45)
        lane = lanes[p.rng.integers(len(lanes))]
        truck = p.rng.random() < 0.2
        color = colors[p.rng.integers(len(colors))]
        _place(p, t, lane + p.rng.uniform(-0.3, 0.3), props.car_rear, p.jitter(color), truck=truck)


def highway(p: Painter) -> None:
    """Four lanes, dashed lane lines, solid edges, guard rails, lamp posts, a tree line."""
    g, hm = p.geom, p.geom.half_width_m
    _skyline(p, VEG, 0.035, 40)
    _road(p, hm + 0.8)
    white = (225, 225, 220)
    for k in (-1, 0, 1):
        _dashes(p, k * hm / 2, white)
    for s in (-1, 1):
        _line(p, s * (hm - 0.2), white, 0.2)
        p.region(g.wall(s * (hm + 1.2), 0.004, 1.5, 0.85, base_m=0.45), FENCE)
        for t in _along(p, 0.9, 4.0, 0.0, 120):
            _place(p, t, s * (hm + 1.25), _post, 0.75, (120, 120, 125))
        for t in _along(p, 1.2, 45.0, 0.05):
            _place(p, t, s * (hm + 2.2), props.pole, 10.0, (150, 150, 155), lamp_side=-s)
    if p.rng.random() < 0.6:
        s = p.rng.choice([-1, 1])
        _place(p, p.rng.uniform(0.2, 0.35), s * (hm + 4), props.sign_panel, p.jitter((30, 90, 60)))
    _cars(p, [-hm * 0.75, -hm * 0.25, hm * 0.25, hm * 0.75], int(p.rng.integers(1, 4)))
    p.near_m = hm + 1.2
    _billboard(p, 0.3)


def _post(rgb, lab, x: float, y: float, ppm: float, height_m: float, color: Color) -> None:  # type: ignore[no-untyped-def]
    w = max(1.0, 0.12 * ppm)
    props.both(rgb, lab, props.box(x - w / 2, y - height_m * ppm, x + w / 2, y), color, FENCE)


def urban_road(p: Painter) -> None:
    """Street canyon: sidewalks, facades with windows, lamp posts, signs, pedestrians, parked cars."""
    g, hm = p.geom, p.geom.half_width_m
    sw = p.rng.uniform(2.5, 4.0)
    _road(p, hm)
    for s in (-1, 1):
        p.region(g.strip(s * hm, s * (hm + sw), 0.0, 1.5), SIDEWALK)
        p.decal(SIDEWALK, g.strip(s * hm, s * (hm + 0.25), 0.0, 1.5), (185, 182, 175))
        z = g.bottom_distance * 0.5
        while z < 250:
            length, height = p.rng.uniform(8, 22), p.rng.uniform(8, 28)
            t0, t1 = g.t_at_distance(z + length), g.t_at_distance(z)
            facade = g.wall(s * (hm + sw), t0, min(t1, 1.6), height, steps=4)
            p.region(facade, BUILDING)
            col = p.jitter(
                [(170, 150, 125), (135, 120, 110), (190, 180, 165), (120, 90, 75), (160, 160, 165)][p.rng.integers(5)],
                0.1,
            )
            p.decal(BUILDING, facade, col)
            _windows(p, s * (hm + sw), z, length, height, props.shade(col, 0.45))
            z += length
        for t in _along(p, 1.0, 25.0, 0.2):
            _place(p, t, s * (hm + 0.5), props.pole, 8.0, (70, 75, 80), lamp_side=-s)
        for _ in range(int(p.rng.integers(0, 4))):
            shirt = p.jitter([(160, 40, 40), (40, 70, 140), (220, 220, 210), (60, 60, 60)][p.rng.integers(4)])
            _place(
                p, p.rng.uniform(0.15, 0.7), s * (hm + p.rng.uniform(0.8, sw - 0.5)), props.person, shirt, (45, 45, 60)
            )
        if p.rng.random() < 0.5:
            _place(
                p,
                p.rng.uniform(0.2, 0.5),
                s * (hm + 0.6),
                props.pole,
                3.0,
                (100, 100, 105),
                sign=[(200, 30, 30), (30, 80, 180)][p.rng.integers(2)],
            )
    _dashes(p, 0.0, (220, 220, 210))
    for s in (-1, 1):
        for _ in range(int(p.rng.integers(0, 3))):
            _place(p, p.rng.uniform(0.15, 0.6), s * (hm - 1.1), props.car_rear, p.jitter((90, 90, 100), 0.4))
    _cars(p, [hm * 0.3], int(p.rng.integers(0, 2)))
    p.near_m = hm + 0.5


def _windows(p: Painter, x_m: float, z0: float, length: float, height: float, color: Color) -> None:
    g = p.geom
    cols = max(1, int(length / 3.2))
    floors = max(1, int(height / 3.2))
    for i in range(cols):
        za, zb = z0 + (i + 0.25) * length / cols, z0 + (i + 0.75) * length / cols
        ta, tb = g.t_at_distance(za), g.t_at_distance(zb)
        for f in range(floors):
            lo, hi = 1.0 + f * 3.2, 2.4 + f * 3.2
            if hi > height - 0.5:
                break
            lit = p.weather == "night" and p.rng.random() < 0.3
            p.decal(BUILDING, g.wall(x_m, tb, ta, hi, base_m=lo, steps=2), (250, 225, 150) if lit else color)


def country_road(p: Painter) -> None:
    """Narrow road, ploughed fields with furrows, wooden fences, trees far away."""
    g, hm = p.geom, p.geom.half_width_m
    _skyline(p, VEG, 0.05, 25)
    _road(p, hm)
    fields = [p.jitter(c, 0.06) for c in [(150, 140, 80), (120, 95, 60), (110, 140, 65), (170, 160, 95)]]
    for s in (-1, 1):
        x = hm + 1.0
        for _ in range(4):
            wid = p.rng.uniform(15, 60)
            col = fields[p.rng.integers(len(fields))]
            p.decal(TERRAIN, g.strip(s * x, s * (x + wid), 0.003, 1.5), col)
            for k in np.arange(1.0, wid, p.rng.uniform(1.0, 2.0)):
                p.decal_line(
                    TERRAIN,
                    [g.ground_point(0.01, s * (x + k)), g.ground_point(1.5, s * (x + k))],
                    props.shade(col, 0.82),
                    max(1.0, 0.003 * p.width),
                )
            x += wid
        if p.rng.random() < 0.75:
            fx = s * (hm + p.rng.uniform(1.0, 2.5))
            for base, top in ((0.55, 0.65), (1.0, 1.1)):
                p.region(g.wall(fx, 0.01, 1.5, top, base_m=base), FENCE)
            for t in _along(p, 0.8, 3.0, 0.05, 80):
                _place(p, t, fx, _post, 1.25, (110, 85, 60))
    p.colors[FENCE] = (130, 100, 70)
    _scatter(p, (2, 7), (0.02, 0.12), (hm + 5, hm + 40), props.broadleaf, (8, 14), p.colors[VEG])
    if p.rng.random() < 0.5:
        _dashes(p, 0.0, (215, 215, 200), dash=2.0, gap=10.0)
    _cars(p, [hm * 0.5, -hm * 0.5], int(p.rng.integers(0, 2)))
    p.near_m = hm + 1.5
    _billboard(p, 0.25)


def forest(p: Painter) -> None:
    """Road through dense woods: a dark forest wall with trunks, and big trees close to both edges."""
    g, hm = p.geom, p.geom.half_width_m
    _road(p, hm)
    dark = props.shade(p.colors[VEG], 0.55)
    for s in (-1, 1):
        p.region(g.strip(s * hm, s * (hm + 1.6), 0.0, 1.5), TERRAIN)
        wall_x = s * (hm + p.rng.uniform(4, 6))
        p.region(g.wall(wall_x, 0.004, 1.6, p.rng.uniform(12, 17), steps=10), VEG)
        p.decal(VEG, g.wall(wall_x, 0.004, 1.6, 6, steps=6), dark)
        for t in _along(p, 0.8, 1.2, 0.6, 120):  # trunks in the shade of the wall
            x = float(g.x(t, wall_x))
            ppm = float(g.ppm(t))
            p.decal_line(VEG, [(x, float(g.row(t))), (x, float(g.row(t)) - 5 * ppm)], (45, 35, 28), 0.25 * ppm)
    kinds = [props.conifer, props.broadleaf] if p.rng.random() < 0.5 else [props.conifer]
    for s in (-1, 1):
        for t in _along(p, 1.6, 6.0, 0.5, 150):
            fn = kinds[p.rng.integers(len(kinds))]
            _place(
                p, t, s * (hm + p.rng.uniform(2.0, 4.0)), fn, p.rng.uniform(9, 16), p.jitter(p.colors[VEG], 0.15), p.rng
            )
    for _ in range(int(p.rng.integers(3, 8))):  # dappled shade on the road
        z = p.rng.uniform(8, 60)
        ta, tb = g.t_at_distance(z), g.t_at_distance(z + p.rng.uniform(2, 6))
        x0 = p.rng.uniform(-hm, hm * 0.5)
        p.decal(ROAD, g.strip(x0, x0 + p.rng.uniform(1, hm), tb, ta, steps=3), props.shade(p.colors[ROAD], 0.7))
    _line(p, 0.0, (200, 190, 120), 0.12)
    _cars(p, [hm * 0.5], int(p.rng.integers(0, 2)))
    p.cloud *= 0.5
    p.near_m = hm + 1.6


def polar(p: Painter) -> None:
    """Snowed-in road through white plains, pale mountains, orange-tipped snow poles."""
    g, hm = p.geom, p.geom.half_width_m
    _skyline(p, TERRAIN, 0.09, 12)
    p.decal(
        TERRAIN,
        [
            (0, g.horizon - 0.12 * p.height),
            (p.width, g.horizon - 0.12 * p.height),
            (p.width, g.horizon + 1),
            (0, g.horizon + 1),
        ],
        (200, 212, 228),
    )
    _road(p, hm)
    for k in (-0.45, 0.45):  # packed-snow tyre tracks
        for d in (-0.6, 0.6):
            x = k * 2 * hm / 2 + d
            p.decal(ROAD, g.strip(x - 0.25, x + 0.25, 0.004, 1.5), props.shade(p.colors[ROAD], 0.78))
    for s in (-1, 1):
        p.decal(ROAD, g.strip(s * (hm - 0.8), s * (hm + 0.1), 0.004, 1.5), (215, 222, 232))
        for t in _along(p, 0.9, 30.0, 0.1):
            _place(p, t, s * (hm + 1.2), _snow_pole)
    p.amp[TERRAIN] = 0.06
    p.cloud *= 0.5
    _cars(p, [hm * 0.5], int(p.rng.integers(0, 2)))
    p.near_m = hm + 1.5


def _snow_pole(rgb, lab, x: float, y: float, ppm: float) -> None:  # type: ignore[no-untyped-def]
    w = max(1.0, 0.08 * ppm)
    props.both(rgb, lab, props.box(x - w / 2, y - 1.8 * ppm, x + w / 2, y), (30, 30, 30), POLE)
    props.both(rgb, lab, props.box(x - w / 2, y - 1.8 * ppm, x + w / 2, y - 1.4 * ppm), (240, 110, 20), POLE)


def grassland(p: Painter) -> None:
    """Open green plains to the horizon, gentle hills, bushes, a big sky."""
    g, hm = p.geom, p.geom.half_width_m
    _skyline(p, TERRAIN, 0.04, 8, props.shade(p.colors[TERRAIN], 0.8))
    _road(p, hm)
    _dashes(p, 0.0, (230, 230, 225))
    for s in (-1, 1):
        _line(p, s * (hm - 0.2), (230, 230, 225))
    for _ in range(int(p.rng.integers(3, 7))):  # patches of drier grass
        z = p.rng.uniform(10, 120)
        x = p.rng.choice([-1, 1]) * p.rng.uniform(hm + 2, hm + 60)
        ta, tb = g.t_at_distance(z), g.t_at_distance(z + p.rng.uniform(10, 40))
        p.decal(TERRAIN, g.strip(x, x + p.rng.uniform(10, 40), tb, ta, steps=4), p.jitter((150, 160, 80), 0.1))
    _scatter(p, (2, 8), (0.03, 0.3), (hm + 4, hm + 30), props.bush, (1.0, 2.5), p.colors[VEG])
    p.cloud = min(1.0, p.cloud * 1.3)
    _cars(p, [hm * 0.5, -hm * 0.5], int(p.rng.integers(0, 2)))
    p.near_m = hm + 1.5
    _billboard(p, 0.3)


def desert(p: Painter) -> None:
    """Sand plains and dunes with shaded lee sides, a dusty road with sand drifts, sparse shrubs."""
    g, hm = p.geom, p.geom.half_width_m
    _skyline(p, TERRAIN, 0.08, 10, props.shade(p.colors[TERRAIN], 1.05))
    for _ in range(int(p.rng.integers(3, 6))):  # dune ridges on the ground plane
        z = p.rng.uniform(15, 150)
        x = p.rng.choice([-1, 1]) * p.rng.uniform(hm + 3, hm + 40)
        ta, tb = g.t_at_distance(z), g.t_at_distance(z + p.rng.uniform(8, 30))
        p.decal(
            TERRAIN,
            g.strip(x, x + p.rng.choice([-1, 1]) * p.rng.uniform(8, 40), tb, ta, steps=4),
            props.shade(p.colors[TERRAIN], 0.8),
        )
    _road(p, hm)
    for s in (-1, 1):
        _line(p, s * (hm - 0.25), (235, 225, 200))
        p.decal(
            ROAD,
            g.strip(s * (hm - 0.2), s * (hm - p.rng.uniform(0.6, 1.5)), 0.004, 1.5),
            _mix(p.colors[ROAD], p.colors[TERRAIN], 0.6),
        )
    _scatter(p, (2, 8), (0.03, 0.3), (hm + 3, hm + 25), props.bush, (0.5, 1.2), (110, 110, 60))
    p.amp[TERRAIN] = 0.12
    p.cloud *= 0.3
    _cars(p, [hm * 0.5], int(p.rng.integers(0, 2)))
    p.near_m = hm + 1.5
    _billboard(p, 0.3)


BUILDERS: dict[str, Callable[[Painter], None]] = {
    "highway": highway,
    "urban_road": urban_road,
    "country_road": country_road,
    "forest": forest,
    "polar": polar,
    "grassland": grassland,
    "desert": desert,
}
