"""The leaderboard table: the paper's Table II layout first, then weathers and landforms (pure pandas).

Metrics are shown in percent with the direction in the column name (``↑`` higher is better for AUPRC and AUROC,
``↓`` lower is better for FPR95); :func:`sort_table` sorts each metric its own way. Rows hold only what
:mod:`leaderboard.publish` lets out: metrics and image counts of conditions with enough images, no pixel counts.
The paper's reported rows are a table of their own (:func:`reference_table`): they were measured on the real
468 images, not on this server's data, so they are never ranked in one list with scored rows.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable
from typing import Any

from comsamy.constants import LANDFORMS, WEATHERS
from comsamy.presentation import ARROWS, HIGHER_IS_BETTER, TABLE2_COLUMNS, metric_heading, pct_value
from leaderboard.reference import PAPER, TABLE_II
from leaderboard.safetext import clean_text, csv_cell
from leaderboard.store.repo import Entry

__all__ = [
    "REPORTED",
    "TABLE_II_GROUPS",
    "auprc_col",
    "auroc_col",
    "board_columns",
    "build_table",
    "conditions",
    "entry_row",
    "fpr_col",
    "higher_is_better",
    "metric_columns",
    "reference_table",
    "sort_table",
    "to_csv",
]

TABLE_II_GROUPS = tuple((c.short, c.group, None if c.group is None else c.value) for c in TABLE2_COLUMNS)
"""(label, group, value) of the paper's Table II column groups: Clear, Adverse, Whole."""
REPORTED = "reported in the paper (468 images), not scored here"
INFO_COLUMNS = ("Extra data", "Outlier data", "Backbone", "Data", "Scorer", "Metrics")


def auprc_col(name: str) -> str:
    """Column name of a condition's AUPRC (``Whole AUPRC ↑``)."""
    return f"{name} {metric_heading('auprc')}"


def fpr_col(name: str) -> str:
    """Column name of a condition's FPR95 (``Whole FPR95 ↓``)."""
    return f"{name} {metric_heading('fpr95')}"


def auroc_col(name: str) -> str:
    """Column name of a condition's AUROC (``Whole AUROC ↑``)."""
    return f"{name} {metric_heading('auroc')}"


def conditions() -> list[tuple[str, str | None, str | None]]:
    """(label, group, value) of every condition column, in table order."""
    out: list[tuple[str, str | None, str | None]] = list(TABLE_II_GROUPS)
    # the clear weather is the Clear split itself (constants.split_of), so only adverse weathers get columns
    out += [(w.capitalize(), "weather", w) for w in WEATHERS if w != "clear"]
    out += [(lf.replace("_", " ").capitalize(), "landform", lf) for lf in LANDFORMS]
    return out


def metric_columns() -> list[str]:
    """Every metric column, in table order (AUROC for the Table II groups only)."""
    cols = []
    for label, group, _ in conditions():
        cols += [auprc_col(label), fpr_col(label)]
        if group in (None, "split"):
            cols.append(auroc_col(label))
    return cols


def higher_is_better(column: str) -> bool:
    """Sort direction of a metric column (from its arrow): True for AUPRC and AUROC, False for FPR95."""
    for metric, up in HIGHER_IS_BETTER.items():
        if column.endswith(ARROWS[metric]):
            return up
    raise KeyError(f"sort column: expected a metric column ending in an arrow, got {column!r}")


def _metrics_of(results: dict[str, Any], group: str | None, value: str | None) -> dict[str, Any]:
    if group is None:
        return results.get("overall") or {}
    return ((results.get("by_condition") or {}).get(group) or {}).get(value) or {}


@functools.cache
def _cells() -> tuple[tuple[str | None, str | None, tuple[tuple[str, str], ...]], ...]:
    """(group, value, ((column, metric), ...)) of every condition: the column names built once."""
    out = []
    for label, group, value in conditions():
        cols = [(auprc_col(label), "auprc"), (fpr_col(label), "fpr95")]
        if group in (None, "split"):
            cols.append((auroc_col(label), "auroc"))
        out.append((group, value, tuple(cols)))
    return tuple(out)


