"""The ComsAmy dataset: loading (local folder, ``$COMSAMY_DATA``, Hub, bundled sample), features,
raw-release validation and export to the published layout (spec/data.md).

``import comsamy.data`` is cheap; ``datasets`` and ``pyarrow`` are imported on first use.
"""

from __future__ import annotations

from comsamy.data.check import FolderSummary, validate_dataset_folder
from comsamy.data.export import ExportSummary, export_release
from comsamy.data.features import benchmark_features, inlier_features
from comsamy.data.fetch import fetch
from comsamy.data.loading import example_predictions_path, load_dataset, resolve, sample_path
from comsamy.data.raw import RawItem, RawRelease, validate_raw_release

__all__ = [
    "ExportSummary",
    "FolderSummary",
    "RawItem",
    "RawRelease",
    "benchmark_features",
    "example_predictions_path",
    "export_release",
    "fetch",
    "inlier_features",
    "load_dataset",
    "resolve",
    "sample_path",
    "validate_dataset_folder",
    "validate_raw_release",
]
