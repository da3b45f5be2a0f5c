"""Method page (permalink ``?page=method&id=N``): description, links, flags, per-condition tables, bars, curves.

Everything shown comes from published entries (:mod:`leaderboard.publish`): conditions with enough images,
metrics without pixel counts, curves at the scorer's fixed levels only. User text is plain text; links are
re-parsed and shown as link buttons.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from comsamy.presentation import metric_heading, pct_value
from leaderboard.charts import curve_chart, label_of, weather_bars, weather_frame
from leaderboard.safetext import clean_text, safe_url
from leaderboard.store.repo import Entry, entries_by_id
from leaderboard.views.common import Context, board_data

METRICS = tuple((metric_heading(m), m) for m in ("auprc", "fpr95", "auroc", "tpr_at_5fpr"))


def condition_rows(entry: Entry) -> list[dict[str, Any]]:
    """One row per published condition (overall, splits, weathers, landforms, anomaly types): aggregates only."""
    res = entry.results
    items = [("overall", "all", res.get("overall"))] if res.get("overall") else []
    for group, values in (res.get("by_condition") or {}).items():
        items += [(group, value, m) for value, m in values.items()]
    return [
        {
            "group": g,
            "condition": v,
            **{label: pct_value(m.get(key)) for label, key in METRICS},
            "images": m.get("num_images"),
        }
        for g, v, m in items
    ]


def condition_table(entry: Entry, *, key: str) -> None:
    """The per-condition table of one entry."""
    fmt = {label: st.column_config.NumberColumn(label, format="%.2f") for label, _ in METRICS}
    rows = condition_rows(entry)
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        key=key,
        column_config=fmt,
        placeholder="",
        height=35 * (len(rows) + 1) + 3,
    )


def method_header(entry: Entry) -> None:
    """Name, description, flags and links of one method, all as plain text."""
    st.subheader(clean_text(entry.method))
    facts = [
        f"team {clean_text(entry.team)}",
        f"scored {time.strftime('%Y-%m-%d', time.gmtime(entry.finished_at))}",
        f"data {clean_text(entry.data_revision)}",
        f"scorer comsamy {clean_text(entry.scorer_version)}",
        f"backbone {clean_text(entry.backbone) or 'not given'}",
        f"extra data {'yes' if entry.extra_data else 'no'}",
        f"outlier data {'yes' if entry.outlier_data else 'no'}",
    ]
    st.text(" · ".join(facts))
    if entry.description:
        st.text(clean_text(entry.description, multiline=True))
    links = [(name, safe_url(url)) for name, url in (("Paper", entry.paper_url), ("Code", entry.code_url)) if url]
    cols = st.columns(max(1, len(links)) + 3)
    for col, (name, url) in zip(cols, links, strict=False):
        if url:
            col.link_button(name, url)


def _chosen(ctx: Context, entries: list[Entry]) -> list[int]:
    by_label = {label_of(e): e.submission_id for e in entries}
    ids = [e.submission_id for e in entries]
    default: list[int] = []
    raw = st.query_params.get("id", "")
    if raw.isdigit() and len(raw) < 19 and int(raw) in ids:
        default = [int(raw)]
    else:
        ranked = sorted(entries, key=lambda e: -((e.results.get("overall") or {}).get("auprc") or 0.0))
        default = [e.submission_id for e in ranked[:3]]
    labels = {sid: label for label, sid in by_label.items()}
    chosen = st.multiselect("Methods", list(by_label), default=[labels[i] for i in default], key="detail_methods")
    return [by_label[c] for c in chosen]


def render(ctx: Context) -> None:
    """Draw the method page."""
    st.title("Method")
    entries, _ = board_data(ctx)
    if not entries:
        st.info("No scored public submissions yet.")
        return
    ids = _chosen(ctx, entries)
    selected = entries_by_id(ctx.engine, ids, min_images=ctx.min_images)  # curves only for the methods shown
    if not selected:
        st.info("Pick at least one method.")
        return
    for entry in selected:
        with st.container(border=True):
            method_header(entry)
            condition_table(entry, key=f"detail_table_{entry.submission_id}")
    st.subheader("Per weather")
    if weather_frame(selected).empty:
        st.info(f"No weather condition has the {ctx.min_images} images it needs to be published.")
    else:
        st.altair_chart(weather_bars(selected), width="content")
    st.subheader("Curves (whole set, at fixed recall / FPR levels)")
    c1, c2 = st.columns(2)
    c1.altair_chart(curve_chart(selected, "pr"), width="content", height=420)
    c2.altair_chart(curve_chart(selected, "roc"), width="content", height=420)
