"""Procedural anomaly objects: a vocabulary of kinds, sprites with masks, and an object bank on disk.

>>> import numpy as np
>>> rgb, mask = render_object("barrel", np.random.default_rng(0), 40)
>>> rgb.dtype.name, mask.dtype.name, rgb.shape[:2] == mask.shape, mask.shape[0] <= 40
('uint8', 'bool', True, True)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from comsamy.errors import UsageError
from comsamy.synthetic import _animals, _things
from comsamy.synthetic._sprite import Color, Sprite
from comsamy.synthetic.splits import ObjectSplit, get_split

CATEGORIES = ("animal", "static_obstacle", "debris", "unusual_vehicle")
"""Anomaly categories of the paper: animals, static obstacles, debris (fallen loads) and unusual vehicles."""


@dataclass(frozen=True)
class ObjectKind:
    """One anomaly type.

    Attributes:
        name: Type name written to ``anomaly_types``.
        category: One of :data:`CATEGORIES`.
        height_m: Typical real height in metres (sets the size on the road).
        aspect: Canvas width / height.
        colors: Colours picked from at random.
    """

    name: str
    category: str
    height_m: float
    aspect: float
    colors: tuple[Color, ...]

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "category": self.category, "height_m": self.height_m, "aspect": self.aspect}


def _animal(name: str, height: float) -> ObjectKind:
    q = _animals.SPECIES[name]
    return ObjectKind(name, "animal", height, q.aspect, (q.color,))


OBJECT_KINDS: dict[str, ObjectKind] = {
    k.name: k
    for k in (
        _animal("elk", 2.0),
        _animal("deer", 1.4),
        _animal("cow", 1.5),
        _animal("dog", 0.7),
        _animal("bear", 1.3),
        _animal("horse", 1.7),
        _animal("sheep", 0.9),
        _animal("wild_boar", 0.9),
        _animal("camel", 2.1),
        ObjectKind("rock", "static_obstacle", 0.7, 1.5, ((120, 115, 110), (140, 130, 115), (95, 95, 100))),
        ObjectKind("tree_stump", "static_obstacle", 0.6, 1.1, ((105, 75, 50), (90, 70, 55))),
        ObjectKind("barrel", "static_obstacle", 0.9, 0.65, ((230, 100, 20), (30, 70, 160), (60, 120, 60))),
        ObjectKind("tire", "static_obstacle", 0.75, 0.9, ((30, 30, 32),)),
        ObjectKind("cardboard_box", "static_obstacle", 0.6, 1.3, ((185, 145, 95), (170, 130, 85))),
        ObjectKind("crate", "static_obstacle", 0.8, 1.3, ((160, 120, 75), (130, 100, 70))),
        ObjectKind("traffic_cone_pile", "static_obstacle", 0.75, 1.7, ((235, 90, 20),)),
        ObjectKind("fallen_load", "debris", 0.9, 2.2, ((180, 165, 130), (140, 150, 120), (200, 200, 195))),
        ObjectKind("planks", "debris", 0.45, 3.0, ((190, 150, 100), (160, 125, 85))),
        ObjectKind("fallen_tree", "debris", 1.3, 3.2, ((95, 70, 50), (110, 85, 60))),
        ObjectKind("mattress", "debris", 0.6, 2.4, ((225, 225, 215), (200, 210, 225), (230, 215, 190))),
        ObjectKind("suitcase", "static_obstacle", 0.7, 0.75, ((40, 60, 110), (120, 30, 35), (50, 50, 55))),
        ObjectKind("wheelbarrow", "unusual_vehicle", 0.8, 1.9, ((40, 110, 60), (190, 60, 30), (120, 120, 125))),
        ObjectKind("tractor", "unusual_vehicle", 2.6, 1.5, ((40, 130, 50), (200, 40, 30), (40, 90, 170))),
        ObjectKind("horse_cart", "unusual_vehicle", 1.6, 1.9, ((120, 85, 55), (100, 75, 50))),
        ObjectKind("excavator", "unusual_vehicle", 3.2, 1.6, ((235, 180, 30), (230, 120, 20))),
        ObjectKind("shopping_cart", "unusual_vehicle", 1.0, 1.1, ((200, 30, 30), (30, 80, 180))),
    )
}
"""The anomaly vocabulary: kind name -> :class:`ObjectKind`."""

_THINGS: dict[str, Callable[[Sprite, np.random.Generator, Color], None]] = {
    "rock": _things.rock,
    "tree_stump": _things.tree_stump,
    "barrel": _things.barrel,
    "tire": _things.tire,
    "cardboard_box": _things.cardboard_box,
    "crate": _things.crate,
    "traffic_cone_pile": _things.traffic_cone_pile,
    "fallen_load": _things.fallen_load,
    "planks": _things.planks,
    "tractor": _things.tractor,
    "horse_cart": _things.horse_cart,
    "excavator": _things.excavator,
    "shopping_cart": _things.shopping_cart,
    "fallen_tree": _things.fallen_tree,
    "mattress": _things.mattress,
    "suitcase": _things.suitcase,
    "wheelbarrow": _things.wheelbarrow,
}


def render_object(
    kind: str, rng: np.random.Generator, height_px: int, *, split: str | ObjectSplit | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one anomaly object as a sprite.

    Args:
        kind: A key of :data:`OBJECT_KINDS`.
        rng: Source of randomness (colour, pose details, mirroring, texture).
        height_px: Height of the drawing canvas in pixels (the object fills it, give or take a few pixels).
        split: An object split (:data:`comsamy.synthetic.splits.OBJECT_SPLITS`): ``kind`` must be one of its
            kinds, and the base colour and texture amplitude are drawn from the split's hue sectors and texture
            range. ``None`` keeps the kind's own colours (the benchmark's appearance, unchanged).

    Returns:
        ``(rgb, mask)``: uint8 (h, w, 3) colours (0 outside the mask) and the bool (h, w) silhouette,
        cropped to the silhouette.

    Raises:
        UsageError: Unknown kind, a kind outside ``split`` or a height below 4 pixels.
    """
    if kind not in OBJECT_KINDS:
        raise UsageError(f"kind: expected one of {sorted(OBJECT_KINDS)}, got {kind!r}")
    part = get_split(split) if split is not None else None
    if part is not None and kind not in part.kinds:
        raise UsageError(f"kind: expected one of split {part.name!r}'s kinds {list(part.kinds)}, got {kind!r}")
    if not isinstance(height_px, int | np.integer) or height_px < 4:
        raise UsageError(f"height_px: expected an integer >= 4, got {height_px!r}")
    spec = OBJECT_KINDS[kind]
    aspect = spec.aspect * rng.uniform(0.9, 1.1)
    sp = Sprite(int(height_px), aspect)
    base = spec.colors[int(rng.integers(len(spec.colors)))]
    k = rng.uniform(0.85, 1.12) * (1 + rng.uniform(-0.04, 0.04, 3))  # brightness, and a little hue
    color: Color = tuple(int(np.clip(c * f, 0, 255)) for c, f in zip(base, k, strict=True))  # type: ignore[assignment]
    texture = 0.12
    if part is not None:
        color, texture = part.recolor(color, rng), part.draw_texture(rng)
    if spec.category == "animal":
        q = _animals.SPECIES[kind]
        _animals.draw_quadruped(sp, q if abs(aspect - q.aspect) < 1e-9 else _with_aspect(q, aspect), rng, color)
    else:
        _THINGS[kind](sp, rng, color)
    return sp.finish(rng, texture=texture, mirror=bool(rng.random() < 0.5))


