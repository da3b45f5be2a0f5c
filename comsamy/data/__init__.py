"""The ComsAmy dataset: loading (local folder, ``$COMSAMY_DATA``, Hub, bundled sample), features,
raw-release validation and export to the published layout (spec/data.md), importers of the field's benchmarks
(:func:`import_benchmark`) and adverse-weather variants of any benchmark (:func:`corrupt_dataset`).

``import comsamy.data`` is cheap; ``datasets`` and ``pyarrow`` are imported on first use.
"""

from __future__ import annotations

from comsamy.data.benchmarks import BENCHMARKS, ImportOptions, ImportSummary, benchmark_name, import_benchmark
from comsamy.data.check import FolderSummary, validate_dataset_folder
from comsamy.data.export import ExportSummary, export_release
from comsamy.data.features import benchmark_features, inlier_features
from comsamy.data.fetch import fetch
from comsamy.data.loading import example_predictions_path, load_dataset, resolve, sample_path
from comsamy.data.raw import RawItem, RawRelease, validate_raw_release

__all__ = [
    "BENCHMARKS",
    "ExportSummary",
    "FolderSummary",
    "ImportOptions",
    "ImportSummary",
    "RawItem",
    "RawRelease",
    "benchmark_features",
    "benchmark_name",
    "example_predictions_path",
    "export_release",
    "fetch",
    "import_benchmark",
    "inlier_features",
    "load_dataset",
    "resolve",
    "sample_path",
    "validate_dataset_folder",
    "validate_raw_release",
]
