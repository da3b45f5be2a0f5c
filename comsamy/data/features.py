"""The ``datasets.Features`` of the benchmark rows and of the inlier training set (spec/data.md).

The column order and the ClassLabel name order are part of the contract: ClassLabel indices are
stored in the published parquet files, so changing an order would silently relabel every row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comsamy.constants import LANDFORMS, WEATHERS

if TYPE_CHECKING:
    import datasets

BENCHMARK_COLUMNS: tuple[str, ...] = ("id", "image", "label", "weather", "landform", "anomaly_types")
"""Column order of a benchmark row (configs ``default``, ``all`` and one per weather)."""
INLIER_COLUMNS: tuple[str, ...] = ("id", "image", "label", "weather", "landform")
"""Column order of an inlier training row (config ``inliers``, split ``train``)."""


def benchmark_features() -> datasets.Features:
    """Features of one benchmark example.

    ``label`` is an 8-bit mode ``L`` PNG with values 0 (non-anomaly), 1 (anomaly), 255 (void).

    >>> list(benchmark_features())
    ['id', 'image', 'label', 'weather', 'landform', 'anomaly_types']
    """
    from datasets import ClassLabel, Features, Image, List, Value

    return Features(
        {
            "id": Value("string"),
            "image": Image(),
            "label": Image(),
            "weather": ClassLabel(names=list(WEATHERS)),
            "landform": ClassLabel(names=list(LANDFORMS)),
            "anomaly_types": List(Value("string")),
        }
    )


def inlier_features() -> datasets.Features:
    """Features of one inlier training example (``label`` holds Cityscapes train ids, 255 ignore).

    >>> list(inlier_features())
    ['id', 'image', 'label', 'weather', 'landform']
    """
    from datasets import Features

    bench = benchmark_features()
    return Features({name: bench[name] for name in INLIER_COLUMNS})


__all__ = ["BENCHMARK_COLUMNS", "INLIER_COLUMNS", "benchmark_features", "inlier_features"]
