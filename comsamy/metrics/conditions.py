"""Conditions of an image from its metadata: ``all``, split, weather, landform, anomaly types, other columns.

One image belongs to several conditions at once (``all``, its split, its weather, its landform and every anomaly
type in its list), so one pass over the images fills every breakdown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from comsamy.constants import LANDFORMS, SPLITS, WEATHERS, split_of
from comsamy.errors import MetricInputError

ALL = "all"
"""The overall condition (every image)."""
GROUP_ORDER = ("split", "weather", "landform", "anomaly_type")
"""Standard condition groups, in report order; other metadata columns follow, sorted."""
WEATHER_SEVERITY = "weather_severity"
"""The joint group of a weather × severity dataset (``comsamy-data corrupt``): values ``weather@severity``."""
_SKIPPED_COLUMNS = frozenset({"id", "image_id", "image", "label", "labels", "scores", "split"})
_ANOMALY_COLUMNS = ("anomaly_types", "anomaly_type")

Condition = tuple[str, str]
"""``(group, value)``, e.g. ``("weather", "fog")``."""


def _name(value: Any, vocabulary: tuple[str, ...], column: str, image_id: str) -> str:
    """A ClassLabel index or a name, as a name."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, int):
        if not 0 <= value < len(vocabulary):
            raise MetricInputError(
                f"image {image_id!r}: expected {column} index in [0, {len(vocabulary) - 1}], got {value}"
            )
        return vocabulary[value]
    return value


def conditions_of(image_id: str, metadata: Mapping[str, Any] | None) -> list[Condition]:
    """Every ``(group, value)`` an image belongs to (``all`` excluded).

    Args:
        image_id: the image, for error messages.
        metadata: columns such as ``weather``, ``landform``, ``anomaly_types`` (list of strings) and any others;
            weather / landform may be names or ClassLabel indices. ``None`` values are skipped.

    >>> conditions_of("fog_0", {"weather": "fog", "landform": "forest", "anomaly_types": ["animal", "debris"]})
    [('split', 'adverse'), ('weather', 'fog'), ('landform', 'forest'), ('anomaly_type', 'animal'), ('anomaly_type', 'debris')]
    """
    if not metadata:
        return []
    out: list[Condition] = []
    weather = metadata.get("weather")
    if weather is not None:
        name = _name(weather, WEATHERS, "weather", image_id)
        if name not in WEATHERS:
            raise MetricInputError(f"image {image_id!r}: expected weather in {', '.join(WEATHERS)}, got {name!r}")
        out += [("split", split_of(name)), ("weather", name)]
    landform = metadata.get("landform")
    if landform is not None:
        out.append(("landform", _name(landform, LANDFORMS, "landform", image_id)))
    for column in _ANOMALY_COLUMNS:
        types = metadata.get(column)
        if types is None:
            continue
        if isinstance(types, str):
            types = [types]
        out += [("anomaly_type", str(t)) for t in dict.fromkeys(types)]
    for column in sorted(metadata):
        if column in _SKIPPED_COLUMNS or column in _ANOMALY_COLUMNS or column in ("weather", "landform"):
            continue
        value = metadata[column]
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        out += [(column, str(v)) for v in dict.fromkeys(values)]
    severity = metadata.get("severity")
    if weather is not None and severity is not None and not isinstance(severity, (list, tuple)):
        out.append((WEATHER_SEVERITY, f"{_name(weather, WEATHERS, 'weather', image_id)}@{severity}"))
    return out


def group_images(conditions: Mapping[str, Iterable[Condition]]) -> dict[str, dict[str, list[str]]]:
    """Image ids per condition, in one pass: ``{group: {value: [ids]}}``, groups and values in report order.

    Args:
        conditions: each image's conditions, as returned by :func:`conditions_of`.
    """
    groups: dict[str, dict[str, list[str]]] = {}
    for image_id, conds in conditions.items():
        for group, value in conds:
            groups.setdefault(group, {}).setdefault(value, []).append(image_id)
    return {g: {v: groups[g][v] for v in sort_values(g, groups[g])} for g in sort_groups(groups)}


def sort_groups(groups: Iterable[str]) -> list[str]:
    """Standard groups first (split, weather, landform, anomaly_type), then other columns alphabetically."""
    present = set(groups)
    return [g for g in GROUP_ORDER if g in present] + sorted(present - set(GROUP_ORDER))


def sort_values(group: str, values: Iterable[str]) -> list[str]:
    """Values in vocabulary order (clear before adverse, WEATHERS, LANDFORMS order), others alphabetically."""
    vocab = {"split": SPLITS, "weather": WEATHERS, "landform": LANDFORMS}.get(group, ())
    rank = {v: i for i, v in enumerate(vocab)}
    if group == WEATHER_SEVERITY:

        def joint(v: str) -> tuple[int, str, tuple[int, float | str]]:
            weather, _, severity = v.partition("@")
            return rank_w.get(weather, len(rank_w)), weather, _number_first(severity)

        rank_w = {w: i for i, w in enumerate(WEATHERS)}
        return sorted(values, key=joint)
    if group == "severity":
        return sorted(values, key=_number_first)
    return sorted(values, key=lambda v: (rank.get(v, len(rank)), v))


def _number_first(value: str) -> tuple[int, float | str]:
    """Sort key: numbers in numeric order, before other strings."""
    try:
        return 0, float(value)
    except ValueError:
        return 1, value
