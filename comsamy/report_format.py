"""Render an evaluation report (or its ``to_dict()`` JSON) as a table for people, JSON, Markdown, CSV or LaTeX.

People-facing formats (``table``, ``markdown``, ``latex``) show percent with two decimals and open with the
paper's Table II layout: clear weather / adverse weather / whole dataset, AUPRC and FPR95 (AUROC beside them), then
one row per weather and per landform. ``csv`` and ``json`` keep the fractions at full precision.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from typing import Any

from comsamy.errors import UsageError

__all__ = ["FORMATS", "render"]

FORMATS = ("table", "json", "markdown", "csv", "latex")
_METRICS = ("auprc", "fpr95", "auroc")
_HEAD = {"auprc": "AUPRC ↑", "fpr95": "FPR95 ↓", "auroc": "AUROC ↑"}
_TABLE2 = (("split", "clear", "Clear weather"), ("split", "adverse", "Adverse weather"), (None, "all", "Whole dataset"))
_COUNTS = ("num_images", "num_anomaly_pixels", "num_inlier_pixels", "num_void_pixels")
_PEOPLE_GROUPS = ("weather", "landform")


def _doc(report: Any) -> Mapping[str, Any]:
    if isinstance(report, Mapping):
        return report
    to_dict = getattr(report, "to_dict", None)
    if to_dict is None:
        raise UsageError(f"render: expected an EvaluationReport or its to_dict(), got {type(report).__name__}")
    return to_dict()


def pct(value: float | None) -> str:
    """A fraction as percent with two decimals; ``n/a`` when undefined.

    >>> pct(0.72491), pct(None)
    ('72.49', 'n/a')
    """
    return "n/a" if value is None else f"{100 * value:.2f}"


def _cell(doc: Mapping[str, Any], group: str | None, value: str) -> Mapping[str, Any] | None:
    if group is None:
        return doc["overall"]
    return doc.get("by_condition", {}).get(group, {}).get(value)


def method_name(doc: Mapping[str, Any]) -> str:
    """The method named in the archive's manifest, else ``predictions``."""
    manifest = (doc.get("archive") or {}).get("manifest") or {}
    for key in ("method", "name", "method_name"):
        if isinstance(manifest.get(key), str) and manifest[key].strip():
            return manifest[key].strip()
    return "predictions"


def _table2_row(doc: Mapping[str, Any]) -> list[str]:
    row = [method_name(doc)]
    for group, value, _ in _TABLE2:
        cell = _cell(doc, group, value)
        row += [pct(cell.get(m)) if cell else "n/a" for m in _METRICS]
    return row


def _group_rows(doc: Mapping[str, Any], group: str) -> list[list[str]]:
    return [
        [value, *(pct(cell.get(m)) for m in _METRICS), str(cell["num_images"]), str(cell["num_anomaly_pixels"])]
        for value, cell in doc.get("by_condition", {}).get(group, {}).items()
    ]


def _aligned(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    return "\n".join([fmt(header), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows)])


def _title(doc: Mapping[str, Any]) -> str:
    ds = doc.get("dataset", {})
    st = doc.get("settings", {})
    return (
        f"ComsAmy pixel-level results: dataset {ds.get('name')} ({ds.get('num_images')} images, config "
        f"{ds.get('config')}, split {ds.get('split')}); scores ranked at {st.get('precision')}; AUPRC {st.get('auprc')},"
        f" FPR95 {st.get('fpr95')}; values in percent"
    )


def render_table(doc: Mapping[str, Any]) -> str:
    """Plain-text tables: Table II (clear / adverse / whole), then per weather and per landform."""
    spans = [label for _, _, label in _TABLE2]
    header = ["Method", *(f"{s.split()[0]} {_HEAD[m]}" for s in spans for m in _METRICS)]
    parts = [_title(doc), "", _aligned(header, [_table2_row(doc)])]
    for group in _PEOPLE_GROUPS:
        rows = _group_rows(doc, group)
        if rows:
            parts += ["", _aligned([group.capitalize(), *(_HEAD[m] for m in _METRICS), "images", "anomaly px"], rows)]
    return "\n".join(parts) + "\n"


def _md(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)


def render_markdown(doc: Mapping[str, Any]) -> str:
    """Markdown: Table II, then one table per condition group (weather, landform, anomaly type, ...)."""
    spans = [label for _, _, label in _TABLE2]
    header = ["Method", *(f"{s} {_HEAD[m]}" for s in spans for m in _METRICS)]
    parts = [f"*{_title(doc)}*", "", _md(header, [_table2_row(doc)])]
    for group in doc.get("by_condition", {}):
        if group == "split":
            continue
        parts += ["", f"**{group.replace('_', ' ').capitalize()}**", "",
                  _md([group, *(_HEAD[m] for m in _METRICS), "images", "anomaly px"], _group_rows(doc, group))]
    return "\n".join(parts) + "\n"


def render_csv(doc: Mapping[str, Any]) -> str:
    """CSV, one row per condition (``all`` first), fractions at full precision, empty where undefined."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["group", "value", *_METRICS, *_COUNTS])
    rows = [("all", "all", doc["overall"])]
    rows += [(g, v, cell) for g, values in doc.get("by_condition", {}).items() for v, cell in values.items()]
    for group, value, cell in rows:
        writer.writerow([group, value, *("" if cell.get(m) is None else repr(float(cell[m])) for m in _METRICS),
                         *(cell.get(c) for c in _COUNTS)])
    return buf.getvalue()


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    r"""Escape LaTeX special characters.

    >>> latex_escape("urban_road & 50%")
    'urban\\_road \\& 50\\%'
    """
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def render_latex(doc: Mapping[str, Any]) -> str:
    """LaTeX (booktabs): Table II, then one row per weather and landform."""
    mhead = r"AUPRC $\uparrow$ & FPR$_{95}$ $\downarrow$ & AUROC $\uparrow$"
    spans = " & ".join(rf"\multicolumn{{3}}{{c}}{{{label}}}" for _, _, label in _TABLE2)
    row = _table2_row(doc)
    lines = [
        f"% {_title(doc)}",
        r"\begin{tabular}{l" + "c" * 9 + "}", r"\toprule",
        rf"Method & {spans} \\",
        r"\cmidrule(lr){2-4}\cmidrule(lr){5-7}\cmidrule(lr){8-10}",
        rf" & {mhead} & {mhead} & {mhead} \\", r"\midrule",
        " & ".join([latex_escape(row[0]), *row[1:]]) + r" \\", r"\bottomrule", r"\end{tabular}",
    ]
    for group in _PEOPLE_GROUPS:
        rows = _group_rows(doc, group)
        if not rows:
            continue
        lines += ["", r"\begin{tabular}{lccccc}", r"\toprule",
                  rf"{group.capitalize()} & {mhead} & images & anomaly px \\", r"\midrule"]
        lines += [" & ".join([latex_escape(r[0]), *r[1:]]) + r" \\" for r in rows]
        lines += [r"\bottomrule", r"\end{tabular}"]
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
