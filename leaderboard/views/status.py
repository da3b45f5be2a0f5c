"""My submissions: token -> the team's submissions with status, queue position, worker heartbeat, failures,
the full published per-condition breakdown of each scored one (private ones too), withdraw and visibility.

While a job of the team is queued or running, the list refreshes itself every :data:`REFRESH_S` seconds.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from comsamy.errors import ComsamyError
from leaderboard.owner import set_visibility, withdraw
from leaderboard.safetext import clean_text, md_escape
from leaderboard.store import queue
from leaderboard.store.repo import entries_by_id, team_submissions
from leaderboard.tokens import verify_token
from leaderboard.views.common import Context, ago, method_link, pct, when
from leaderboard.views.detail import condition_table
from leaderboard.vocab import JobStatus, Visibility

REFRESH_S = 3.0
ICON = {
    JobStatus.QUEUED: ":material/hourglass_top:",
    JobStatus.RUNNING: ":material/sync:",
    JobStatus.SCORED: ":material/check_circle:",
    JobStatus.FAILED: ":material/error:",
    JobStatus.WITHDRAWN: ":material/block:",
}


def render(ctx: Context) -> None:
    """Draw the status page."""
    st.title("My submissions")
    token = st.text_input("Team token", type="password", key="status_token")
    if not token:
        st.caption(f"Scoring worker last seen: {ago(queue.worker_last_seen(ctx.engine))}.")
        st.info("Enter your team token to see your submissions (private ones included).")
        return
    try:
        ident = verify_token(ctx.engine, token)
    except ComsamyError as exc:
        st.error(md_escape(str(exc)))
        return
    subs = team_submissions(ctx.engine, ident.team_id, min_images=ctx.min_images)
    pending = any(s.status in (JobStatus.QUEUED, JobStatus.RUNNING) for s in subs)
    _listing(ctx, token, ident.team_id, ident.team, every=REFRESH_S if pending else None)


def _listing(ctx: Context, token: str, team_id: int, team: str, *, every: float | None) -> None:
    @st.fragment(run_every=every)
    def body() -> None:
        st.caption(
            f"Scoring worker last seen: {ago(queue.worker_last_seen(ctx.engine))}."
            + (f" This list refreshes every {every:g} s while a job is pending." if every else "")
        )
        subs = team_submissions(ctx.engine, team_id, min_images=ctx.min_images)
        st.text(f"Team {clean_text(team)}: {len(subs)} submission(s).")
        scored = [s.submission_id for s in subs if s.status == JobStatus.SCORED]
        entries = {
            e.submission_id: e
            for e in entries_by_id(ctx.engine, scored, min_images=ctx.min_images, team_id=team_id, curves=False)
        }
        for sub in subs:
            _submission(ctx, token, sub, entries.get(sub.submission_id))

    body()


def _submission(ctx: Context, token: str, sub: Any, entry: Any) -> None:
    with st.container(border=True):
        st.markdown(f"{ICON.get(sub.status, '')} **#{int(sub.submission_id)}** `{JobStatus(sub.status).value}`")
        st.text(f"{clean_text(sub.method)} · {sub.visibility} · submitted {when(sub.created_at)}")
        if sub.status == JobStatus.QUEUED:
            pos = queue.queue_position(ctx.engine, sub.submission_id)
            st.text(f"Queue position: {pos}" + (f" (attempt {sub.attempts + 1})" if sub.attempts else ""))
        elif sub.status == JobStatus.RUNNING:
            st.text(
                f"Scoring since {when(sub.started_at)}; worker heartbeat {ago(sub.heartbeat_at)} "
                f"(attempt {sub.attempts})."
            )
        elif sub.status == JobStatus.SCORED and sub.overall:
            o = sub.overall
            st.text(
                f"Finished {when(sub.finished_at)}: whole-set AUPRC {pct(o.get('auprc'))}, "
                f"FPR95 {pct(o.get('fpr95'))}, AUROC {pct(o.get('auroc'))} ({o.get('num_images')} images)."
            )
            if entry is not None:
                with st.expander("Per-condition results (only your team sees private ones)"):
                    condition_table(entry, key=f"status_table_{sub.submission_id}")
            if sub.visibility != Visibility.PRIVATE:
                st.link_button("Method page", method_link(sub.submission_id))
        elif sub.status == JobStatus.FAILED:
            st.error("The submission could not be scored:")
            st.code(sub.error or "unknown reason", language=None)
        if sub.status in (JobStatus.QUEUED, JobStatus.SCORED, JobStatus.FAILED):
            _owner_controls(ctx, token, sub)


def _owner_controls(ctx: Context, token: str, sub: Any) -> None:
    sid = int(sub.submission_id)
    left, right = st.columns([3, 1])
    choices = [v.value for v in Visibility]
    new = left.segmented_control("Visibility", choices, default=sub.visibility, key=f"vis_{sid}")
    if new and new != sub.visibility:
        try:
            set_visibility(ctx.engine, token, sid, new)
            st.rerun()
        except ComsamyError as exc:
            st.error(md_escape(str(exc)))
    if right.button("Withdraw", key=f"withdraw_{sid}", help="Take it off the queue and the board for good"):
        try:
            withdraw(ctx.engine, token, sid)
            st.rerun()
        except ComsamyError as exc:
            st.error(md_escape(str(exc)))
