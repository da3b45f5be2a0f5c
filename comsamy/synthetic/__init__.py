"""Procedural synthetic data: road scenes, weather effects (public API), anomaly objects, raw releases.

Public API:
    - :func:`apply_weather`: any RGB image under rain, night, frost, fog, blizzard or sandstorm.
    - :func:`write_raw_release`: the synthetic benchmark + inlier set as a raw release (spec/data.md).
    - :func:`render_scene`, :func:`render_benchmark_image`: one scene / one benchmark example in memory.
    - :func:`render_object`, :data:`OBJECT_KINDS`, :func:`write_object_bank`: anomaly sprites and an object bank.
    - :data:`OBJECT_SPLITS`: disjoint train / val / test object kinds, hues and textures (open-set studies).

Only numpy and Pillow are needed.
"""

from __future__ import annotations

from comsamy.synthetic.compose import BenchmarkImage, PlacedObject, render_benchmark_image
from comsamy.synthetic.objects import CATEGORIES, OBJECT_KINDS, ObjectKind, render_object, write_object_bank
from comsamy.synthetic.release import PlannedImage, plan_release, write_inliers, write_raw_release
from comsamy.synthetic.scenes import Scene, render_scene
from comsamy.synthetic.splits import OBJECT_SPLITS, ObjectSplit, get_split
from comsamy.synthetic.weather import apply_weather

__all__ = [
    "CATEGORIES",
    "OBJECT_KINDS",
    "OBJECT_SPLITS",
    "BenchmarkImage",
    "ObjectKind",
    "ObjectSplit",
    "PlacedObject",
    "PlannedImage",
    "Scene",
    "apply_weather",
    "get_split",
    "plan_release",
    "render_benchmark_image",
    "render_object",
    "render_scene",
    "write_inliers",
    "write_object_bank",
    "write_raw_release",
]
