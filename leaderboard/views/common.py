"""What every page needs: settings, the engine (migrated once per process), cached board data, formatting."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import streamlit as st

from comsamy.presentation import pct
from leaderboard.settings import Settings

__all__ = ["Context", "ago", "board_data", "get_context", "method_link", "pct", "when"]

log = logging.getLogger("leaderboard.app")


@dataclass(frozen=True)
class Context:
    """Settings and database engine of the running app."""

    settings: Settings
    engine: Any

    @property
    def min_images(self) -> int:
        """Smallest condition (in images) that pages may show."""
        return self.settings.min_condition_images

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view (settings only)."""
        return {"settings": self.settings.to_dict()}


@st.cache_resource(show_spinner=False)
def _engine(db_url: str) -> Any:
    from leaderboard.store import make_engine, migrate

    engine = make_engine(db_url)
    migrate(engine)
    return engine


def get_context() -> Context:
    """The app's context, from ``COMSAMY_LB_*`` env vars."""
    settings = Settings.from_env()
    return Context(settings, _engine(settings.db_url))


@st.cache_resource(show_spinner=False)
def _known_entries(db_url: str, min_images: int) -> dict[tuple[int, int], Any]:
    """Published entries already read, per process: a new result costs reading that one result only."""
    return {}


@st.cache_data(show_spinner=False, max_entries=8)
def _board(db_url: str, version: tuple[int, int, int], min_images: int) -> tuple[list[Any], Any]:
    """Entries (no curves) and the ranked table; ``version`` is the cache key (see ``board_version``)."""
    from leaderboard.store.repo import public_entries
    from leaderboard.table import build_table

    entries = public_entries(_engine(db_url), min_images=min_images, known=_known_entries(db_url, min_images))
    return entries, build_table(entries)


def board_data(ctx: Context) -> tuple[list[Any], Any]:
    """The public entries and their table, recomputed only when a result arrives or one changes."""
    from leaderboard.store.repo import board_version

    return _board(ctx.settings.db_url, board_version(ctx.engine), ctx.min_images)


def method_link(submission_id: int) -> str:
    """The permalink of a method page (relative to the app)."""
    return f"./?page=method&id={int(submission_id)}"


def ago(t: float | None, now: float | None = None) -> str:
    """``"12 s ago"`` style age of an epoch time, ``"never"`` for None."""
    if t is None:
        return "never"
    d = max(0.0, (time.time() if now is None else now) - t)
    if d < 120:
        return f"{d:.0f} s ago"
    if d < 7200:
        return f"{d / 60:.0f} min ago"
    if d < 172800:
        return f"{d / 3600:.0f} h ago"
    return f"{d / 86400:.0f} days ago"


def when(t: float | None) -> str:
    """UTC date and time of an epoch time, empty for None."""
    return "" if t is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))
