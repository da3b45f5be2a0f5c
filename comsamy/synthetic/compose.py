"""Benchmark images: a scene, anomalies composited at perspective-correct sizes, void objects, weather.

Label policy (paper, spec/data.md): an object outside the 19 Cityscapes classes is an anomaly (1) when it
stands in or near the driving area and is big enough to matter; otherwise it is void (255). The
ego-vehicle bonnet is void too. Everything else is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comsamy.constants import IGNORE_INDEX, LABEL_ANOMALY, LABEL_INLIER, LABEL_VOID
from comsamy.synthetic.objects import OBJECT_KINDS, render_object
from comsamy.synthetic.scenes import Scene, render_scene
from comsamy.synthetic.splits import ObjectSplit, get_split
from comsamy.synthetic.weather import apply_weather

# kinds that suit each landform get a higher weight (animals in the countryside, debris on highways ...)
_AFFINITY: dict[str, tuple[str, ...]] = {
    "highway": ("tire", "fallen_load", "planks", "barrel", "cardboard_box", "traffic_cone_pile", "deer", "mattress"),
    "urban_road": (
        "shopping_cart",
        "cardboard_box",
        "barrel",
        "crate",
        "dog",
        "traffic_cone_pile",
        "excavator",
        "suitcase",
        "wheelbarrow",
        "mattress",
    ),
    "country_road": ("cow", "tractor", "horse_cart", "sheep", "horse", "dog", "tree_stump"),
    "forest": ("elk", "deer", "bear", "wild_boar", "tree_stump", "rock", "fallen_tree"),
    "polar": ("elk", "bear", "rock", "deer", "barrel"),
    "grassland": ("cow", "sheep", "horse", "tractor", "rock", "horse_cart"),
    "desert": ("rock", "tire", "barrel", "fallen_load", "planks", "excavator", "camel"),
}


SIZE_SCALE = (1.1, 1.6)
"""Objects are drawn at this multiple of their nominal height (a close-range camera, as in the paper's photos,
where anomalies cover 13 % of the pixels)."""
MAX_HEIGHT_FRAC = 0.55
"""No object is taller than this fraction of the frame."""


@dataclass(frozen=True)
class PlacedObject:
    """One composited object.

    Attributes:
        kind: Anomaly kind (a key of :data:`comsamy.synthetic.objects.OBJECT_KINDS`).
        void: True when the label policy makes it void rather than an anomaly.
        t: Inverse depth of its foot point (larger is nearer).
        box: ``(x0, y0, x1, y1)`` of its sprite in the frame (may extend past the edges).
        visible: Bool (H, W) mask of its pixels that remain visible in the final image.
    """

    kind: str
    void: bool
    t: float
    box: tuple[int, int, int, int]
    visible: np.ndarray


@dataclass(frozen=True)
class BenchmarkImage:
    """A rendered benchmark example (before or after weather)."""

    image: np.ndarray
    label: np.ndarray
    weather: str
    landform: str
    anomaly_types: tuple[str, ...]
    objects: tuple[PlacedObject, ...]
    scene: Scene


def _pick_kind(rng: np.random.Generator, landform: str, allowed: tuple[str, ...] | None = None) -> str:
    kinds = sorted(OBJECT_KINDS if allowed is None else allowed)
    fav = set(_AFFINITY[landform])
    w = np.array([4.0 if k in fav else 1.0 for k in kinds])
    return kinds[int(rng.choice(len(kinds), p=w / w.sum()))]


def _paste(
    image: np.ndarray,
    label: np.ndarray,
    frozen: np.ndarray,
    rgb: np.ndarray,
    mask: np.ndarray,
    x0: int,
    y0: int,
    value: int,
) -> np.ndarray:
    """Paste ``rgb`` where ``mask`` (clipped to the frame, never over ``frozen``); returns the full-frame mask."""
    h, w = label.shape
    sh, sw = mask.shape
    fx0, fy0, fx1, fy1 = max(0, x0), max(0, y0), min(w, x0 + sw), min(h, y0 + sh)
    full = np.zeros((h, w), bool)
    if fx0 >= fx1 or fy0 >= fy1:
        return full
    sub = mask[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0] & ~frozen[fy0:fy1, fx0:fx1]
    region = image[fy0:fy1, fx0:fx1]
    region[sub] = rgb[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0][sub]
    label[fy0:fy1, fx0:fx1][sub] = value
    full[fy0:fy1, fx0:fx1] = sub
    return full


def _shadow(image: np.ndarray, frozen: np.ndarray, cx: float, base: float, half_w: float, strength: float) -> None:
    """Darken an ellipse of ground under an object (its contact shadow; labels unchanged)."""
    h, w = frozen.shape
    ry = max(1.0, half_w * 0.18)
    y0, y1 = int(max(0, base - ry)), int(min(h, base + ry + 1))
    x0, x1 = int(max(0, cx - half_w * 1.1)), int(min(w, cx + half_w * 1.1 + 1))
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    d = ((xx - cx) / (half_w * 1.1)) ** 2 + ((yy - base) / ry) ** 2
    k = (1 - strength * np.clip(1 - d, 0, 1)) * ~frozen[y0:y1, x0:x1] + frozen[y0:y1, x0:x1]
    image[y0:y1, x0:x1] = (image[y0:y1, x0:x1] * k[..., None]).astype(np.uint8)


def _plan_objects(
    rng: np.random.Generator, scene: Scene, allowed: tuple[str, ...] | None = None
) -> list[tuple[str, bool, float, float]]:
    """(kind, void, t, x_m) for every object of one image: 2-4 anomalies (fewer if they would collide), void ones."""
    g = scene.geometry
    plan: list[tuple[str, bool, float, float]] = []
    for _ in range(int(rng.choice([2, 2, 3, 3, 4]))):
        kind = _pick_kind(rng, scene.landform, allowed)
        for _try in range(6):  # keep objects from standing inside one another
            t = float(0.4 + 0.6 * np.sqrt(rng.random()))  # biased toward the camera, as in the photos
            x_m = float(rng.uniform(-1, 1) * scene.near_m)
            if all(not _overlap(kind, t, x_m, k2, t2, x2) for k2, _v, t2, x2 in plan):
                plan.append((kind, False, t, x_m))
                break
    for _ in range(int(rng.choice([0, 1, 1, 2]))):  # policy-void: well off the driving area, inside the frame
        t = float(rng.uniform(0.12, 0.5))
        side = float(rng.choice([-1.0, 1.0]))
        edge = 0.97 * g.width if side > 0 else 0.03 * g.width
        lo, hi = scene.near_m + 4.0, side * (edge - float(g.center(t))) / float(g.ppm(t))
        if hi > lo:
            plan.append((_pick_kind(rng, scene.landform, allowed), True, t, side * float(rng.uniform(lo, hi))))
    return plan


def _overlap(k1: str, t1: float, x1: float, k2: str, t2: float, x2: float) -> bool:
    """Whether two objects would stand in each other's way (close in depth and overlapping sideways)."""
    half = sum(OBJECT_KINDS[k].height_m * OBJECT_KINDS[k].aspect * 0.6 for k in (k1, k2))
    return abs(x1 - x2) < half and abs(1 / t1 - 1 / t2) < 0.2


