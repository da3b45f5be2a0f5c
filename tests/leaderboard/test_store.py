"""Store, migrations, tokens, storage and quotas."""

from __future__ import annotations

import hashlib
import io
import time
from typing import ClassVar

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from comsamy.errors import ConfigError, UsageError
from leaderboard.manifest import SubmissionInfo, read_manifest
from leaderboard.quotas import QuotaExceededError, quota_state
from leaderboard.storage import ArchiveStore, UploadTooLargeError
from leaderboard.store import Submission, Token, make_engine, migrate
from leaderboard.store.db import current_revision
from leaderboard.store.models import Base
from leaderboard.submit import submit_archive
from leaderboard.tokens import TokenError, create_token, revoke, verify_token
from tests.leaderboard.fakes import archive_bytes, npy_zip


def test_migration_matches_models_and_is_idempotent(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from leaderboard.store.db import HEAD_REVISION, alembic_config

    assert migrate(engine) == "0002" == current_revision(engine) == HEAD_REVISION
    assert ScriptDirectory.from_config(alembic_config(engine)).get_current_head() == HEAD_REVISION
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert set(inspect(engine).get_table_names()) >= {"teams", "tokens", "submissions", "results", "workers"}


def test_sqlite_pragmas(engine):
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_bad_db_url_is_a_config_error():
    with pytest.raises(ConfigError, match="--db: expected a database URL"):
        make_engine("not a url at all")


def test_token_roundtrip_only_hash_stored(engine):
    tok = create_token(engine, "team-a")
    ident = verify_token(engine, tok)
    assert ident.team == "team-a"
    with Session(engine) as s:
        row = s.scalars(select(Token)).one()
        secret = tok.split("_", 2)[2]
        assert secret not in (row.digest + row.salt)
        assert row.digest == hashlib.sha256(f"\x00{row.salt}\x00{secret}".encode()).hexdigest()
    # a second token for the same team; revoke by token then by team
    tok2 = create_token(engine, "team-a")
    assert revoke(engine, tok) == 1
    with pytest.raises(TokenError):
        verify_token(engine, tok)
    assert verify_token(engine, tok2).team == "team-a"
    assert revoke(engine, "team-a") == 1
    with pytest.raises(TokenError):
        verify_token(engine, tok2)


@pytest.mark.parametrize("bad", ["", "nonsense", "clb_1_short", "clb_999_" + "x" * 32])
def test_wrong_tokens_rejected(engine, token, bad):
    with pytest.raises(TokenError, match="invalid or revoked"):
        verify_token(engine, bad)
    # a tampered secret of a real token
    with pytest.raises(TokenError):
        verify_token(engine, token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_pepper_changes_digest(engine, monkeypatch):
    tok = create_token(engine, "peppered")
    monkeypatch.setenv("COMSAMY_LB_PEPPER", "other")
    with pytest.raises(TokenError):
        verify_token(engine, tok)


def test_bad_team_names(engine):
    for bad in ("", " ", "-x", "a" * 101, "semi;colon"):
        with pytest.raises(UsageError, match="team: expected"):
            create_token(engine, bad)
    with pytest.raises(UsageError, match="known team"):
        revoke(engine, "nobody")


def test_storage_is_content_addressed(tmp_path):
    store = ArchiveStore(tmp_path)
    data = b"x" * (3 * 2**20 + 5)
    a = store.put_file(io.BytesIO(data))
    b = store.put_stream([data[:10], data[10:]])
    assert a.sha256 == b.sha256 == hashlib.sha256(data).hexdigest()
    assert a.path == b.path and a.path.read_bytes() == data and a.size == len(data)
    assert list((tmp_path / "tmp").iterdir()) == []
    with pytest.raises(UploadTooLargeError, match="at most"):
        store.put_file(io.BytesIO(data), max_bytes=2**20)
    assert list((tmp_path / "tmp").iterdir()) == []
    with pytest.raises(UsageError, match="64 lowercase hex"):
        store.path_for("../etc/passwd")


def test_manifest_prefill():
    raw = npy_zip(
        {},
        manifest={"method": "RPL", "backbone": "WRN38", "extra_data": True, "paper": "https://x.org/p", "unknown": 1},
    )
    assert read_manifest(io.BytesIO(raw)) == {
        "method": "RPL",
        "backbone": "WRN38",
        "extra_data": True,
        "paper_url": "https://x.org/p",
    }
    assert read_manifest(io.BytesIO(b"not a zip")) == {}
    assert read_manifest(io.BytesIO(npy_zip({}))) == {}


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("method", "", "method: expected"),
        ("paper_url", "javascript:alert(1)", "paper_url: expected"),
        ("visibility", "secret", "visibility: expected"),
        ("code_url", "ftp://x", "code_url: expected"),
    ],
)
def test_submission_info_checks(field, value, match):
    with pytest.raises(UsageError, match=match):
        SubmissionInfo(**{"method": "m", field: value}).checked()


