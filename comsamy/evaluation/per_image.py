"""Per-image results (``comsamy-eval --per-image FILE.csv``): the list a user sorts to find the failing images.

One row per image in dataset order: ``id``, every metadata column, ``auprc``, ``fpr95``, ``auroc``,
``tpr_at_5fpr`` (empty where undefined, e.g. an image without anomaly pixels), ``anomaly_fraction`` (anomaly
pixels over non-void pixels), then the columns of every further per-image statistic of the report (with
``--components``: ``num_gt_components``, ``num_pred_components`` and the component TP / FN / FP at τ = 0.25, 0.5,
0.75: ``tp_25``, ``fn_25``, ``fp_25``, ...). Per-image metrics are an extra, never the
headline: the headline pools pixels per condition.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from comsamy.errors import UsageError
from comsamy.metrics.definitions import METRIC_NAMES

__all__ = ["PER_IMAGE_STATISTICS", "per_image_csv", "per_image_rows", "write_per_image_csv"]

ColumnProvider = Callable[[Any], Mapping[str, Mapping[str, Any]] | None]
"""``provider(report) -> {column: {image id: value}}`` or None when the report lacks that statistic."""


def _component_columns(report: Any) -> Mapping[str, Mapping[str, Any]] | None:
    summary = getattr(report, "components", None)
    if summary is None:
        return None
    counts = {i: s.counts() for i, s in summary.per_image.items()}  # num_gt/pred_components, tp/fn/fp_25/50/75
    names = list(next(iter(counts.values()), {"num_gt_components": 0, "num_pred_components": 0}))
    return {name: {i: c[name] for i, c in counts.items()} for name in names}


PER_IMAGE_STATISTICS: tuple[ColumnProvider, ...] = (_component_columns,)
"""Providers of the columns after the pixel metrics, in order (a new per-image statistic adds one here)."""


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str)
    return value


def per_image_rows(report: Any) -> tuple[list[str], list[list[Any]]]:
    """``(header, rows)`` of the per-image table of an :class:`~comsamy.evaluation.EvaluationReport`."""
    acc = report.accumulator
    ids = acc.image_ids
    columns: list[str] = []
    for image_id in ids:
        columns += [c for c in acc.metadata(image_id) if c not in columns]
    metrics = acc.per_image()
    extras: dict[str, Mapping[str, Any]] = {}
    for provider in PER_IMAGE_STATISTICS:
        extras.update(provider(report) or {})
    header = ["id", *columns, *METRIC_NAMES, "anomaly_fraction", *extras]
    rows = []
    for image_id in ids:
        meta = acc.metadata(image_id)
        result = metrics[image_id]
        pixels = result.num_anomaly_pixels + result.num_inlier_pixels
        fraction = result.num_anomaly_pixels / pixels if pixels else math.nan
        rows.append(
            [
                image_id,
                *(_cell(meta.get(c)) for c in columns),
                *(_cell(getattr(result, m)) for m in METRIC_NAMES),
                _cell(fraction),
                *(_cell(values.get(image_id)) for values in extras.values()),
            ]
        )
    return header, rows


def per_image_csv(report: Any) -> str:
    """The per-image table as CSV text."""
    header, rows = per_image_rows(report)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def write_per_image_csv(report: Any, path: str | Path) -> Path:
    """Write :func:`per_image_csv` to ``path`` (parent folders created).

    Raises:
        UsageError: the path cannot be written.
    """
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(per_image_csv(report), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--per-image {out}: expected a writable file path, got {exc.strerror or exc}") from exc
    return out