def render_benchmark_image(
    landform: str,
    weather: str,
    rng: np.random.Generator,
    size: tuple[int, int] = (480, 270),
    *,
    severity: float | None = None,
    split: str | ObjectSplit | None = None,
) -> BenchmarkImage:
    """Render one benchmark example: scene, anomalies (label 1), void objects and bonnet (255), weather.

    Args:
        landform: One of :data:`comsamy.constants.LANDFORMS`.
        weather: One of :data:`comsamy.constants.WEATHERS`.
        rng: Source of randomness; the example is a pure function of its state.
        size: ``(width, height)``.
        severity: Weather severity; ``None`` draws one in [0.5, 0.85].
        split: Draw every object (anomalies and void ones) from this object split's kinds, hues and textures
            (:data:`comsamy.synthetic.splits.OBJECT_SPLITS`); ``None``: every kind, in its own colours.

    Returns:
        The :class:`BenchmarkImage`; at least one anomaly is visible.
    """
    part = get_split(split) if split is not None else None
    allowed = part.kinds if part is not None else None
    scene = render_scene(landform, rng, size, weather=weather)
    g = scene.geometry
    h, _w = scene.labels.shape
    for _attempt in range(20):
        image = scene.image.copy()
        frozen = scene.labels == IGNORE_INDEX
        label = np.where(frozen, LABEL_VOID, LABEL_INLIER).astype(np.uint8)
        placed: list[tuple[str, bool, float, tuple[int, int, int, int], np.ndarray]] = []
        for kind, void, t, x_m in sorted(_plan_objects(rng, scene, allowed), key=lambda p: p[2]):
            spec = OBJECT_KINDS[kind]
            hpx = round(min(spec.height_m * rng.uniform(*SIZE_SCALE) * float(g.ppm(t)), MAX_HEIGHT_FRAC * h))
            sprite_rng = np.random.default_rng(rng.integers(2**63))  # drawn first: same layout at any size
            if hpx < 4:
                continue
            rgb, mask = render_object(kind, sprite_rng, hpx, split=part)
            cx, base = float(g.x(t, x_m)), float(g.row(t))
            x0, y0 = round(cx - mask.shape[1] / 2), round(base - mask.shape[0] + 0.03 * hpx)
            _shadow(image, frozen, cx, base, mask.shape[1] / 2, 0.45)
            full = _paste(image, label, frozen, rgb, mask, x0, y0, LABEL_VOID if void else LABEL_ANOMALY)
            for prev in placed:
                prev[4][full] = False
            placed.append((kind, void, t, (x0, y0, x0 + mask.shape[1], y0 + mask.shape[0]), full))
        objects = tuple(PlacedObject(k, v, t, b, m) for k, v, t, b, m in placed)
        types = tuple(sorted({o.kind for o in objects if not o.void and o.visible.any()}))
        if types:
            break
    else:  # pragma: no cover - 20 misses in a row would need a degenerate frame
        raise RuntimeError("could not place a visible anomaly")
    if weather != "clear":
        sev = float(rng.uniform(0.5, 0.85)) if severity is None else severity
        image = np.asarray(apply_weather(image, weather, severity=sev, seed=int(rng.integers(2**31))))
    return BenchmarkImage(
        image=image, label=label, weather=weather, landform=landform, anomaly_types=types, objects=objects, scene=scene
    )
