"""Render an evaluation report (or its ``to_dict()`` JSON) as a table for people, JSON, Markdown, CSV or LaTeX.

People-facing formats (``table``, ``markdown``, ``latex``) show percent with two decimals and open with the
paper's Table II layout: clear weather / adverse weather / whole dataset, AUPRC and FPR95 (AUROC beside them), then
one table per condition group (weather, landform, anomaly type and every other metadata column), the same groups
in all three. With bootstrap intervals each group row carries them; with ``--compare`` a paired-comparison table
follows (differences A − B in percentage points, ``n.s.`` where the interval contains 0); a weather × severity
dataset adds the robustness summary. ``csv`` and ``json`` keep the fractions at full precision.
:func:`render_summary` prints several results documents in the paper's Table III layout.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from comsamy.errors import UsageError
from comsamy.evaluation.summary import SUMMARY_METRICS, benchmark_summary, method_name, robustness_summary
from comsamy.presentation import (
    TABLE2_COLUMNS,
    TABLE2_METRICS,
    metric_heading,
    pct,
    pct_interval,
    signed_pct,
)

__all__ = ["FORMATS", "SUMMARY_FORMATS", "latex_escape", "method_name", "pct", "render", "render_summary"]

FORMATS = ("table", "json", "markdown", "csv", "latex")
SUMMARY_FORMATS = FORMATS
_METRICS = TABLE2_METRICS
_COUNTS = ("num_images", "num_anomaly_pixels", "num_inlier_pixels", "num_void_pixels")
_CSV_METRICS = (*TABLE2_METRICS, "tpr_at_5fpr")
_CI_METRICS = ("auprc", "fpr95")


def _doc(report: Any) -> Mapping[str, Any]:
    if isinstance(report, Mapping):
        return report
    to_dict = getattr(report, "to_dict", None)
    if to_dict is None:
        raise UsageError(f"render: expected an EvaluationReport or its to_dict(), got {type(report).__name__}")
    return to_dict()


def _cell(doc: Mapping[str, Any], group: str | None, value: str) -> Mapping[str, Any] | None:
    if group is None:
        return doc["overall"]
    return doc.get("by_condition", {}).get(group, {}).get(value)


def _table2_row(doc: Mapping[str, Any]) -> list[str]:
    row = [method_name(doc)]
    for col in TABLE2_COLUMNS:
        cell = _cell(doc, col.group, col.value)
        row += [pct(cell.get(m)) if cell else "n/a" for m in _METRICS]
    return row


def _groups(doc: Mapping[str, Any]) -> list[str]:
    """Every condition group shown to people (all but ``split``, which Table II already shows)."""
    return [g for g in doc.get("by_condition", {}) if g != "split"]


def _has_ci(doc: Mapping[str, Any]) -> bool:
    return "ci" in doc.get("overall", {})


def _group_header(doc: Mapping[str, Any], group: str) -> list[str]:
    ci = [f"{m.upper()} CI" for m in _CI_METRICS] if _has_ci(doc) else []
    return [group.replace("_", " ").capitalize(), *(metric_heading(m) for m in _METRICS), *ci, "images", "anomaly px"]


def _group_rows(doc: Mapping[str, Any], group: str) -> list[list[str]]:
    rows = []
    for value, cell in doc.get("by_condition", {}).get(group, {}).items():
        ci = [pct_interval((cell.get("ci") or {}).get(m)) for m in _CI_METRICS] if _has_ci(doc) else []
        rows.append(
            [
                value,
                *(pct(cell.get(m)) for m in _METRICS),
                *ci,
                str(cell["num_images"]),
                str(cell["num_anomaly_pixels"]),
            ]
        )
    return rows


def _comparison_rows(doc: Mapping[str, Any]) -> list[list[str]]:
    comp = doc.get("comparison")
    if not comp:
        return []
    cells = [("all", "all", comp["overall"])]
    cells += [(g, v, d) for g, values in comp.get("by_condition", {}).items() for v, d in values.items()]
    rows = []
    for group, value, diffs in cells:
        row = [value if group == "all" else f"{group}={value}"]
        for m in _METRICS:
            d = diffs.get(m) or {}
            lo, hi = d.get("ci") or [None, None]
            unsure = lo is None or hi is None or lo <= 0.0 <= hi
            p = d.get("p_value")
            row.append(
                f"{signed_pct(d.get('difference'))} {pct_interval(d.get('ci'), signed=True)}"
                f"{' n.s.' if unsure else ''}" + ("" if p is None else f" p={p:.3f}")
            )
        rows.append(row)
    return rows


def _comparison_header(doc: Mapping[str, Any]) -> list[str]:
    return ["A − B (pp)", *(f"Δ{metric_heading(m)}" for m in _METRICS)]


def _comparison_title(doc: Mapping[str, Any]) -> str:
    comp = doc["comparison"]
    boot = comp.get("bootstrap", {})
    against = comp.get("against") or {}
    other = method_name({"archive": against})
    return (
        f"Paired comparison A = {method_name(doc)} vs B = {other}: differences A − B in percentage points, "
        f"{100 * boot.get('ci_level', 0.95):g} % paired bootstrap interval ({boot.get('resamples')} resamples, "
        f"seed {boot.get('seed')}), two-sided p; n.s. = the interval contains 0"
    )


def _robustness_rows(doc: Mapping[str, Any]) -> list[list[str]]:
    return [
        [r.group, r.value, pct(r.auprc), pct(r.fpr95), signed_pct(r.auprc_drop), signed_pct(r.fpr95_rise)]
        for r in robustness_summary(doc)
    ]


_ROBUSTNESS_HEADER = [
    "Group",
    "Condition",
    metric_heading("auprc"),
    metric_heading("fpr95"),
    "ΔAUPRC vs sev. 0",
    "ΔFPR95 vs sev. 0",
]


def _aligned(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    return "\n".join([fmt(header), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows)])


def _title(doc: Mapping[str, Any]) -> str:
    ds = doc.get("dataset", {})
    st = doc.get("settings", {})
    bench = ds.get("benchmark")
    boot = st.get("bootstrap")
    ci = (
        f"; {100 * boot['ci_level']:g} % bootstrap intervals over images ({boot['resamples']} resamples, seed "
        f"{boot['seed']})"
        if boot
        else ""
    )
    return (
        f"ComsAmy pixel-level results: benchmark {bench or 'unknown'}, dataset {ds.get('name')} "
        f"({ds.get('num_images')} images, config {ds.get('config')}, split {ds.get('split')}); scores ranked at "
        f"{st.get('precision')}; AUPRC {st.get('auprc')}, FPR95 {st.get('fpr95')}{ci}; values in percent"
    )


def render_table(doc: Mapping[str, Any]) -> str:
    """Plain-text tables: Table II (clear / adverse / whole), then one per condition group."""
    header = ["Method", *(f"{col.short} {metric_heading(m)}" for col in TABLE2_COLUMNS for m in _METRICS)]
    parts = [_title(doc), "", _aligned(header, [_table2_row(doc)])]
    if _has_ci(doc):
        parts += [
            "",
            "Whole dataset intervals: "
            + ", ".join(f"{m.upper()} {pct_interval(doc['overall']['ci'].get(m))}" for m in _CI_METRICS),
        ]
    for group in _groups(doc):
        rows = _group_rows(doc, group)
        if rows:
            parts += ["", _aligned(_group_header(doc, group), rows)]
    robust = _robustness_rows(doc)
    if robust:
        parts += [
            "",
            "Robustness (weather × severity; change from severity 0 in percentage points)",
            "",
            _aligned(_ROBUSTNESS_HEADER, robust),
        ]
    comp = _comparison_rows(doc)
    if comp:
        parts += ["", _comparison_title(doc), "", _aligned(_comparison_header(doc), comp)]
    return "\n".join(parts) + "\n"


def _md(header: list[str], rows: list[list[str]]) -> str:
    out = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)


def render_markdown(doc: Mapping[str, Any]) -> str:
    """Markdown: Table II, then one table per condition group (the table's groups), robustness, comparison."""
    header = ["Method", *(f"{col.label} {metric_heading(m)}" for col in TABLE2_COLUMNS for m in _METRICS)]
    parts = [f"*{_title(doc)}*", "", _md(header, [_table2_row(doc)])]
    for group in _groups(doc):
        parts += [
            "",
            f"**{group.replace('_', ' ').capitalize()}**",
            "",
            _md(_group_header(doc, group), _group_rows(doc, group)),
        ]
    robust = _robustness_rows(doc)
    if robust:
        parts += [
            "",
            "**Robustness** (change from severity 0 in percentage points)",
            "",
            _md(_ROBUSTNESS_HEADER, robust),
        ]
    comp = _comparison_rows(doc)
    if comp:
        parts += ["", f"*{_comparison_title(doc)}*", "", _md(_comparison_header(doc), comp)]
    return "\n".join(parts) + "\n"


def _csv_number(value: Any) -> str:
    """A fraction at full precision for CSV; empty where undefined."""
    return "" if value is None else repr(float(value))


def render_csv(doc: Mapping[str, Any]) -> str:
    """CSV, one row per condition (``all`` first), fractions at full precision, empty where undefined; with
    intervals, ``<metric>_lo`` / ``<metric>_hi`` columns."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    ci = _has_ci(doc)
    ci_cols = [f"{m}_{end}" for m in _CSV_METRICS for end in ("lo", "hi")] if ci else []
    writer.writerow(["group", "value", *_CSV_METRICS, *ci_cols, *_COUNTS])
    rows = [("all", "all", doc["overall"])]
    rows += [(g, v, cell) for g, values in doc.get("by_condition", {}).items() for v, cell in values.items()]
    num = _csv_number
    for group, value, cell in rows:
        bounds = [num(((cell.get("ci") or {}).get(m) or [None, None])[k]) for m in _CSV_METRICS for k in (0, 1)]
        writer.writerow(
            [
                group,
                value,
                *(num(cell.get(m)) for m in _CSV_METRICS),
                *(bounds if ci else []),
                *(cell.get(c) for c in _COUNTS),
            ]
        )
    return buf.getvalue()


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_LATEX_TEXT = {"↑": r"$\uparrow$", "↓": r"$\downarrow$", "−": "-", "Δ": r"$\Delta$", "×": r"$\times$"}


def latex_escape(text: str) -> str:
    r"""Escape LaTeX special characters (and write arrows, Δ, ×, − as LaTeX).

    >>> latex_escape("urban_road & 50%")
    'urban\\_road \\& 50\\%'
    """
    return "".join(_LATEX_SPECIAL.get(ch, _LATEX_TEXT.get(ch, ch)) for ch in text)


def _latex_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [
        r"\begin{tabular}{l" + "c" * (len(header) - 1) + "}",
        r"\toprule",
        " & ".join(latex_escape(h) for h in header) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(latex_escape(c) for c in r) + r" \\" for r in rows]
    return [*lines, r"\bottomrule", r"\end{tabular}"]


def render_latex(doc: Mapping[str, Any]) -> str:
    """LaTeX (booktabs): Table II, then one table per condition group (the table's groups), robustness and the
    paired comparison."""
    mhead = r"AUPRC $\uparrow$ & FPR$_{95}$ $\downarrow$ & AUROC $\uparrow$"
    spans = " & ".join(rf"\multicolumn{{3}}{{c}}{{{col.label}}}" for col in TABLE2_COLUMNS)
    row = _table2_row(doc)
    lines = [
        f"% {_title(doc)}",
        r"\begin{tabular}{l" + "c" * 9 + "}",
        r"\toprule",
        rf"Method & {spans} \\",
        r"\cmidrule(lr){2-4}\cmidrule(lr){5-7}\cmidrule(lr){8-10}",
        rf" & {mhead} & {mhead} & {mhead} \\",
        r"\midrule",
        " & ".join([latex_escape(row[0]), *row[1:]]) + r" \\",
        r"\bottomrule",
        r"\end{tabular}",
    ]
    for group in _groups(doc):
        rows = _group_rows(doc, group)
        if rows:
            lines += ["", *_latex_table(_group_header(doc, group), rows)]
    robust = _robustness_rows(doc)
    if robust:
        lines += [
            "",
            "% robustness: change from severity 0 in percentage points",
            *_latex_table(_ROBUSTNESS_HEADER, robust),
        ]
    comp = _comparison_rows(doc)
    if comp:
        lines += ["", f"% {_comparison_title(doc)}", *_latex_table(_comparison_header(doc), comp)]
    return "\n".join(lines) + "\n"


def render_json(doc: Mapping[str, Any]) -> str:
    """The report's JSON document, indented."""
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


_RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "table": render_table,
    "json": render_json,
    "markdown": render_markdown,
    "csv": render_csv,
    "latex": render_latex,
}


def render(report: Any, fmt: str = "table") -> str:
    """Render a report in one of :data:`FORMATS`.

    Args:
        report: an :class:`~comsamy.evaluation.EvaluationReport` or its ``to_dict()`` (e.g. read from ``--out``).
        fmt: ``table``, ``json``, ``markdown``, ``csv`` or ``latex``.

    Raises:
        UsageError: an unknown format.
    """
    if fmt not in _RENDERERS:
        raise UsageError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    return _RENDERERS[fmt](_doc(report))


def render_summary(docs: Sequence[Mapping[str, Any]], fmt: str = "table") -> str:
    """Several results documents in the paper's Table III layout: per benchmark AUPRC ↑ / FPR95 ↓, then the mean.

    Args:
        docs: ``comsamy-eval --out`` documents (one per method and benchmark).
        fmt: one of :data:`SUMMARY_FORMATS`.

    Raises:
        UsageError: an unknown format, or the same method twice on one benchmark.
    """
    if fmt not in SUMMARY_FORMATS:
        raise UsageError(f"--format: expected one of {', '.join(SUMMARY_FORMATS)}, got {fmt!r}")
    summary = benchmark_summary(docs)
    if fmt == "json":
        return json.dumps(summary.to_dict(), indent=2, allow_nan=False) + "\n"
    spans = [*summary.benchmarks, "Mean"]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["method", *(f"{b}:{m}" for b in spans for m in SUMMARY_METRICS)])
        for method in summary.methods:
            cells = [summary.values[method].get(b, {}).get(m) for b in summary.benchmarks for m in SUMMARY_METRICS]
            cells += [summary.means[method][m] for m in SUMMARY_METRICS]
            writer.writerow([method, *(_csv_number(c) for c in cells)])
        return buf.getvalue()
    rows: list[list[str]] = []
    for method in summary.methods:
        texts = [pct(summary.values[method].get(b, {}).get(m)) for b in summary.benchmarks for m in SUMMARY_METRICS]
        rows.append([method, *texts, *(pct(summary.means[method][m]) for m in SUMMARY_METRICS)])
    title = (
        f"Pixel-level results on {len(summary.benchmarks)} benchmark(s) (paper Table III layout); values in "
        "percent; Mean = mean over the benchmarks"
    )
    if fmt == "latex":
        head = " & ".join(rf"\multicolumn{{2}}{{c}}{{{latex_escape(b)}}}" for b in spans)
        sub = " & ".join([r"AUPRC $\uparrow$ & FPR$_{95}$ $\downarrow$"] * len(spans))
        lines = [
            f"% {title}",
            r"\begin{tabular}{l" + "cc" * len(spans) + "}",
            r"\toprule",
            rf"Method & {head} \\",
            rf" & {sub} \\",
            r"\midrule",
        ]
        lines += [" & ".join([latex_escape(r[0]), *r[1:]]) + r" \\" for r in rows]
        return "\n".join([*lines, r"\bottomrule", r"\end{tabular}"]) + "\n"
    header = ["Method", *(f"{b} {metric_heading(m)}" for b in spans for m in SUMMARY_METRICS)]
    if fmt == "markdown":
        return f"*{title}*\n\n{_md(header, rows)}\n"
    return f"{title}\n\n{_aligned(header, rows)}\n"