def _submit(engine, settings, token, first=10, tag="", **info):
    return submit_archive(
        engine,
        settings,
        token=token,
        fileobj=io.BytesIO(archive_bytes(first, tag)),
        info=SubmissionInfo(method=info.pop("method", "m"), **info),
    )


def test_submit_queues_and_spools(engine, settings, token):
    r = _submit(engine, settings, token, tag="a")
    assert ArchiveStore(settings.storage).get(r.archive_sha256).read_bytes() == archive_bytes(10, "a")
    with Session(engine) as s:
        sub = s.get(Submission, r.submission_id)
        assert (sub.status, sub.attempts, sub.method, sub.version) == ("queued", 0, "m", 0)


def test_submit_oversized_rejected_nothing_queued(engine, settings, token):
    big = io.BytesIO(b"\0" * (settings.max_upload_bytes + 1))
    with pytest.raises(UploadTooLargeError):
        submit_archive(engine, settings, token=token, fileobj=big, info=SubmissionInfo(method="m"))
    with Session(engine) as s:
        assert s.scalars(select(Submission)).all() == []


def test_quota_counts_pending_and_scored_in_window_not_failed(engine, settings, token):
    ids = [_submit(engine, settings, token, tag=str(i)).submission_id for i in range(3)]
    with pytest.raises(QuotaExceededError, match="at most 3 scorings per 1 h"):
        _submit(engine, settings, token, tag="x")
    now = time.time()
    with Session(engine) as s, s.begin():
        s.get(Submission, ids[0]).status = "failed"  # failures free their slot
        s.get(Submission, ids[1]).status = "scored"
        s.get(Submission, ids[1]).finished_at = now - 7200  # outside the 1 h window
        s.get(Submission, ids[2]).status = "scored"
        s.get(Submission, ids[2]).finished_at = now - 60  # inside
    with Session(engine) as s:
        state = quota_state(s, 1, quota=3, window_s=3600, now=now)
    assert (state.used, state.left) == (1, 2)
    assert state.next_free_at == pytest.approx(now - 60 + 3600)
    _submit(engine, settings, token, tag="y")
    _submit(engine, settings, token, tag="z")
    with pytest.raises(QuotaExceededError):
        _submit(engine, settings, token, tag="w")
    # another team is not affected
    other = create_token(engine, "team-b")
    _submit(engine, settings, other, tag="b")


def test_revoked_token_cannot_submit(engine, settings, token):
    revoke(engine, token)
    with pytest.raises(TokenError):
        _submit(engine, settings, token)


def test_upload_is_spooled_in_chunks(tmp_path):
    """put_file never asks for more than 1 MiB at a time (the upload is streamed, not read whole)."""

    class Recorder(io.BytesIO):
        sizes: ClassVar[list[int]] = []

        def read(self, size=-1):
            self.sizes.append(size)
            return super().read(size)

    data = bytes(range(256)) * 20_000  # ~5 MB
    rec = Recorder(data)
    stored = ArchiveStore(tmp_path).put_file(rec)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert rec.sizes and all(0 < s <= 2**20 for s in rec.sizes)


@pytest.mark.parametrize(("column", "value"), [("status", "done"), ("visibility", "secret"), ("failure_kind", "oops")])
def test_vocabulary_check_constraints(engine, settings, token, column, value):
    from sqlalchemy.exc import IntegrityError

    sid = _submit(engine, settings, token, tag=column).submission_id
    with pytest.raises(IntegrityError, match="ck_submissions"), Session(engine) as s, s.begin():
        s.execute(Submission.__table__.update().where(Submission.id == sid).values(**{column: value}))


