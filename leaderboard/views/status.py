"""My submissions: token -> the team's submissions with status, queue position, worker heartbeat, failures."""

from __future__ import annotations

import streamlit as st

from comsamy.errors import ComsamyError
from leaderboard.store import queue
from leaderboard.store.repo import team_submissions
from leaderboard.tokens import verify_token
from leaderboard.views.common import Context, ago, pct, when


def render(ctx: Context) -> None:
    """Draw the status page."""
    st.title("My submissions")
    token = st.text_input("Team token", type="password", key="status_token")
    st.button("Refresh", key="status_refresh")
    last_seen = queue.worker_last_seen(ctx.engine)
    st.caption(f"Scoring worker last seen: {ago(last_seen)}.")
    if not token:
        st.info("Enter your team token to see your submissions (private ones included).")
        return
    try:
        ident = verify_token(ctx.engine, token)
    except ComsamyError as exc:
        st.error(str(exc))
        return
    subs = team_submissions(ctx.engine, ident.team_id)
    st.markdown(f"Team **{ident.team}**: {len(subs)} submission(s).")
    for sub in subs:
        _submission(ctx, sub)


def _submission(ctx: Context, sub) -> None:
    icon = {"queued": ":material/hourglass_top:", "running": ":material/sync:", "scored": ":material/check_circle:",
            "failed": ":material/error:"}[sub.status]
    with st.container(border=True):
        st.markdown(f"{icon} **#{sub.submission_id} {sub.method}** — `{sub.status}` · {sub.visibility} · "
                    f"submitted {when(sub.created_at)}")
        if sub.status == "queued":
            pos = queue.queue_position(ctx.engine, sub.submission_id)
            st.markdown(f"Queue position: **{pos}**" + (f" (attempt {sub.attempts + 1})" if sub.attempts else ""))
        elif sub.status == "running":
            st.markdown(f"Scoring since {when(sub.started_at)}; worker heartbeat {ago(sub.heartbeat_at)} "
                        f"(attempt {sub.attempts}).")
        elif sub.status == "scored" and sub.overall:
            o = sub.overall
            st.markdown(f"Finished {when(sub.finished_at)}: whole-set AUPRC **{pct(o.get('auprc'))}**, "
                        f"FPR95 **{pct(o.get('fpr95'))}**, AUROC {pct(o.get('auroc'))} "
                        f"({o.get('num_images')} images).")
        elif sub.status == "failed":
            st.error("The submission could not be scored:")
            st.code(sub.error or "unknown reason", language=None)
