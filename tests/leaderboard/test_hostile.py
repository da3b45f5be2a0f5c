"""Hostile archives on the leaderboard side: memory / time budgets, failures rate limited, stored copies verified."""

from __future__ import annotations

import io
import os
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from leaderboard.budget import BudgetExceededError, score_with_budget
from leaderboard.manifest import SubmissionInfo
from leaderboard.quotas import QuotaExceededError
from leaderboard.storage import ArchiveStore
from leaderboard.store import Submission
from leaderboard.submit import submit_archive
from leaderboard.worker import Worker
from tests.leaderboard.fakes import FakeScorer, archive_bytes


class Greedy(FakeScorer):
    """Asks for 3 GB, in a child process (``isolate``) like the real scorer."""

    isolate = True

    def score(self, archive):
        blob = bytearray(3 * 1024**3)
        return blob[:1]


class Slow(FakeScorer):
    isolate = True

    def score(self, archive):
        time.sleep(30)


class Isolated(FakeScorer):
    isolate = True

    def score(self, archive):
        outcome = super().score(archive)
        return outcome.__class__(
            outcome.results | {"pid": os.getpid()}, outcome.curves, outcome.scorer_version, outcome.data_revision
        )


def _submit(engine, settings, token, tag, name="preds.zip"):
    return submit_archive(
        engine,
        settings,
        token=token,
        fileobj=io.BytesIO(archive_bytes(40, tag)),
        info=SubmissionInfo(method=f"m{tag}"),
        filename=name,
    ).submission_id


def _row(engine, sid):
    with Session(engine) as s:
        return s.get(Submission, sid)


def test_memory_budget_stops_the_job_cleanly(engine, settings, token):
    settings = settings.replace(score_memory_mb=256)
    sid = _submit(engine, settings, token, "greedy", name="bomb.zip")
    t0 = time.monotonic()
    assert Worker(engine, settings, Greedy()).run_once().status == "failed"
    row = _row(engine, sid)
    assert row.failure_kind == "budget" and row.error.startswith(
        "bomb.zip: scoring: expected it to need at most 256 MB of memory"
    )
    assert settings.storage not in row.error and time.monotonic() - t0 < 20


def test_time_budget_stops_the_job_cleanly(engine, settings, token):
    settings = settings.replace(score_timeout_s=0.5)
    sid = _submit(engine, settings, token, "slow")
    t0 = time.monotonic()
    assert Worker(engine, settings, Slow()).run_once().status == "failed"
    assert time.monotonic() - t0 < 10
    row = _row(engine, sid)
    assert row.failure_kind == "budget" and "within 0.5 s" in row.error


def test_isolated_scoring_runs_in_a_child_and_returns_its_result():
    outcome = score_with_budget(Isolated(), _tmp_archive(), memory_mb=512, timeout_s=30)
    assert outcome.results["pid"] != os.getpid() and outcome.results["overall"]["auprc"] == round(40 / 255, 4)
    with pytest.raises(BudgetExceededError, match="more"):
        score_with_budget(Greedy(), _tmp_archive(), memory_mb=128, timeout_s=30)


def _tmp_archive():
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "a.zip"
    path.write_bytes(archive_bytes(40, "iso"))
    return path


def test_failures_after_scoring_started_are_rate_limited(engine, settings, token):
    """Failing archives are probes of the hidden data: the failure_quota-th one closes the door."""
    settings = settings.replace(failure_quota=2, quota=3)
    for i in range(2):
        submit_archive(
            engine,
            settings,
            token=token,
            fileobj=io.BytesIO(archive_bytes(0, payload=f"BAD {i}".encode())),
            info=SubmissionInfo(method="bad"),
        )
        Worker(engine, settings, FakeScorer()).run_once()
    with pytest.raises(QuotaExceededError, match="at most 2 failed scorings per 1 h"):
        _submit(engine, settings, token, "third")
    with Session(engine) as s:
        kinds = [r.failure_kind for r in s.scalars(select(Submission))]
    assert kinds == ["archive", "archive"]


def test_server_failures_do_not_count(engine, settings, token):
    settings = settings.replace(failure_quota=1)
    sid = _submit(engine, settings, token, "gone")
    ArchiveStore(settings.storage).get(_row(engine, sid).archive_sha256).unlink()  # lost by the server
    assert Worker(engine, settings, FakeScorer()).run_once().status == "failed"
    row = _row(engine, sid)
    assert row.failure_kind == "server" and "preds.zip is missing" in row.error
    _submit(engine, settings, token, "next")  # still allowed


def test_corrupted_stored_archive_fails_then_is_replaced_by_the_next_upload(engine, settings, token):
    sid = _submit(engine, settings, token, "rot")
    path = ArchiveStore(settings.storage).get(_row(engine, sid).archive_sha256)
    path.write_bytes(b"PK\x03\x04 rotten bytes")
    scorer = FakeScorer()
    assert Worker(engine, settings, scorer).run_once().status == "failed"
    row = _row(engine, sid)
    assert "stored copy of preds.zip was damaged" in row.error and not scorer.calls
    again = _submit(engine, settings, token, "rot")  # the same content uploaded again
    assert path.read_bytes() == archive_bytes(40, "rot")
    assert Worker(engine, settings, scorer).run_once().status == "scored"
    assert _row(engine, again).status == "scored"


def test_worker_start_cleans_stale_partial_uploads(engine, settings, token):
    tmp = ArchiveStore(settings.storage).root / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    stale, fresh = tmp / "old.part", tmp / "new.part"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    Worker(engine, settings, FakeScorer()).run(once=True)
    assert not stale.exists() and fresh.exists()  # a fresh one may be an upload in progress


def test_worker_backs_off_on_database_errors_and_logs_one_traceback(engine, settings, caplog, monkeypatch):
    worker = Worker(engine, settings, FakeScorer())
    waits = []
    calls = {"n": 0}

    def broken():
        calls["n"] += 1
        if calls["n"] >= 5:
            worker.stop.set()
        raise ConnectionError("database is down")

    monkeypatch.setattr(worker, "run_once", broken)
    monkeypatch.setattr(worker.stop, "wait", lambda s: waits.append(s) or False)
    worker.run(poll_s=1.0)
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert caplog.text.count("Traceback") == 1 and "still failing (4 x)" in caplog.text
