"""Submit page: token, archive upload (spooled to disk while hashed), form pre-filled from manifest.json."""

from __future__ import annotations

import streamlit as st

from comsamy.errors import ComsamyError
from leaderboard.manifest import SubmissionInfo, read_manifest
from leaderboard.safetext import md_escape
from leaderboard.submit import submit_archive
from leaderboard.views.common import Context, log
from leaderboard.vocab import Visibility

FIELDS = ("method", "description", "paper_url", "code_url", "backbone", "extra_data", "outlier_data")


def _prefill(uploaded) -> None:
    """Copy the manifest's values into the form once per newly uploaded file."""
    marker = f"{uploaded.name}:{uploaded.size}:{getattr(uploaded, 'file_id', '')}"
    if st.session_state.get("submit_prefilled") == marker:
        return
    st.session_state["submit_prefilled"] = marker
    values = read_manifest(uploaded)
    for field in FIELDS:
        if field in values:
            st.session_state[f"submit_{field}"] = values[field]
    if values:
        st.session_state["submit_prefill_note"] = f"Pre-filled from manifest.json: {', '.join(sorted(values))}."


def render(ctx: Context) -> None:
    """Draw the submission form and handle a submission."""
    s = ctx.settings
    st.title("Submit predictions")
    st.markdown(
        f"Upload a zip with one score map per test image (`<id>.npy`, float16, label size). The archive is "
        f"validated and scored by a worker against ground truth you never see; the status page shows progress. "
        f"Limits: **{s.max_upload_mb} MB** per upload, **{s.quota}** scorings per team per "
        f"**{s.quota_window_h:g} h**."
    )
    token = st.text_input(
        "Team token",
        type="password",
        key="submit_token",
        help="Issued by the operator: comsamy-leaderboard token create TEAM",
    )
    uploaded = st.file_uploader(
        "Prediction archive (.zip)", type=["zip"], key="submit_file", max_upload_size=s.max_upload_mb
    )
    if uploaded is not None:
        _prefill(uploaded)
        if note := st.session_state.get("submit_prefill_note"):
            st.info(note)
    with st.form("submit_form"):
        st.text_input("Method name *", key="submit_method")
        st.text_area("Description", key="submit_description")
        c1, c2 = st.columns(2)
        c1.text_input("Paper link", key="submit_paper_url", placeholder="https://...")
        c2.text_input("Code link", key="submit_code_url", placeholder="https://...")
        st.text_input("Backbone", key="submit_backbone")
        c3, c4 = st.columns(2)
        c3.checkbox("Extra training data", key="submit_extra_data")
        c4.checkbox("Outlier (OoD) training data", key="submit_outlier_data")
        st.radio(
            "Visibility",
            [v.value for v in Visibility],
            index=1,
            horizontal=True,
            key="submit_visibility",
            help="private: only your team sees it; public: on the board with your team; anonymous: on the "
            "board without your team's name.",
        )
        clicked = st.form_submit_button("Submit", type="primary")
    if clicked:
        _handle(ctx, token, uploaded)


def _handle(ctx: Context, token: str, uploaded) -> None:
    if uploaded is None:
        st.error("archive: expected a .zip file, got no upload")
        return
    if uploaded.size > ctx.settings.max_upload_bytes:
        st.error(f"archive: expected at most {ctx.settings.max_upload_mb} MB, got {uploaded.size / 2**20:.1f} MB")
        return
    state = st.session_state
    info = SubmissionInfo(
        **{f: state.get(f"submit_{f}", SubmissionInfo.__dataclass_fields__[f].default) for f in (*FIELDS, "visibility")}
    )
    try:
        receipt = submit_archive(
            ctx.engine, ctx.settings, token=token, fileobj=uploaded, info=info, filename=uploaded.name
        )
    except ComsamyError as exc:
        st.error(md_escape(str(exc)))
        return
    except Exception:  # the operator's log gets the traceback, the user a short message
        log.exception("submission failed")
        st.error("The server could not store your submission; please try again later.")
        return
    st.success(
        f"Submission #{receipt.submission_id} queued for team {receipt.team} (archive sha256 "
        f"{receipt.archive_sha256[:12]}…, {receipt.archive_size / 2**20:.2f} MB). "
        f"{receipt.quota_left} scoring(s) left in the quota window. Follow it on the status page."
    )
    state["status_token"] = token
