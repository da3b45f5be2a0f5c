"""Summaries across results documents (``comsamy-eval --out`` JSON) and across severities.

* :func:`benchmark_summary`: the paper's Table III layout: one row per method, AUPRC and FPR95 per benchmark, then
  the mean over the benchmarks (undefined when a method lacks a benchmark or a value).
* :func:`robustness_summary`: for a dataset with ``weather`` and ``severity`` columns (``comsamy-data corrupt``),
  AUPRC and FPR95 per severity, per weather and per weather × severity, with the change from severity 0.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comsamy.errors import UsageError

__all__ = [
    "SUMMARY_METRICS",
    "BenchmarkSummary",
    "RobustnessRow",
    "benchmark_of",
    "benchmark_summary",
    "load_results",
    "method_name",
    "robustness_summary",
]

SUMMARY_METRICS = ("auprc", "fpr95")
"""The metrics of Table III, per benchmark."""


def method_name(doc: Mapping[str, Any]) -> str:
    """The method named in the archive's manifest, else ``predictions``."""
    manifest = (doc.get("archive") or {}).get("manifest") or {}
    for key in ("method", "name", "method_name"):
        if isinstance(manifest.get(key), str) and manifest[key].strip():
            return manifest[key].strip()
    return "predictions"


def benchmark_of(doc: Mapping[str, Any]) -> str:
    """The benchmark a results document was scored on: the dataset card's ``benchmark``, else the dataset name."""
    ds = doc.get("dataset") or {}
    return str(ds.get("benchmark") or ds.get("name") or "dataset")


def load_results(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Read results JSON files, checking each is a ``comsamy-eval --out`` document.

    Raises:
        UsageError: a file that cannot be read, is not JSON, or lacks ``overall`` / ``dataset``.
    """
    docs = []
    for path in paths:
        p = Path(path)
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(
                f"{p}: expected a readable results file (comsamy-eval --out), got {exc.strerror or exc}"
            ) from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(
                f"{p}: expected a results JSON document (comsamy-eval --out), got invalid JSON ({exc})"
            ) from exc
        missing = [k for k in ("dataset", "overall") if not isinstance(doc, dict) or not isinstance(doc.get(k), dict)]
        if missing:
            raise UsageError(
                f"{p}: expected a results document with 'dataset' and 'overall' objects "
                f"(comsamy-eval --out), got none for {missing}"
            )
        for metric in SUMMARY_METRICS:
            value = doc["overall"].get(metric)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0
            ):
                raise UsageError(f"{p}: expected overall.{metric} to be a fraction in [0, 1] or null, got {value!r}")
        docs.append(doc)
    return docs


@dataclass(frozen=True)
class BenchmarkSummary:
    """Table III: ``values[method][benchmark][metric]`` (fractions, None where undefined) and the means.

    Attributes:
        methods: method names, first appearance order.
        benchmarks: benchmark names, first appearance order.
        values: ``{method: {benchmark: {metric: value}}}``.
        means: ``{method: {metric: mean over benchmarks}}`` (None unless every benchmark has the value).
    """

    methods: tuple[str, ...]
    benchmarks: tuple[str, ...]
    values: Mapping[str, Mapping[str, Mapping[str, float | None]]]
    means: Mapping[str, Mapping[str, float | None]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``benchmarks``, ``methods`` (each with ``by_benchmark`` and ``mean``)."""
        return {
            "benchmarks": list(self.benchmarks),
            "methods": [
                {
                    "method": m,
                    "by_benchmark": {b: dict(v) for b, v in self.values[m].items()},
                    "mean": dict(self.means[m]),
                }
                for m in self.methods
            ],
        }


def benchmark_summary(docs: Sequence[Mapping[str, Any]]) -> BenchmarkSummary:
    """Collect results documents into Table III (one method may appear once per benchmark).

    Raises:
        UsageError: no document, or the same method twice on one benchmark.
    """
    if not docs:
        raise UsageError("summary: expected at least one results file, got none")
    methods: dict[str, None] = {}
    benchmarks: dict[str, None] = {}
    values: dict[str, dict[str, dict[str, float | None]]] = {}
    for doc in docs:
        method, bench = method_name(doc), benchmark_of(doc)
        if bench in values.get(method, {}):
            raise UsageError(f"summary: expected each method once per benchmark, got {method!r} twice on {bench!r}")
        methods.setdefault(method)
        benchmarks.setdefault(bench)
        values.setdefault(method, {})[bench] = {m: doc["overall"].get(m) for m in SUMMARY_METRICS}
    means: dict[str, dict[str, float | None]] = {}
    for method in methods:
        means[method] = {}
        for metric in SUMMARY_METRICS:
            cells = [values[method].get(b, {}).get(metric) for b in benchmarks]
            ok = all(isinstance(c, (int, float)) and not math.isnan(c) for c in cells)
            means[method][metric] = float(sum(cells) / len(cells)) if ok else None  # type: ignore[arg-type]
    return BenchmarkSummary(tuple(methods), tuple(benchmarks), values, means)


@dataclass(frozen=True)
class RobustnessRow:
    """One row of the robustness summary.

    Attributes:
        group: ``severity``, ``weather`` or ``weather_severity``.
        value: the condition value (``"3"``, ``"fog"``, ``"fog@3"``).
        auprc: AUPRC (fraction) or None.
        fpr95: FPR95 (fraction) or None.
        auprc_drop: AUPRC minus AUPRC at severity 0 (None without a severity 0).
        fpr95_rise: FPR95 minus FPR95 at severity 0.
    """

    group: str
    value: str
    auprc: float | None
    fpr95: float | None
    auprc_drop: float | None
    fpr95_rise: float | None


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else float(a - b)


def robustness_summary(doc: Mapping[str, Any]) -> list[RobustnessRow]:
    """Rows per severity, weather and weather × severity of a weather × severity dataset (empty otherwise).

    The reference is the ``severity`` condition ``0`` (the unaltered images) when present.
    """
    groups = doc.get("by_condition") or {}
    if "severity" not in groups or "weather" not in groups:
        return []
    base = groups["severity"].get("0")
    ref = (base or {}).get("auprc"), (base or {}).get("fpr95")
    rows = []
    for group in ("severity", "weather", "weather_severity"):
        for value, cell in (groups.get(group) or {}).items():
            a, f = cell.get("auprc"), cell.get("fpr95")
            rows.append(RobustnessRow(group, value, a, f, _minus(a, ref[0]), _minus(f, ref[1])))
    return rows
