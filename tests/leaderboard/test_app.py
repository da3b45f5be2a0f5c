"""The pages through streamlit.testing.v1.AppTest: table, submit form (upload, pre-fill), status, detail."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

import leaderboard
from comsamy.errors import UsageError
from leaderboard.manifest import SubmissionInfo
from leaderboard.scoring import ComsamyScorer
from leaderboard.store import Result, Submission
from leaderboard.store.repo import public_entries
from leaderboard.submit import submit_archive
from leaderboard.table import build_table, fpr_col, sort_table, to_csv
from leaderboard.tokens import create_token
from leaderboard.worker import Worker
from tests.leaderboard.fakes import archive_bytes, noisy_scores, npy_zip, tiny_dataset, tiny_labels

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
        sids.append(
            submit_archive(
                engine,
                settings,
                token=token,
                fileobj=io.BytesIO(raw),
                info=SubmissionInfo(method=f"noise {noise}", visibility=vis),
            ).submission_id
        )
    Worker(engine, settings, scorer).run(once=True)
    other = create_token(engine, "team-b")
    bad = {"img_00.npy": b"garbage"}
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as zf:
        for k, v in bad.items():
            zf.writestr(k, v)
    sids.append(
        submit_archive(engine, settings, token=other, fileobj=buf, info=SubmissionInfo(method="broken")).submission_id
    )
    Worker(engine, settings, scorer).run(once=True)
    return sids


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    if page:
        at.sidebar.radio[0].set_value(page).run()
        assert not at.exception, at.exception
    return at


def _errors(at: AppTest) -> list[str]:
    """The error messages as the visitor reads them (Markdown escapes removed)."""
    return [re.sub(r"\\(.)", r"\1", str(e.value)) for e in at.error]


def _texts(at: AppTest) -> str:
    parts = []
    for kind in ("title", "markdown", "text", "caption", "error", "info", "success", "code", "subheader"):
        parts += [str(e.value) for e in at.get(kind)]
    for df in at.dataframe:
        parts.append(df.value.to_csv())
    return "\n".join(parts)


def test_board_table_sorting_and_visibility(app_env, engine, scored):
    at = _app()
    df = at.dataframe[0].value
    assert list(df["Method"]) == ["noise 0.3", "noise 1.0"]  # private one hidden, better first
    assert list(df["Team"]) == ["team-a", "anonymous"]
    whole = df["Whole AUPRC ↑"].tolist()
    assert whole == sorted(whole, reverse=True)
    order = list(at.dataframe[0].proto.column_order)
    assert order[:3] == ["Rank", "Method", "Whole AUPRC ↑"]  # the ranking metric next to the method
    at.selectbox(key="board_sort").set_value(fpr_col("Whole")).run()
    fpr = at.dataframe[0].value["Whole FPR95 ↓"].tolist()
    assert fpr == sorted(fpr)
    assert list(at.dataframe[0].proto.column_order)[:3] == ["Rank", "Method", "Whole FPR95 ↓"]
    with Session(engine) as s:
        res = json.loads(s.scalar(select(Result.results_json).where(Result.submission_id == scored[0])))
    best = at.dataframe[0].value.sort_values("Whole AUPRC ↑", ascending=False).iloc[0]
    assert best["Whole AUPRC ↑"] == round(100 * res["overall"]["auprc"], 2)
    assert "comsamy" in best["Scorer"] and best["Whole images"] == 8
    assert best["Page"] == f"./?page=method&id={scored[0]}"
    # the paper's rows are a table of their own, never ranked with scored rows
    ref = at.dataframe[1].value
    assert len(ref) == 8 and "Rank" not in ref.columns
    assert not set(ref["Method"]) & set(df["Method"])


def test_csv_export_blank_cells_integer_ids_auroc_no_pixel_counts(engine, scored):
    df = build_table(public_entries(engine))
    text = to_csv(df).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(df) == 2
    assert "Whole AUROC ↑" in rows[0] and "Fog AUPRC ↑" in rows[0]
    assert rows[0]["Submission"] == str(scored[0]) and rows[0]["Rank"] == "1"  # integers, not 1.0
    assert "None" not in text and "nan" not in text.lower()
    assert rows[0]["Fog AUPRC ↑"] == ""  # one fog image: not published, a blank cell
    assert not [c for c in rows[0] if " px" in c]  # no pixel counts of the hidden data
    ranked = sort_table(df, fpr_col("Whole"))
    assert ranked["Rank"].iloc[0] == 1


def test_csv_cells_that_start_a_formula_are_quoted(engine, settings, token, scored):
    from leaderboard.store.repo import public_entries as entries

    with Session(engine) as s, s.begin():
        s.get(Submission, scored[0]).method = '=HYPERLINK("http://evil")'
        s.get(Submission, scored[1]).method = "@SUM(A1)"
    rows = list(csv.DictReader(io.StringIO(to_csv(build_table(entries(engine))).decode())))
    assert {r["Method"] for r in rows} == {'\'=HYPERLINK("http://evil")', "'@SUM(A1)"}
    assert all(not v.startswith(("=", "+", "@")) for r in rows for v in r.values())


def test_submit_form_prefill_and_queue(app_env, engine, token, labels):
    at = _app("Submit")
    at.text_input(key="submit_token").input(token)
    raw = npy_zip(
        noisy_scores(labels, 0.5), manifest={"method": "From manifest", "backbone": "R50", "outlier_data": True}
    )
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


@pytest.mark.parametrize(
    "case", ["wrong_token", "huge_token_id", "no_file", "oversized", "bad_link", "not_zip", "empty"]
)
def test_submit_rejections_queue_nothing(app_env, engine, token, case):
    at = _app("Submit")
    tokens = {"wrong_token": "clb_1_" + "x" * 30, "huge_token_id": "clb_" + "9" * 400 + "_" + "x" * 30}
    at.text_input(key="submit_token").input(tokens.get(case, token))
    if case != "no_file":
        size = app_env.max_upload_bytes + 10 if case == "oversized" else 100
        body = {"empty": b"", "not_zip": b"%PDF-1.4 " + b"x" * 200}.get(case, b"\0" * size)
        at.get("file_uploader")[0].upload("preds.zip", body, "application/zip")
        at.run()
    at.text_input(key="submit_method").input("m")
    if case == "bad_link":
        at.text_input(key="submit_paper_url").input("javascript:alert(1)")
    at.button[0].click().run()
    expected = {
        "wrong_token": "invalid or revoked",
        "huge_token_id": "invalid or revoked",
        "no_file": "got no upload",
        "oversized": "at most 1 MB",
        "bad_link": "paper_url: expected",
        "not_zip": "preds.zip: expected a .zip archive",
        "empty": "preds.zip: expected a .zip archive",
    }[case]
    assert any(expected in e for e in _errors(at)), _errors(at)
    assert "Traceback" not in _texts(at)
    with Session(engine) as s:
        assert s.scalars(select(Submission)).all() == []


def test_quota_exceeded_on_page(app_env, engine, token):
    for i in range(app_env.quota):
        submit_archive(
            engine, app_env, token=token, fileobj=io.BytesIO(archive_bytes(i)), info=SubmissionInfo(method="m")
        )
    at = _app("Submit")
    at.text_input(key="submit_token").input(token)
    at.get("file_uploader")[0].upload("preds.zip", archive_bytes(99), "application/zip")
    at.run()
    at.text_input(key="submit_method").input("m")
    at.button[0].click().run()
    assert any("quota: expected at most 3" in e for e in _errors(at))


def test_status_page(app_env, engine, token, scored):
    at = _app("My submissions")
    at.text_input(key="status_token").input(token).run()
    text = _texts(at)
    assert "Team team-a: 3 submission(s)" in text and "noise 2.0" in text  # private shown to its team
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
        submit_archive(
            engine, app_env, token=token, fileobj=io.BytesIO(archive_bytes(i)), info=SubmissionInfo(method="m")
        )
    at = _app("My submissions")
    at.text_input(key="status_token").input(token).run()
    text = _texts(at)
    assert "Queue position: 1" in text and "Queue position: 2" in text
    assert "refreshes every 3 s" in text  # a pending job: the list refreshes itself


def test_method_page_and_no_ground_truth_leak(app_env, engine, token, scored, labels):
    at = _app("Method")
    assert len(at.dataframe) == 2  # the two public methods, one table each
    rows = at.dataframe[0].value
    assert set(rows["group"]) == {"overall", "split"}  # 8 images: weathers, landforms, anomaly types too small
    assert (rows["images"] >= app_env.min_condition_images).all()
    pages = [_texts(at)]
    for page in ("Leaderboard", "Submit"):
        at.sidebar.radio[0].set_value(page).run()
        pages.append(_texts(at))
    pages.append(to_csv(build_table(public_entries(engine))).decode())
    everything = "\n".join(pages)
    assert not at.get("imgs")
    for image_id, lab in labels.items():
        # nothing per image: no image id, no label row anywhere public
        assert image_id not in everything
        assert " ".join(map(str, lab[0])) not in everything
    # what pages receive holds only the published keys
    from leaderboard.publish import PUBLIC_METRICS

    for entry in public_entries(engine):
        conds = [entry.results["overall"], *(m for g in entry.results["by_condition"].values() for m in g.values())]
        assert all(set(m) <= {*PUBLIC_METRICS, "num_images"} for m in conds)


def test_method_permalink_shows_one_method_plain_text(app_env, engine, scored):
    with Session(engine) as s, s.begin():
        sub = s.get(Submission, scored[1])
        sub.method = "Evil ![x](http://evil.example/pixel.png) \u202egnp"
        sub.description = "**bold** [link](http://evil.example) \u200b"
        sub.paper_url = "https://arxiv.org/abs/1234"
        sub.code_url = "javascript:alert(1)"
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["page"] = "method"
    at.query_params["id"] = str(scored[1])
    at.run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1  # just this method
    markdown = "\n".join(str(m.value) for m in at.markdown)
    assert "evil.example" not in markdown and "![" not in markdown  # never rendered as Markdown
    texts = [str(t.value) for t in at.text]
    assert "**bold** [link](http://evil.example)" in "\n".join(texts)  # shown verbatim, as plain text
    assert not any("\u202e" in t or "\u200b" in t for t in texts)
    links = [b.proto.url for b in at.get("link_button")]
    assert links == ["https://arxiv.org/abs/1234"]  # the javascript: link is dropped


def test_owner_withdraws_and_changes_visibility(app_env, engine, token, scored):
    at = _app("My submissions")
    at.text_input(key="status_token").input(token).run()
    private = scored[2]
    at.get("button_group")[0]  # the visibility controls are there
    from leaderboard.owner import set_visibility, withdraw

    set_visibility(engine, token, private, "public")
    assert private in {e.submission_id for e in public_entries(engine)}
    withdraw(engine, token, scored[0])
    assert scored[0] not in {e.submission_id for e in public_entries(engine)}
    at.run()
    assert "withdrawn" in _texts(at)
    other = create_token(engine, "team-c")
    with pytest.raises(UsageError, match="expected one of your team's submissions"):
        withdraw(engine, other, scored[1])
    with pytest.raises(UsageError, match="visibility: expected one of"):
        set_visibility(engine, token, scored[1], "secret")
    with pytest.raises(UsageError, match="expected it queued or scored or failed, got withdrawn"):
        set_visibility(engine, token, scored[0], "public")


def test_owner_withdraws_through_the_page(app_env, engine, token, scored):
    at = _app("My submissions")
    at.text_input(key="status_token").input(token).run()
    at.button(key=f"withdraw_{scored[0]}").click().run()
    assert not at.exception, at.exception
    with Session(engine) as s:
        assert s.get(Submission, scored[0]).status == "withdrawn"


def test_sidebar_names_ground_truth_without_the_server_path(tmp_path):
    from leaderboard.app import public_data_name

    folder = tmp_path / "secret-mount" / "comsamy-gt"
    folder.mkdir(parents=True)
    assert public_data_name(str(folder)) == "comsamy-gt"
    assert public_data_name("org/comsamy") == "org/comsamy"  # a Hub id is public already
    assert public_data_name("sample") == "sample"


def test_board_cache_reads_only_new_results(engine, settings, token, scored, monkeypatch):
    from leaderboard.store import repo

    known: dict = {}
    first = public_entries(engine, known=known)
    assert [e.submission_id for e in first] == [e.submission_id for e in public_entries(engine)]
    read = []
    real = repo._entry
    monkeypatch.setattr(repo, "_entry", lambda *a, **k: read.append(a[0].id) or real(*a, **k))
    from leaderboard.owner import set_visibility

    set_visibility(engine, token, scored[2], "public")  # the private one joins the board
    again = public_entries(engine, known=known)
    assert read == [scored[2]] and len(again) == 3
    before = repo.board_version(engine)
    set_visibility(engine, token, scored[0], "anonymous")
    assert repo.board_version(engine) != before  # a visibility change invalidates the cached board
