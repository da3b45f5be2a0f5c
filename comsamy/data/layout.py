"""The published folder layout: shard file names and which shards make which config and split.

The same folder is a Hugging Face Hub dataset repo and a local dataset (spec/data.md)::

    README.md                                  dataset card (YAML: configs, dataset_info)
    data/<weather>-00000-of-00001.parquet      one shard per weather, image bytes embedded
    data/inliers-train-00000-of-00001.parquet  the inlier training set (when the release has one)
"""

from __future__ import annotations

from collections.abc import Collection

from comsamy.constants import ADVERSE_WEATHERS, WEATHERS

INLIER_CONFIG = "inliers"
INLIER_SPLIT = "train"
INLIER_SHARD = "data/inliers-train-00000-of-00001.parquet"
BENCHMARK_CONFIGS: tuple[str, ...] = ("default", "all", *WEATHERS)
"""Benchmark configs: ``default`` (splits clear, adverse), ``all`` (split test), one per weather (split test).
A weather without images has no shard and no config (``datasets`` cannot load an empty split)."""


def weather_shard(weather: str) -> str:
    """Path, relative to the folder root, of the parquet shard holding one weather.

    >>> weather_shard("fog")
    'data/fog-00000-of-00001.parquet'
    """
    if weather not in WEATHERS:
        raise ValueError(f"expected a weather in {WEATHERS}, got {weather!r}")
    return f"data/{weather}-00000-of-00001.parquet"


def config_data_files(weathers: Collection[str] = WEATHERS, *, with_inliers: bool) -> dict[str, dict[str, list[str]]]:
    """``{config: {split: [shard, ...]}}`` for every config of a folder holding the given weathers.

    Args:
        weathers: the weathers that have at least one image (others get no shard, config or split).
        with_inliers: add the ``inliers`` config.

    >>> config_data_files(with_inliers=False)["default"]["clear"]
    ['data/clear-00000-of-00001.parquet']
    >>> list(config_data_files(["fog"], with_inliers=False))
    ['default', 'all', 'fog']
    """
    present = [w for w in WEATHERS if w in weathers]
    default: dict[str, list[str]] = {}
    if "clear" in present:
        default["clear"] = [weather_shard("clear")]
    if any(w in present for w in ADVERSE_WEATHERS):
        default["adverse"] = [weather_shard(w) for w in ADVERSE_WEATHERS if w in present]
    configs: dict[str, dict[str, list[str]]] = {
        "default": default,
        "all": {"test": [weather_shard(w) for w in present]},
    }
    for weather in present:
        configs[weather] = {"test": [weather_shard(weather)]}
    if with_inliers:
        configs[INLIER_CONFIG] = {INLIER_SPLIT: [INLIER_SHARD]}
    return configs


__all__ = [
    "BENCHMARK_CONFIGS",
    "INLIER_CONFIG",
    "INLIER_SHARD",
    "INLIER_SPLIT",
    "config_data_files",
    "weather_shard",
]