def test_migration_0002_drops_curves_at_submitter_thresholds(tmp_path):
    """A database at 0001 with a leaky 200-point curve: after the upgrade no page can get the points back."""
    from alembic import command

    from leaderboard.store.db import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql("INSERT INTO teams (id, name, created_at) VALUES (1, 't', 0)")
        conn.exec_driver_sql(
            "INSERT INTO submissions (id, team_id, method, description, paper_url, code_url, backbone, extra_data, "
            "outlier_data, visibility, archive_sha256, archive_size, status, version, attempts, created_at, "
            "finished_at) VALUES (1, 1, 'm', '', '', '', '', 0, 0, 'public', 'ab', 1, 'scored', 1, 1, 0, 1)"
        )
        leaky = '{"overall": {"recall": [0.0, 0.01, 0.02], "precision": [1.0, 0.5, 0.4]}}'
        conn.exec_driver_sql(
            "INSERT INTO results (submission_id, archive_sha256, results_json, curves_json, "
            f"scorer_version, data_revision, created_at) VALUES (1, 'ab', '{{}}', '{leaky}', 'v', "
            "'r', 0)"
        )
    assert migrate(engine) == "0002"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT curves_json FROM results").scalar() == "{}"
        assert conn.exec_driver_sql("SELECT archive_name FROM submissions").scalar() == ""


def test_public_view_drops_small_conditions_pixel_counts_and_foreign_curves():
    from leaderboard.publish import FPR_LEVELS, RECALL_LEVELS, public_curves, public_results

    doc = {
        "overall": {
            "auprc": 0.123456789,
            "fpr95": 0.5,
            "auroc": 0.9,
            "num_images": 12,
            "num_anomaly_pixels": 99,
            "num_void_pixels": 3,
            "components": {"per_image": [1, 2]},
        },
        "by_condition": {
            "split": {"clear": {"auprc": 0.2, "num_images": 5}, "adverse": {"auprc": 0.3, "num_images": 4}},
            "anomaly_type": {"cow": {"auprc": 0.9, "num_images": 1}},
        },
        "archive": {"sha256": "x", "manifest": {"method": "m"}},
        "dataset": {"name": "d", "revision": "r"},
    }
    pub = public_results(doc, min_images=5)
    assert pub["overall"] == {"num_images": 12, "auprc": 0.1235, "fpr95": 0.5, "auroc": 0.9}
    assert pub["by_condition"] == {"split": {"clear": {"num_images": 5, "auprc": 0.2}}}
    assert "archive" not in pub
    good = {
        "recall": list(RECALL_LEVELS),
        "precision": [0.5] * len(RECALL_LEVELS),
        "fpr": list(FPR_LEVELS),
        "tpr": [0.5] * len(FPR_LEVELS),
    }
    leaky = {"recall": [0.0, 0.01], "precision": [1.0, 0.5], "fpr": [0.0, 0.1], "tpr": [0.0, 0.2]}
    curves = public_curves({"overall": leaky, "clear": good, "adverse": good}, doc, min_images=5)
    assert list(curves) == ["clear"]  # the leaky one dropped; adverse has too few images


def test_safe_text_helpers():
    from leaderboard.safetext import clean_text, csv_cell, md_escape, safe_url

    assert clean_text("a\u202eb\u2066c\u200dd\x07e\n") == "abcde"
    assert clean_text("line 1\nline 2", multiline=True) == "line 1\nline 2"
    assert safe_url("https://user:pw@example.org/") is None and safe_url("http://") is None
    assert safe_url("https://example.org/a b") is None and safe_url("data:text/html,x") is None
    assert [csv_cell(v) for v in ("+1", "-x", "\tcmd", "ok", 3)] == ["'+1", "'-x", "'\tcmd", "ok", 3]
    assert "![" not in md_escape("![img](http://x)") and "*" not in md_escape("**b**").replace("\\*", "")


def test_submission_info_strips_invisible_characters():
    info = SubmissionInfo(
        method="RPL\u202e\u200b", description="a\u2066\nb", paper_url="https://x.org/p\u200b"
    ).checked()
    assert (info.method, info.description, info.paper_url) == ("RPL", "a\nb", "https://x.org/p")


@pytest.mark.parametrize("bad", ["clb_" + "9" * 30 + "_" + "x" * 30, "clb_0_" + "x" * 30, "clb_1_" + "x" * 5000])
def test_huge_or_odd_token_ids_are_just_invalid(engine, token, bad):
    with pytest.raises(TokenError, match="invalid or revoked"):
        verify_token(engine, bad)


def test_non_zip_and_empty_uploads_refused_before_storing(engine, settings, token):
    from leaderboard.storage import NotAZipError

    for body, match in ((b"", "got an empty file"), (b"MZ\x90\x00" + b"x" * 100, "got 104 bytes of something else")):
        with pytest.raises(NotAZipError, match=f"upload.bin: expected a .zip archive.*{match}"):
            submit_archive(
                engine,
                settings,
                token=token,
                fileobj=io.BytesIO(body),
                info=SubmissionInfo(method="m"),
                filename="upload.bin",
            )
    with Session(engine) as s:
        assert s.scalars(select(Submission)).all() == []
    assert not (ArchiveStore(settings.storage).root / "archives").exists()
