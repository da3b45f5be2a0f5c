"""Named constants of the benchmark: label values, vocabularies, Cityscapes train ids.

Every module that needs a label value or a weather/landform name imports it from here
(conventions: one module holds them all).
"""

from __future__ import annotations

import sys
from enum import Enum
from typing import Final

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - Python 3.10

    class StrEnum(str, Enum):
        """``enum.StrEnum`` of Python 3.11: members are their string values."""

        def __str__(self) -> str:
            return str(self.value)


# --- Benchmark label map (spec/data.md, spec/metrics.md) -------------------------------
LABEL_INLIER: Final = 0
"""Non-anomaly pixel in a benchmark label map."""
LABEL_ANOMALY: Final = 1
"""Anomaly pixel in a benchmark label map."""
LABEL_VOID: Final = 255
"""Void pixel: removed before any metric; also the ignore index of every training loss."""
VALID_LABEL_VALUES: Final = frozenset({LABEL_INLIER, LABEL_ANOMALY, LABEL_VOID})

# --- Training labels (spec/baselines.md) -------------------------------------------------
ANOMALY_TRAIN_ID: Final = 254
"""Anomaly id pasted into inlier training labels (RPL / PEBAL convention; the default)."""
ANOMALY_TRAIN_ID_PAPER: Final = 20
"""Anomaly id as the paper writes it (Eq. 1); selectable instead of 254."""
IGNORE_INDEX: Final = 255

# --- Vocabularies (order is part of the contract: ClassLabel indices) ------------------------
WEATHERS: Final = ("clear", "rain", "night", "frost", "fog", "blizzard", "sandstorm")
ADVERSE_WEATHERS: Final = WEATHERS[1:]
LANDFORMS: Final = ("highway", "urban_road", "country_road", "forest", "polar", "grassland", "desert")


class Split(StrEnum):
    """Splits of the `default` config: clear weather vs every other weather (members compare equal to their names)."""

    CLEAR = "clear"
    ADVERSE = "adverse"


SPLITS: Final = tuple(s.value for s in Split)
"""The split names in order, derived from :class:`Split`."""

NUM_IMAGES_PAPER: Final = 468
NUM_CLEAR_PAPER: Final = 250
NUM_ADVERSE_PAPER: Final = 218


def split_of(weather: str) -> str:
    """Return ``"clear"`` or ``"adverse"`` for a weather name.

    >>> split_of("fog")
    'adverse'
    """
    if weather not in WEATHERS:
        raise ValueError(f"expected a weather in {WEATHERS}, got {weather!r}")
    return "clear" if weather == "clear" else "adverse"


# --- Cityscapes train ids (19 inlier classes) ------------------------------------------------
CITYSCAPES_CLASSES: Final = (
    "road",
    "sidewalk",
    "building",
    "wall",
    "fence",
    "pole",
    "traffic light",
    "traffic sign",
    "vegetation",
    "terrain",
    "sky",
    "person",
    "rider",
    "car",
    "truck",
    "bus",
    "train",
    "motorcycle",
    "bicycle",
)
NUM_INLIER_CLASSES: Final = len(CITYSCAPES_CLASSES)
TRAIN_ID: Final = {name: i for i, name in enumerate(CITYSCAPES_CLASSES)}
DRIVABLE_TRAIN_IDS: Final = frozenset({TRAIN_ID["road"], TRAIN_ID["sidewalk"], TRAIN_ID["terrain"]})
"""Where the synthesizer may stand a pasted object (road, sidewalk, terrain)."""

# --- Prediction archives ---------------------------------------------------------------------
DEFAULT_HUB_REPO: Final = "comsamy/comsamy"
"""Hub repository id that ``load_dataset("comsamy")`` resolves to (override with COMSAMY_HUB_REPO)."""
ENV_DATA: Final = "COMSAMY_DATA"
ENV_HUB_REPO: Final = "COMSAMY_HUB_REPO"
