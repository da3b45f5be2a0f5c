"""The leaderboard table: the paper's Table II layout first, then weathers and landforms (pure pandas).

Metrics are shown in percent with the direction in the column name (``↑`` higher is better for AUPRC,
``↓`` lower is better for FPR95); :func:`sort_table` sorts each metric its own way.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from comsamy.constants import LANDFORMS, WEATHERS
from leaderboard.reference import PAPER, TABLE_II
from leaderboard.store.repo import Entry

TABLE_II_GROUPS = (("Clear", "split", "clear"), ("Adverse", "split", "adverse"), ("Whole", None, None))
SCORED = "scored"
REPORTED = "reported, not scored"
COUNT_FIELDS = (("images", "num_images"), ("anomaly px", "num_anomaly_pixels"),
                ("inlier px", "num_inlier_pixels"), ("void px", "num_void_pixels"))


def auprc_col(name: str) -> str:
    """Column name of a condition's AUPRC."""
    return f"{name} AUPRC ↑"


def fpr_col(name: str) -> str:
    """Column name of a condition's FPR95."""
    return f"{name} FPR95 ↓"


def conditions() -> list[tuple[str, str | None, str | None]]:
    """(label, group, value) of every condition column, in table order."""
    out: list[tuple[str, str | None, str | None]] = list(TABLE_II_GROUPS)
    # the clear weather is the Clear split itself (constants.split_of), so only adverse weathers get columns
    out += [(w.capitalize(), "weather", w) for w in WEATHERS if w != "clear"]
    out += [(lf.replace("_", " ").capitalize(), "landform", lf) for lf in LANDFORMS]
    return out


def metric_columns() -> list[str]:
    """Every metric column, in table order."""
    cols = []
    for label, _, _ in conditions():
        cols += [auprc_col(label), fpr_col(label)]
    return cols


def higher_is_better(column: str) -> bool:
    """Sort direction of a metric column: True for AUPRC (and AUROC), False for FPR95."""
    return "↑" in column


def _pct(value: Any) -> float | None:
    return None if value is None else round(100.0 * float(value), 2)


def _metrics_of(results: dict[str, Any], group: str | None, value: str | None) -> dict[str, Any]:
    if group is None:
        return results.get("overall") or {}
    return ((results.get("by_condition") or {}).get(group) or {}).get(value) or {}


def entry_row(entry: Entry) -> dict[str, Any]:
    """One table row of a scored submission."""
    res = entry.results
    row: dict[str, Any] = {
        "Method": entry.method, "Team": entry.team,
        "Date": time.strftime("%Y-%m-%d", time.gmtime(entry.finished_at)),
        "Source": SCORED, "Submission": entry.submission_id,
    }
    for label, group, value in conditions():
        m = _metrics_of(res, group, value)
        row[auprc_col(label)] = _pct(m.get("auprc"))
        row[fpr_col(label)] = _pct(m.get("fpr95"))
    row["Extra data"] = entry.extra_data
    row["Outlier data"] = entry.outlier_data
    row["Backbone"] = entry.backbone
    for label, group, value in conditions():
        m = _metrics_of(res, group, value)
        for suffix, key in COUNT_FIELDS:
            row[f"{label} {suffix}"] = m.get(key)
    settings = res.get("settings") or {}
    dataset = res.get("dataset") or {}
    row["Data"] = f"{dataset.get('name', '?')}@{entry.data_revision or dataset.get('revision', '?')}"
    row["Scorer"] = f"comsamy {entry.scorer_version}"
    row["Metrics"] = (f"AUPRC {settings.get('auprc', '?')}, FPR95 {settings.get('fpr95', '?')}, "
                      f"{settings.get('precision', '?')}")
    return row


def reference_rows() -> list[dict[str, Any]]:
    """The paper's Table II rows (weather and landform cells empty)."""
    rows = []
    for ref in TABLE_II:
        row: dict[str, Any] = {"Method": ref.method, "Team": "paper authors", "Date": "", "Source": REPORTED,
                               "Submission": None}
        for label, _, _ in conditions():
            row[auprc_col(label)] = row[fpr_col(label)] = None
        for label in ("Clear", "Adverse", "Whole"):
            row[auprc_col(label)] = getattr(ref, f"{label.lower()}_auprc")
            row[fpr_col(label)] = getattr(ref, f"{label.lower()}_fpr95")
        row.update({"Extra data": None, "Outlier data": None, "Backbone": "", "Data": "ComsAmy (468 images)",
                    "Scorer": PAPER, "Metrics": "as reported"})
        rows.append(row)
    return rows


def build_table(entries: Iterable[Entry], *, reference: bool = True) -> Any:
    """A DataFrame of the scored entries (plus Table II reference rows), sorted by whole-set AUPRC."""
    import pandas as pd

    rows = [entry_row(e) for e in entries]
    if reference:
        rows += reference_rows()
    df = pd.DataFrame(rows, columns=list(entry_row_columns()))
    return sort_table(df, auprc_col("Whole"))


def entry_row_columns() -> list[str]:
    """Every column of the table, in order."""
    cols = ["Method", "Team", "Date", "Source", "Submission", *metric_columns(), "Extra data", "Outlier data",
            "Backbone"]
    for label, _, _ in conditions():
        cols += [f"{label} {suffix}" for suffix, _ in COUNT_FIELDS]
    return [*cols, "Data", "Scorer", "Metrics"]


def display_columns() -> list[str]:
    """The columns the page shows (the CSV export has all of them)."""
    counts = [f"{label} images" for label in ("Clear", "Adverse", "Whole")]
    counts += ["Whole anomaly px", "Whole inlier px", "Whole void px"]
    return ["Method", "Team", "Source", "Date", *metric_columns(), "Extra data", "Outlier data", *counts, "Data",
            "Scorer", "Metrics"]


def sort_table(df: Any, column: str) -> Any:
    """Sort by a metric in its own direction (best first), empty cells last; ties keep their order."""
    if column not in df.columns:
        raise KeyError(f"sort column: expected one of the metric columns, got {column!r}")
    out = df.sort_values(column, ascending=not higher_is_better(column), na_position="last", kind="stable")
    out = out.reset_index(drop=True)
    out.insert(0, "Rank", [i + 1 if v == v and v is not None else None for i, v in enumerate(out[column])])
    return out


def to_csv(df: Any) -> bytes:
    """CSV export of the table (UTF-8)."""
    return df.to_csv(index=False).encode("utf-8")
