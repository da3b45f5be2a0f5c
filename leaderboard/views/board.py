"""Leaderboard page: the ranked table (Table II layout first), sort per metric, CSV export."""

from __future__ import annotations

import streamlit as st

from leaderboard.store.repo import public_entries
from leaderboard.table import (
    REPORTED,
    build_table,
    display_columns,
    higher_is_better,
    metric_columns,
    sort_table,
    to_csv,
)
from leaderboard.views.common import Context


def render(ctx: Context) -> None:
    """Draw the leaderboard."""
    st.title("ComsAmy leaderboard")
    st.caption("Pixel-level anomaly segmentation under clear and adverse weather. AUPRC: higher is better (↑); "
               "FPR95: lower is better (↓). All numbers in percent, pooled over the pixels of each condition.")
    entries = public_entries(ctx.engine)
    left, mid, right = st.columns([2, 1, 1])
    metric = left.selectbox("Rank by", metric_columns(), index=metric_columns().index("Whole AUPRC ↑"),
                            key="board_sort")
    show_ref = mid.checkbox("Show the paper's Table II", value=True, key="board_ref",
                            help=f"Reference rows are marked '{REPORTED}': reported in the paper, not scored here.")
    df = sort_table(build_table(entries, reference=show_ref).drop(columns="Rank"), metric)
    right.download_button("Download CSV", to_csv(df), file_name="comsamy_leaderboard.csv", mime="text/csv",
                          key="board_csv")
    direction = "higher is better" if higher_is_better(metric) else "lower is better"
    st.markdown(f"**{len(entries)}** scored submission(s); ranked by **{metric}** ({direction}).")
    metric_cfg = {c: st.column_config.NumberColumn(c, format="%.2f") for c in metric_columns()}
    metric_cfg["Date"] = st.column_config.TextColumn("Date", width=100)
    metric_cfg["Source"] = st.column_config.TextColumn("Source", width="medium")
    st.dataframe(
        df, hide_index=True, column_order=["Rank", *display_columns()], column_config=metric_cfg,
        width="stretch", key="board_table",
    )
