"""Leaderboard page: the ranked table (Table II layout first) filling the page, CSV export, reference rows apart."""

from __future__ import annotations

import streamlit as st

from leaderboard.reference import PAPER
from leaderboard.table import (
    REPORTED,
    auprc_col,
    board_columns,
    higher_is_better,
    metric_columns,
    reference_table,
    sort_table,
    to_csv,
)
from leaderboard.views.common import Context, board_data, method_link

ROW_PX = 35
MAX_ROWS_IN_VIEW = 60


def _height(rows: int) -> int:
    return ROW_PX * (min(rows, MAX_ROWS_IN_VIEW) + 1) + 3


def render(ctx: Context) -> None:
    """Draw the leaderboard."""
    st.title("ComsAmy leaderboard")
    st.caption(
        "Pixel-level anomaly segmentation under clear and adverse weather. AUPRC and AUROC: higher is better "
        "(↑); FPR95: lower is better (↓). Percent, pooled over the pixels of each condition. Conditions with "
        f"fewer than {ctx.min_images} images are not published."
    )
    entries, table = board_data(ctx)
    left, right = st.columns([3, 1])
    metric = left.selectbox(
        "Rank by", metric_columns(), index=metric_columns().index(auprc_col("Whole")), key="board_sort"
    )
    df = sort_table(table, metric)
    df["Page"] = [method_link(i) for i in df["Submission"]]
    right.download_button(
        "Download CSV", to_csv(df), file_name="comsamy_leaderboard.csv", mime="text/csv", key="board_csv"
    )
    direction = "higher is better" if higher_is_better(metric) else "lower is better"
    st.text(f"{len(entries)} scored submission(s), ranked by {metric} ({direction}).")
    cfg = {c: st.column_config.NumberColumn(c, format="%.2f") for c in metric_columns()}
    cfg["Rank"] = st.column_config.NumberColumn("Rank", format="%d", pinned=True, width=60)
    cfg["Method"] = st.column_config.TextColumn("Method", pinned=True, width="medium")
    cfg[metric] = st.column_config.NumberColumn(metric, format="%.2f", pinned=True)
    cfg["Date"] = st.column_config.TextColumn("Date", width=100)
    cfg["Whole images"] = st.column_config.NumberColumn("Whole images", format="%d")
    cfg["Page"] = st.column_config.LinkColumn("Page", display_text="open", width=70)
    st.dataframe(
        df,
        hide_index=True,
        column_order=board_columns(metric),
        column_config=cfg,
        width="stretch",
        height=_height(len(df)),
        placeholder="",
        key="board_table",
    )
    st.subheader("Reported in the paper")
    st.caption(
        f"{PAPER}: {REPORTED}. Shown apart: these numbers come from the real 468 test images, not from the "
        "data this server scores against, so they are not ranked with the rows above."
    )
    ref = reference_table()
    st.dataframe(
        ref,
        hide_index=True,
        width="stretch",
        height=_height(len(ref)),
        placeholder="",
        column_config={c: st.column_config.NumberColumn(c, format="%.2f") for c in ref.columns[2:]},
        key="board_reference",
    )