def entry_row(entry: Entry) -> dict[str, Any]:
    """One table row of a scored submission (published numbers only)."""
    res = entry.results
    row: dict[str, Any] = {
        "Method": clean_text(entry.method),
        "Team": clean_text(entry.team),
        "Date": time.strftime("%Y-%m-%d", time.gmtime(entry.finished_at)),
        "Submission": entry.submission_id,
    }
    for group, value, cols in _cells():
        m = _metrics_of(res, group, value)
        for column, metric in cols:
            row[column] = pct_value(m.get(metric))
    for label, group, value in TABLE_II_GROUPS:
        row[f"{label} images"] = _metrics_of(res, group, value).get("num_images")
    settings = res.get("settings") or {}
    dataset = res.get("dataset") or {}
    row.update(
        {
            "Extra data": entry.extra_data,
            "Outlier data": entry.outlier_data,
            "Backbone": clean_text(entry.backbone),
            "Data": f"{dataset.get('name', '?')}@{entry.data_revision or dataset.get('revision', '?')}",
            "Scorer": f"comsamy {entry.scorer_version}",
            "Metrics": f"AUPRC {settings.get('auprc', '?')}, FPR95 {settings.get('fpr95', '?')}, "
            f"{settings.get('precision', '?')}",
        }
    )
    return row


def row_columns() -> list[str]:
    """Every column of a scored row, in order (the CSV export's columns after ``Rank``)."""
    return [
        "Method",
        "Team",
        "Date",
        "Submission",
        *metric_columns(),
        *(f"{label} images" for label, _, _ in TABLE_II_GROUPS),
        *INFO_COLUMNS,
    ]


def board_columns(metric: str) -> list[str]:
    """The columns the page shows, the ranking metric right after the method."""
    table2 = [c for label, _, _ in TABLE_II_GROUPS for c in (auprc_col(label), fpr_col(label), auroc_col(label))]
    rest = [c for c in metric_columns() if c not in table2]
    cols = [
        "Rank",
        "Method",
        metric,
        "Team",
        "Page",
        "Date",
        *table2,
        *rest,
        "Extra data",
        "Outlier data",
        "Whole images",
        "Backbone",
        "Data",
        "Scorer",
    ]
    seen: set[str] = set()
    return [c for c in cols if not (c in seen or seen.add(c))]


def build_table(entries: Iterable[Entry], *, metric: str | None = None) -> Any:
    """A DataFrame of the scored entries, ranked by ``metric`` (default whole-set AUPRC)."""
    import pandas as pd

    df = pd.DataFrame([entry_row(e) for e in entries], columns=row_columns())
    df["Submission"] = df["Submission"].astype("Int64")
    for label, _, _ in TABLE_II_GROUPS:
        df[f"{label} images"] = df[f"{label} images"].astype("Int64")
    for col in metric_columns():
        df[col] = df[col].astype("Float64")
    return sort_table(df, metric or auprc_col("Whole"))


def reference_table() -> Any:
    """The paper's Table II rows (percent, as reported): a table of their own, never ranked with scored rows."""
    import pandas as pd

    rows = []
    for ref in TABLE_II:
        row: dict[str, Any] = {"Method": ref.method, "Source": PAPER}
        for label in ("Clear", "Adverse", "Whole"):
            row[auprc_col(label)] = getattr(ref, f"{label.lower()}_auprc")
            row[fpr_col(label)] = getattr(ref, f"{label.lower()}_fpr95")
        rows.append(row)
    return pd.DataFrame(rows)


def sort_table(df: Any, column: str) -> Any:
    """Sort by a metric in its own direction (best first), empty cells last; ties keep their order.

    A ``Rank`` column (1, 2, ...; empty where the metric is) is put first, replacing any earlier one.
    """
    import pandas as pd

    if column not in df.columns:
        raise KeyError(f"sort column: expected one of the metric columns, got {column!r}")
    df = df.drop(columns="Rank", errors="ignore")
    out = df.sort_values(column, ascending=not higher_is_better(column), na_position="last", kind="stable")
    out = out.reset_index(drop=True)
    ranks = [None if pd.isna(v) else i + 1 for i, v in enumerate(out[column])]
    out.insert(0, "Rank", ranks)
    out["Rank"] = out["Rank"].astype("Int64")
    return out


def to_csv(df: Any) -> bytes:
    """CSV export (UTF-8): blank where undefined, integer ids, text cells a spreadsheet would run are quoted."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    out = df.drop(columns=["Page"], errors="ignore").copy()
    for col in out.columns:
        if is_object_dtype(out[col]) or is_string_dtype(out[col]):
            out[col] = out[col].map(csv_cell)
    return out.to_csv(index=False).encode("utf-8")
