"""Importers of the field's benchmarks into ComsAmy's published layout (one small module per benchmark).

>>> sorted(BENCHMARKS)
['fishyscapes_laf', 'fishyscapes_static', 'generic', 'lostandfound', 'roadanomaly', 'roadanomaly21', 'roadobstacle21']
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

from comsamy.data.benchmarks.base import Benchmark, Discovery, ImportOptions, Pair
from comsamy.data.benchmarks.fishyscapes import FISHYSCAPES_LAF, FISHYSCAPES_STATIC
from comsamy.data.benchmarks.generic import GENERIC
from comsamy.data.benchmarks.labelmap import LabelMap, parse_label_map
from comsamy.data.benchmarks.lostandfound import LOSTANDFOUND
from comsamy.data.benchmarks.roadanomaly import ROADANOMALY
from comsamy.data.benchmarks.smiyc import ROADANOMALY21, ROADOBSTACLE21
from comsamy.data.benchmarks.writer import ImportSummary, write_benchmark
from comsamy.errors import UsageError

__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "Discovery",
    "ImportOptions",
    "ImportSummary",
    "LabelMap",
    "Pair",
    "benchmark_name",
    "import_benchmark",
    "parse_label_map",
]

BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (ROADANOMALY, ROADANOMALY21, ROADOBSTACLE21, FISHYSCAPES_LAF, FISHYSCAPES_STATIC, LOSTANDFOUND, GENERIC)
}
"""Every importer by name."""

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def import_benchmark(
    benchmark: str,
    raw: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    options: ImportOptions | None = None,
    name: str | None = None,
    title: str | None = None,
    force: bool = False,
    progress: bool = False,
) -> ImportSummary:
    """Import a benchmark release into the published layout (``README.md`` card + ``data/*.parquet``).

    Args:
        benchmark: a key of :data:`BENCHMARKS`.
        raw: the release folder, as its authors distribute it.
        out: the folder to create (must not exist or be empty unless ``force``).
        options: ``base`` (Fishyscapes), ``label_map`` (overrides the benchmark's map; required by ``generic``),
            folders and label suffix (``generic``).
        name: the ``benchmark`` name written to the card (default: ``benchmark``).
        title: the card's title.
        force: replace a non-empty ``out``.
        progress: show a progress bar.

    Raises:
        UsageError: an unknown benchmark, a bad name or ``out``.
        DataValidationError: every problem of the release (each file named); nothing is written.
    """
    if benchmark not in BENCHMARKS:
        raise UsageError(f"expected a benchmark in {', '.join(sorted(BENCHMARKS))}, got {benchmark!r}")
    if name is not None and not _NAME.match(name):
        raise UsageError(f"--name: expected lower-case letters, digits, '_' and '-', got {name!r}")
    options = options or ImportOptions()
    bench = BENCHMARKS[benchmark]
    bench = dataclasses.replace(bench, name=name or bench.name, title=title or bench.title)
    raw = Path(raw)
    if not raw.is_dir():
        raise UsageError(f"expected RAW to be the release folder, got {raw}, which is not a folder")
    found = bench.discover(raw, options)
    return write_benchmark(
        bench, found, raw, Path(out), label_map=options.label_map or bench.label_map, force=force, progress=progress
    )


def _card_front(folder: Path) -> dict[str, Any]:
    import yaml

    text = (folder / "README.md").read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    data = yaml.safe_load(text.split("---", 2)[1]) or {}
    return data if isinstance(data, dict) else {}


def benchmark_name(dataset_or_path: Any) -> str | None:
    """Which benchmark a dataset folder holds: the card's ``benchmark`` key (``roadanomaly21``, ``comsamy``, ...).

    Args:
        dataset_or_path: a dataset folder, ``"sample"`` / ``"comsamy"`` (resolved like
            :func:`comsamy.load_dataset`); anything else (a loaded ``datasets.Dataset``, which keeps no card)
            gives None.

    Returns:
        The name, ``"comsamy"`` for a ComsAmy card written before the key existed, or None when unknown
        (a Hub id not downloaded, an in-memory dataset).
    """
    from comsamy.data.loading import is_dataset_folder, resolve

    folder: Path | None = None
    if isinstance(dataset_or_path, (str, os.PathLike)):
        try:
            kind, where = resolve(dataset_or_path)
        except Exception:  # an unresolvable name is simply unknown here
            return None
        folder = Path(where) if kind == "local" else None
    else:  # a loaded datasets object keeps no card
        return None
    if folder is None or not is_dataset_folder(folder):
        return None
    front = _card_front(folder)
    name = front.get("benchmark")
    if isinstance(name, str) and name:
        return name
    pretty = str(front.get("pretty_name", ""))
    return "comsamy" if pretty.lower().startswith("comsamy") else None
