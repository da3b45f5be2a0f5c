"""Streamlit entry point: ``streamlit run leaderboard/app.py`` (``comsamy-leaderboard serve`` does it for you).

Settings come from ``COMSAMY_LB_*`` env vars; a sidebar radio (or ``?page=``) picks the page.
"""

from __future__ import annotations

from pathlib import Path, PurePath

import streamlit as st

from leaderboard.views import board, detail, status, submit
from leaderboard.views.common import get_context

PAGES = {"Leaderboard": board, "Method": detail, "Submit": submit, "My submissions": status}
SLUGS = {
    "leaderboard": "Leaderboard",
    "method": "Method",
    "detail": "Method",
    "submit": "Submit",
    "status": "My submissions",
}


def public_data_name(data: str) -> str:
    """The ground truth's name as shown to visitors: a Hub id or a folder's name, never the server's path."""
    return PurePath(data).name if Path(data).exists() else data


def main() -> None:
    """Render the chosen page."""
    st.set_page_config(page_title="ComsAmy leaderboard", layout="wide")
    ctx = get_context()
    if "page" not in st.session_state:
        st.session_state["page"] = SLUGS.get(st.query_params.get("page", ""), "Leaderboard")
    page = st.sidebar.radio("Page", list(PAGES), key="page")
    st.sidebar.caption(
        f"Scoring against {public_data_name(ctx.settings.data)} ({ctx.settings.config} / {ctx.settings.split})."
    )
    PAGES[page].render(ctx)


if __name__ == "__main__":
    main()
