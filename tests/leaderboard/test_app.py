"""The pages through streamlit.testing.v1.AppTest: table, submit form (upload, pre-fill), status, detail."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

import leaderboard
from leaderboard.manifest import SubmissionInfo
from leaderboard.scoring import ComsamyScorer
from leaderboard.store import Result, Submission
from leaderboard.store.repo import public_entries
from leaderboard.submit import submit_archive
from leaderboard.table import REPORTED, build_table, fpr_col, sort_table, to_csv
from leaderboard.tokens import create_token
from leaderboard.worker import Worker
from tests.leaderboard.fakes import noisy_scores, npy_zip, tiny_dataset, tiny_labels

APP = str(Path(leaderboard.__file__).parent / "app.py")


@pytest.fixture
def app_env(monkeypatch, settings, engine):
    for key, value in settings.to_env().items():
        monkeypatch.setenv(key, value)
    return settings


@pytest.fixture(scope="module")
def labels():
    return tiny_labels(n=8, seed=5)


@pytest.fixture
def scored(engine, settings, token, labels):
    """Three real scorings of different quality (public, anonymous, private) plus one failure."""
    scorer = ComsamyScorer(tiny_dataset(labels), workers=1)
    sids = []
    for noise, vis in ((0.3, "public"), (1.0, "anonymous"), (2.0, "private")):
        raw = npy_zip(noisy_scores(labels, noise, seed=7))
        sids.append(submit_archive(engine, settings, token=token, fileobj=io.BytesIO(raw),
                                   info=SubmissionInfo(method=f"noise {noise}", visibility=vis)).submission_id)
    Worker(engine, settings, scorer).run(once=True)
    other = create_token(engine, "team-b")
    bad = {"img_00.npy": b"garbage"}
    buf = io.BytesIO()
    import zipfile
    with zipfile.ZipFile(buf, "w") as zf:
        for k, v in bad.items():
            zf.writestr(k, v)
    sids.append(submit_archive(engine, settings, token=other, fileobj=buf,
                               info=SubmissionInfo(method="broken")).submission_id)
    Worker(engine, settings, scorer).run(once=True)
    return sids


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    if page:
        at.sidebar.radio[0].set_value(page).run()
        assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    parts = []
    for kind in ("title", "markdown", "caption", "error", "info", "success", "code", "subheader"):
        parts += [str(e.value) for e in at.get(kind)]
    for df in at.dataframe:
        parts.append(df.value.to_csv())
    return "\n".join(parts)


def test_board_table_sorting_and_visibility(app_env, engine, scored):
    at = _app()
    df = at.dataframe[0].value
    scored_rows = df[df["Source"] == "scored"]
    assert list(scored_rows["Method"]) == ["noise 0.3", "noise 1.0"]  # private one hidden, better first
    assert list(scored_rows["Team"]) == ["team-a", "anonymous"]
    assert (df["Source"] == REPORTED).sum() == 8
    whole = df["Whole AUPRC ↑"].tolist()
    assert whole == sorted(whole, reverse=True)
    at.selectbox(key="board_sort").set_value(fpr_col("Whole")).run()
    fpr = at.dataframe[0].value["Whole FPR95 ↓"].tolist()
    assert fpr == sorted(fpr)
    with Session(engine) as s:
        res = json.loads(s.scalar(select(Result.results_json).where(Result.submission_id == scored[0])))
    assert scored_rows["Whole AUPRC ↑"].iloc[0] == round(100 * res["overall"]["auprc"], 2)
    assert "comsamy" in scored_rows["Scorer"].iloc[0] and scored_rows["Whole images"].iloc[0] == 8


def test_csv_export_has_every_row_and_counts(engine, scored):
    df = build_table(public_entries(engine))
    text = to_csv(df).decode()
    assert text.count("\n") == len(df) + 1 and "Whole anomaly px" in text and "Fog AUPRC ↑" in text
    ranked = sort_table(df.drop(columns="Rank"), fpr_col("Whole"))
    assert ranked["Rank"].iloc[0] == 1


def test_submit_form_prefill_and_queue(app_env, engine, token, labels):
    at = _app("Submit")
    at.text_input(key="submit_token").input(token)
    raw = npy_zip(noisy_scores(labels, 0.5), manifest={"method": "From manifest", "backbone": "R50",
                                                         "outlier_data": True})
    at.get("file_uploader")[0].upload("preds.zip", raw, "application/zip")
    at.run()
    assert at.text_input(key="submit_method").value == "From manifest"
    assert at.text_input(key="submit_backbone").value == "R50"
    assert at.checkbox(key="submit_outlier_data").value is True
    at.button[0].click().run()  # the form's submit button
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "queued" in at.success[0].value
    with Session(engine) as s:
        sub = s.scalars(select(Submission)).one()
    assert (sub.method, sub.backbone, sub.outlier_data, sub.status) == ("From manifest", "R50", True, "queued")


@pytest.mark.parametrize("case", ["wrong_token", "no_file", "oversized", "bad_link"])
def test_submit_rejections_queue_nothing(app_env, engine, token, case):
    at = _app("Submit")
    at.text_input(key="submit_token").input("clb_1_" + "x" * 30 if case == "wrong_token" else token)
    if case != "no_file":
        size = app_env.max_upload_bytes + 10 if case == "oversized" else 100
        at.get("file_uploader")[0].upload("preds.zip", b"\0" * size, "application/zip")
        at.run()
    at.text_input(key="submit_method").input("m")
    if case == "bad_link":
        at.text_input(key="submit_paper_url").input("javascript:alert(1)")
    at.button[0].click().run()
    expected = {"wrong_token": "invalid or revoked", "no_file": "got no upload", "oversized": "at most 1 MB",
                "bad_link": "paper_url: expected"}[case]
    assert any(expected in e.value for e in at.error), [e.value for e in at.error]
    assert "Traceback" not in _texts(at)
    with Session(engine) as s:
        assert s.scalars(select(Submission)).all() == []


def test_quota_exceeded_on_page(app_env, engine, token):
    for i in range(app_env.quota):
        submit_archive(engine, app_env, token=token, fileobj=io.BytesIO(archive_bytes(i)), info=SubmissionInfo(method="m"))
    at = _app("Submit")
    at.text_input(key="submit_token").input(token)
    at.get("file_uploader")[0].upload("preds.zip", b"another", "application/zip")
    at.run()
    at.text_input(key="submit_method").input("m")
    at.button[0].click().run()
    assert any("quota: expected at most 3" in e.value for e in at.error)


def test_status_page(app_env, engine, token, scored):
    at = _app("My submissions")
    at.text_input(key="status_token").input(token).run()
    text = _texts(at)
    assert "Team **team-a**: 3 submission(s)" in text and "noise 2.0" in text  # private shown to its team
    assert "broken" not in text  # another team's submission is not
    assert "Scoring worker last seen" in text
    other = create_token(engine, "team-b")
    at.text_input(key="status_token").input(other).run()
    assert at.error and "garbage" not in at.error[0].value
    assert "img_00.npy" in at.code[0].value and "Traceback" not in at.code[0].value
    at.text_input(key="status_token").input("nonsense").run()
    assert "invalid or revoked" in at.error[0].value


def test_status_queue_position(app_env, engine, token):
    for i in range(2):
        submit_archive(engine, app_env, token=token, fileobj=io.BytesIO(archive_bytes(i)), info=SubmissionInfo(method="m"))
    at = _app("My submissions")
    at.text_input(key="status_token").input(token).run()
    text = _texts(at)
    assert "Queue position: **1**" in text and "Queue position: **2**" in text


def test_detail_page_and_no_ground_truth_leak(app_env, engine, token, scored, labels):
    at = _app("Method detail")
    assert len(at.dataframe) == 1
    rows = at.dataframe[0].value
    assert {"overall", "split", "weather", "landform", "anomaly_type"} <= set(rows["group"])
    pages = [_texts(at)]
    for page in ("Leaderboard", "Submit"):
        at.sidebar.radio[0].set_value(page).run()
        pages.append(_texts(at))
    pages.append(to_csv(build_table(public_entries(engine))).decode())
    with Session(engine) as s:
        for r in s.scalars(select(Result)):
            pages += [r.results_json, r.curves_json]
    everything = "\n".join(pages)
    assert not at.get("imgs")
    for image_id, lab in labels.items():
        # nothing per image: no image id, no label row, no per-image pixel count anywhere public
        assert image_id not in everything
        assert " ".join(map(str, lab[0])) not in everything
    # results hold condition aggregates only
    with Session(engine) as s:
        docs = [json.loads(r) for r in s.scalars(select(Result.results_json))]
    assert len(docs) == 3
    for doc in docs:
        assert set(doc) == {"version", "dataset", "archive", "settings", "overall", "by_condition"}
        for group in doc["by_condition"].values():
            for m in group.values():
                assert set(m) == {"auprc", "fpr95", "auroc", "num_images", "num_anomaly_pixels",
                                  "num_inlier_pixels", "num_void_pixels"}


def test_sidebar_names_ground_truth_without_the_server_path(tmp_path):
    from leaderboard.app import public_data_name

    folder = tmp_path / "secret-mount" / "comsamy-gt"
    folder.mkdir(parents=True)
    assert public_data_name(str(folder)) == "comsamy-gt"
    assert public_data_name("org/comsamy") == "org/comsamy"  # a Hub id is public already
    assert public_data_name("sample") == "sample"
