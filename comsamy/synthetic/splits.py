"""Disjoint object splits for open-set studies: which kinds, colours and textures each split may draw.

A study that trains on pasted objects and tests on anomalies must not test on the objects it trained on. The three
splits of :data:`OBJECT_SPLITS` partition :data:`~comsamy.synthetic.objects.OBJECT_KINDS` (every category is in
every split) and give each split its own hue sectors and texture strengths, so an object of the ``test`` split
differs from every ``train`` object in kind, in hue and in texture amplitude.

>>> sorted(OBJECT_SPLITS)
['test', 'train', 'val']
>>> set(OBJECT_SPLITS["train"].kinds) & set(OBJECT_SPLITS["test"].kinds)
set()
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

from comsamy.errors import UsageError

__all__ = ["OBJECT_SPLITS", "ObjectSplit", "get_split"]

Color = tuple[int, int, int]


@dataclass(frozen=True)
class ObjectSplit:
    """The object kinds and appearance one split may draw.

    Attributes:
        name: Split name (``train``, ``val``, ``test``).
        kinds: Kinds of :data:`~comsamy.synthetic.objects.OBJECT_KINDS` in this split.
        hue_sectors: Half-open hue intervals in degrees ``[lo, hi)``; an object's base colour gets a hue drawn
            uniformly from their union (its saturation raised to at least ``min_saturation``, its value kept).
        texture: ``(lo, hi)`` range of the sprite's texture amplitude (the default renderer uses 0.12).
        min_saturation: Floor of the recoloured saturation, so that grey or black objects take the split's hue too.
    """

    name: str
    kinds: tuple[str, ...]
    hue_sectors: tuple[tuple[float, float], ...]
    texture: tuple[float, float]
    min_saturation: float = 0.35

    def __post_init__(self) -> None:
        for lo, hi in self.hue_sectors:
            if not 0.0 <= lo < hi <= 360.0:
                raise UsageError(f"hue_sectors of split {self.name!r}: expected 0 <= lo < hi <= 360, got {(lo, hi)}")
        if not 0.0 <= self.texture[0] <= self.texture[1]:
            raise UsageError(f"texture of split {self.name!r}: expected 0 <= lo <= hi, got {self.texture}")

    def recolor(self, color: Color, rng: np.random.Generator) -> Color:
        """``color`` with a hue from this split's sectors (value kept, saturation floored)."""
        widths = np.array([hi - lo for lo, hi in self.hue_sectors])
        k = int(rng.choice(len(widths), p=widths / widths.sum()))
        lo, hi = self.hue_sectors[k]
        hue = float(rng.uniform(lo, hi)) / 360.0
        _, s, v = colorsys.rgb_to_hsv(*(c / 255.0 for c in color))
        r, g, b = colorsys.hsv_to_rgb(hue, max(s, self.min_saturation), max(v, 0.15))
        return (round(r * 255), round(g * 255), round(b * 255))

    def draw_texture(self, rng: np.random.Generator) -> float:
        """A texture amplitude from this split's range."""
        return float(rng.uniform(*self.texture))

    def hue_of(self, color: Color) -> float:
        """Hue of ``color`` in degrees (helper for checks)."""
        return colorsys.rgb_to_hsv(*(c / 255.0 for c in color))[0] * 360.0

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kinds": list(self.kinds),
            "hue_sectors": [list(s) for s in self.hue_sectors],
            "texture": list(self.texture),
            "min_saturation": self.min_saturation,
        }


OBJECT_SPLITS: dict[str, ObjectSplit] = {
    s.name: s
    for s in (
        ObjectSplit(
            "train",
            (
                "cow",
                "dog",
                "horse",
                "sheep",
                "rock",
                "barrel",
                "cardboard_box",
                "crate",
                "planks",
                "mattress",
                "tractor",
                "shopping_cart",
            ),
            ((0.0, 60.0), (180.0, 240.0)),
            (0.04, 0.14),
        ),
        ObjectSplit(
            "val",
            ("deer", "camel", "tire", "traffic_cone_pile", "fallen_load", "wheelbarrow"),
            ((60.0, 120.0), (240.0, 300.0)),
            (0.16, 0.24),
        ),
        ObjectSplit(
            "test",
            ("elk", "bear", "wild_boar", "tree_stump", "suitcase", "fallen_tree", "horse_cart", "excavator"),
            ((120.0, 180.0), (300.0, 360.0)),
            (0.26, 0.36),
        ),
    )
}
"""``train`` / ``val`` / ``test``: a partition of the kinds (each with animals, static obstacles, debris and unusual
vehicles), disjoint hue sectors and disjoint texture ranges. Near-duplicates stay together (a crate is a
cardboard box with slats: both ``train``)."""


def get_split(split: str | ObjectSplit) -> ObjectSplit:
    """The :class:`ObjectSplit` called ``split`` (or ``split`` itself)."""
    if isinstance(split, ObjectSplit):
        return split
    if split not in OBJECT_SPLITS:
        raise UsageError(f"split: expected one of {sorted(OBJECT_SPLITS)}, got {split!r}")
    return OBJECT_SPLITS[split]