def _with_aspect(q: _animals.Quadruped, aspect: float) -> _animals.Quadruped:
    from dataclasses import replace

    return replace(q, aspect=aspect)


def write_object_bank(
    out_dir: str | Path, *, count: int = 64, seed: int = 0, size: int = 128, split: str | ObjectSplit | None = None
) -> Path:
    """Write an object bank: ``images/<id>.png`` (RGB), ``masks/<id>.png`` (L, 0/255), ``provenance.jsonl``.

    Kinds cycle through :data:`OBJECT_KINDS` (or the kinds of ``split``) so every kind appears when ``count``
    allows.

    Args:
        out_dir: Folder to create (may exist; files with the same ids are overwritten).
        count: Number of objects.
        seed: Seed; the bank is byte-identical for a seed.
        size: Canvas height of each sprite in pixels.
        split: Draw only this object split's kinds, hues and textures (see :func:`render_object`); the
            provenance of every object then names the split.

    Returns:
        The bank folder.
    """
    if not isinstance(count, int) or count < 1:
        raise UsageError(f"count: expected a positive integer, got {count!r}")
    if not isinstance(size, int) or size < 8:
        raise UsageError(f"size: expected an integer >= 8, got {size!r}")
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    part = get_split(split) if split is not None else None
    kinds = sorted(part.kinds if part is not None else OBJECT_KINDS)
    lines = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        rng = np.random.default_rng([seed, i, 7])
        rgb, mask = render_object(kind, rng, size, split=part)
        oid = f"obj_{i:05d}"
        Image.fromarray(rgb, "RGB").save(out / "images" / f"{oid}.png", optimize=False)
        Image.fromarray(mask.astype(np.uint8) * 255, "L").save(out / "masks" / f"{oid}.png", optimize=False)
        record: dict[str, object] = {
            "id": oid,
            "kind": kind,
            "category": OBJECT_KINDS[kind].category,
            "seed": seed,
            "source": "procedural",
        }
        if part is not None:
            record["split"] = part.name
        lines.append(json.dumps(record, sort_keys=True))
    (out / "provenance.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
