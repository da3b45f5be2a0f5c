"""Method detail: per-condition table, per-weather bars for the selected methods, PR and ROC curves."""

from __future__ import annotations

import streamlit as st

from leaderboard.charts import curve_chart, label_of, weather_bars
from leaderboard.store.repo import Entry, public_entries
from leaderboard.views.common import Context


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * float(value), 2)


def condition_rows(entry: Entry) -> list[dict]:
    """One row per condition (overall, splits, weathers, landforms, anomaly types), aggregates only."""
    res = entry.results
    items = [("overall", "all", res.get("overall") or {})]
    for group, values in (res.get("by_condition") or {}).items():
        items += [(group, value, m or {}) for value, m in values.items()]
    return [{"group": g, "condition": v, "AUPRC ↑": _pct(m.get("auprc")), "FPR95 ↓": _pct(m.get("fpr95")),
             "AUROC ↑": _pct(m.get("auroc")), "images": m.get("num_images"),
             "anomaly px": m.get("num_anomaly_pixels"), "inlier px": m.get("num_inlier_pixels"),
             "void px": m.get("num_void_pixels")} for g, v, m in items]


def render(ctx: Context) -> None:
    """Draw the method-detail page."""
    st.title("Method detail")
    entries = public_entries(ctx.engine)
    if not entries:
        st.info("No scored public submissions yet.")
        return
    by_label = {label_of(e): e for e in entries}
    ranked = sorted(entries, key=lambda e: -((e.results.get("overall") or {}).get("auprc") or 0.0))
    chosen = st.multiselect("Methods", list(by_label), default=[label_of(e) for e in ranked[:3]],
                            key="detail_methods")
    selected = [by_label[c] for c in chosen]
    if not selected:
        st.info("Pick at least one method.")
        return
    first = selected[0]
    st.subheader(f"{first.method} — per condition")
    meta = [f"team {first.team}", f"data {first.data_revision}", f"scorer comsamy {first.scorer_version}"]
    if first.backbone:
        meta.append(f"backbone {first.backbone}")
    for name, url in (("paper", first.paper_url), ("code", first.code_url)):
        if url:
            meta.append(f"[{name}]({url})")
    st.markdown(" · ".join(meta))
    fmt = {c: st.column_config.NumberColumn(c, format="%.2f") for c in ("AUPRC ↑", "FPR95 ↓", "AUROC ↑")}
    st.dataframe(condition_rows(first), hide_index=True, width="stretch", key="detail_table", column_config=fmt)
    st.subheader("Per weather")
    st.altair_chart(weather_bars(selected), width="content")
    st.subheader("Curves (whole set)")
    c1, c2 = st.columns(2)
    c1.altair_chart(curve_chart(selected, "pr"), width="content", height=420)
    c2.altair_chart(curve_chart(selected, "roc"), width="content", height=420)
