"""The study protocol as one frozen config, its three presets and a stable hash of any part of it.

>>> PRESETS["quick"].seeds
(0, 1, 2)
>>> len(stable_hash({"a": 1, "b": [1, 2]}))
16
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from comsamy.errors import ConfigError

__all__ = ["LOSSES", "PRESETS", "SCORES", "StudyConfig", "stable_hash"]

LOSSES = ("energy", "eel")
"""The two RPL anomaly losses compared: RPL's energy loss (``rpl_energy``) and the EEL loss (``rpl_eel``)."""
SCORES = ("energy", "eel")
"""Scores a trained RPL model may be read with (chosen on the validation split)."""
INLIER_SCORES = ("msp", "energy", "eel")
"""Scores of the inlier segmenter (no outlier exposure): fixed by the method, nothing to choose."""


def stable_hash(obj: Any) -> str:
    """First 16 hex digits of the SHA-256 of ``obj`` as canonical JSON (sorted keys, tuples as lists)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class StudyConfig:
    """Everything that changes a number of the synthetic study (see ``docs/baselines.md``, "Synthetic study").

    Data (one fixed draw, ``data_seed``): ``train_inliers`` anomaly-free scenes; a training object bank of
    ``bank_objects`` sprites from the ``train`` object split; ``compose_count`` composed training images per
    composition (harmonised / copy-paste: same inliers, objects and placements); ``val_images`` benchmark images
    with ``val``-split anomalies and ``test_images`` with ``test``-split anomalies (disjoint kinds, hues,
    textures), clear and adverse weather in the paper's proportion. Models: the inlier segmenter per seed, then
    RPL's residual block per seed, loss, composition and ``lam`` of ``lam_grid[loss]``; every run has the same
    steps, data and seeds.
    """

    name: str = "full"
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    data_seed: int = 0
    image_size: tuple[int, int] = (192, 108)
    train_inliers: int = 96
    bank_objects: int = 96
    bank_size: int = 64
    compose_count: int = 192
    objects_per_image: tuple[int, int] = (1, 2)
    val_images: int = 48
    test_images: int = 96
    width: float = 0.0625
    crop_size: int = 96
    batch_size: int = 8
    inlier_steps: int = 400
    inlier_lr: float = 2e-3
    rpl_steps: int = 200
    rpl_lr: float = 1e-3
    lam_grid: Mapping[str, tuple[float, ...]] = field(
        default_factory=lambda: {"energy": (0.1, 0.5, 2.0), "eel": (0.1, 0.5, 2.0)}
    )
    threads: int = 1
    bootstrap: int = 1000
    ci_level: float = 0.95
    diffusion_row: bool = True
    diffusion_objects: int = 24

    def __post_init__(self) -> None:
        object.__setattr__(self, "seeds", tuple(int(s) for s in self.seeds))
        object.__setattr__(self, "image_size", (int(self.image_size[0]), int(self.image_size[1])))
        object.__setattr__(self, "objects_per_image", tuple(int(n) for n in self.objects_per_image))
        object.__setattr__(self, "lam_grid", {k: tuple(float(v) for v in vs) for k, vs in dict(self.lam_grid).items()})
        if not self.seeds or len(set(self.seeds)) != len(self.seeds) or min(self.seeds) < 0:
            raise ConfigError(f"seeds: expected distinct non-negative integers, got {self.seeds}")
        if sorted(self.lam_grid) != sorted(LOSSES):
            raise ConfigError(f"lam_grid: expected one grid per loss {LOSSES}, got keys {sorted(self.lam_grid)}")
        sizes = {len(v) for v in self.lam_grid.values()}
        if len(sizes) != 1 or 0 in sizes or any(x <= 0 for v in self.lam_grid.values() for x in v):
            raise ConfigError(
                f"lam_grid: expected grids of one positive length with lam > 0 (the same tuning budget "
                f"for every loss), got {dict(self.lam_grid)}"
            )
        for name in (
            "train_inliers",
            "bank_objects",
            "compose_count",
            "val_images",
            "test_images",
            "inlier_steps",
            "rpl_steps",
            "batch_size",
            "threads",
            "bootstrap",
            "bank_size",
            "crop_size",
        ):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name}: expected a positive integer, got {getattr(self, name)!r}")
        if self.val_images < 7 or self.test_images < 7:
            raise ConfigError(
                f"val_images / test_images: expected >= 7 (clear and adverse images), got "
                f"{self.val_images} / {self.test_images}"
            )
        if not 0.5 < self.ci_level < 1:
            raise ConfigError(f"ci_level: expected a level in (0.5, 1), got {self.ci_level}")

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["lam_grid"] = {k: list(v) for k, v in self.lam_grid.items()}
        for key in ("seeds", "image_size", "objects_per_image"):
            d[key] = list(d[key])
        return d

    def data_dict(self) -> dict[str, Any]:
        """The part of the config that defines the data (its hash names the data folder)."""
        keys = (
            "data_seed",
            "image_size",
            "train_inliers",
            "bank_objects",
            "bank_size",
            "compose_count",
            "objects_per_image",
            "val_images",
            "test_images",
            "diffusion_objects",
        )
        d = self.to_dict()
        return {k: d[k] for k in keys}

    def replace(self, **changes: Any) -> StudyConfig:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)


PRESETS: dict[str, StudyConfig] = {
    "full": StudyConfig(),
    "quick": StudyConfig(
        name="quick",
        seeds=(0, 1, 2),
        image_size=(160, 90),
        train_inliers=64,
        bank_objects=48,
        bank_size=48,
        compose_count=96,
        val_images=28,
        test_images=56,
        crop_size=64,
        inlier_steps=250,
        rpl_steps=120,
        lam_grid={"energy": (0.1, 1.0), "eel": (0.1, 1.0)},
        bootstrap=300,
        diffusion_objects=12,
    ),
    "smoke": StudyConfig(
        name="smoke",
        seeds=(0,),
        image_size=(96, 54),
        train_inliers=8,
        bank_objects=8,
        bank_size=32,
        compose_count=8,
        val_images=7,
        test_images=8,
        crop_size=48,
        batch_size=4,
        inlier_steps=3,
        rpl_steps=2,
        lam_grid={"energy": (0.5,), "eel": (0.5,)},
        bootstrap=20,
        diffusion_objects=3,
    ),
}
"""``full`` (5 seeds, the documented protocol), ``quick`` (3 seeds, smaller images; CI-sized runs, under 15 minutes
on 2 busy cores) and ``smoke`` (1 seed, a handful of steps: the pipeline's structure and determinism only)."""
