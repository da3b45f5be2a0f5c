"""Queue claims, leases, heartbeats, requeue, bounded attempts, workers with a fake scorer."""

from __future__ import annotations

import io
import json
import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leaderboard.manifest import SubmissionInfo
from leaderboard.store import Result, Submission
from leaderboard.store import queue as q
from leaderboard.submit import submit_archive
from leaderboard.worker import Worker
from tests.leaderboard.fakes import FakeScorer, archive_bytes


def _submit(engine, settings, token, first=10, tag=""):
    return submit_archive(
        engine,
        settings,
        token=token,
        fileobj=io.BytesIO(archive_bytes(first, tag)),
        info=SubmissionInfo(method=f"m{tag}"),
    ).submission_id


def _status(engine, sid):
    with Session(engine) as s:
        return s.get(Submission, sid)


def test_claim_fifo_and_exclusive(engine, settings, token):
    a, b = _submit(engine, settings, token, tag="a"), _submit(engine, settings, token, tag="b")
    c1 = q.claim(engine, "w1", lease_s=10)
    c2 = q.claim(engine, "w2", lease_s=10)
    assert (c1.submission_id, c2.submission_id) == (a, b)
    assert q.claim(engine, "w3", lease_s=10) is None
    assert c1.attempts == 1 and _status(engine, a).worker_id == "w1"
    assert q.queue_position(engine, a) is None


def test_queue_position(engine, settings, token):
    ids = [_submit(engine, settings, token, tag=str(i)) for i in range(3)]
    assert [q.queue_position(engine, i) for i in ids] == [1, 2, 3]
    q.claim(engine, "w", lease_s=10)
    assert [q.queue_position(engine, i) for i in ids] == [None, 1, 2]


def test_racing_claims_one_winner(engine, settings, token):
    """Eight threads with their own connections race for one job: exactly one wins."""
    sid = _submit(engine, settings, token)
    barrier = threading.Barrier(8)
    wins = []

    def race(i):
        barrier.wait()
        c = q.claim(engine, f"w{i}", lease_s=10)
        if c is not None:
            wins.append(c)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and wins[0].submission_id == sid


def test_stale_claim_is_fenced(engine, settings, token):
    sid = _submit(engine, settings, token)
    c1 = q.claim(engine, "w1", lease_s=10, now=1000.0)
    assert q.heartbeat(engine, c1, lease_s=10, now=1005.0)
    assert q.requeue_expired(engine, max_attempts=3, now=1010.0) == ([], [])  # lease now ends at 1015
    assert q.requeue_expired(engine, max_attempts=3, now=1016.0) == ([sid], [])
    c2 = q.claim(engine, "w2", lease_s=10)
    assert c2.attempts == 2
    # the first worker woke up: its heartbeat, completion and failure are refused
    assert not q.heartbeat(engine, c1, lease_s=10)
    assert not q.complete(engine, c1, results_json="{}", curves_json="{}", scorer_version="v", data_revision="r")
    assert not q.fail(engine, c1, "x")
    assert q.complete(engine, c2, results_json="{}", curves_json="{}", scorer_version="v", data_revision="r")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Result)) == 1


def test_bounded_attempts(engine, settings, token):
    sid = _submit(engine, settings, token)
    t = 1000.0
    for attempt in (1, 2):
        c = q.claim(engine, f"w{attempt}", lease_s=10, now=t)
        assert c.attempts == attempt
        t += 20
        requeued, failed = q.requeue_expired(engine, max_attempts=2, now=t)
    assert (requeued, failed) == ([], [sid])
    row = _status(engine, sid)
    assert row.status == "failed" and "interrupted 2 times" in row.error


def test_worker_scores_and_reuses(engine, settings, token):
    scorer = FakeScorer()
    w = Worker(engine, settings, scorer, worker_id="w1")
    a = _submit(engine, settings, token, first=200, tag="same")
    b = _submit(engine, settings, token, first=200, tag="same")  # identical bytes
    assert w.run(once=True) == 2
    assert len(scorer.calls) == 1  # scored once, reused once
    with Session(engine) as s:
        ra, rb = (s.scalar(select(Result).where(Result.submission_id == i)) for i in (a, b))
    assert ra.reused_from is None and rb.reused_from == a
    assert json.loads(ra.results_json) == json.loads(rb.results_json)
    assert json.loads(ra.results_json)["overall"]["auprc"] == round(200 / 255, 4)
    assert _status(engine, a).status == _status(engine, b).status == "scored"
    assert q.worker_last_seen(engine) is not None


def test_bad_archive_fails_with_report_others_unaffected(engine, settings, token):
    scorer = FakeScorer()
    bad = submit_archive(
        engine,
        settings,
        token=token,
        fileobj=io.BytesIO(archive_bytes(0, payload=b"BAD archive")),
        info=SubmissionInfo(method="bad"),
    ).submission_id
    good = _submit(engine, settings, token, tag="good")
    Worker(engine, settings, scorer).run(once=True)
    row = _status(engine, bad)
    assert row.status == "failed" and "expected shape (4, 6), got (3, 3)" in row.error
    assert "Traceback" not in row.error
    assert _status(engine, good).status == "scored"


class _Exploding(FakeScorer):
    def score(self, archive):
        raise RuntimeError("secret internal detail")


def test_internal_error_requeued_then_failed_without_traceback(engine, settings, token, caplog):
    sid = _submit(engine, settings, token)
    w = Worker(engine, settings, _Exploding())
    assert w.run_once().status == "queued"
    assert w.run_once().status == "failed"  # max_attempts = 2
    row = _status(engine, sid)
    assert row.status == "failed" and "internal error" in row.error and "secret" not in row.error
    assert "secret internal detail" in caplog.text  # the operator's log has it


def test_heartbeat_keeps_lease_alive(engine, settings, token):
    """A job longer than its lease is not taken over while the worker heartbeats."""
    short = settings.replace(lease_s=0.6)
    _submit(engine, short, token)
    gate = threading.Event()
    scorer = FakeScorer(gate=gate)
    w1 = Worker(engine, short, scorer, worker_id="w1")
    th = threading.Thread(target=w1.run_once)
    th.start()
    assert scorer.started.wait(10)
    time.sleep(1.5)  # 2.5 leases
    w2 = Worker(engine, short, FakeScorer(), worker_id="w2")
    assert w2.run_once() is None  # nothing requeued, nothing to claim
    gate.set()
    th.join(10)
    assert len(scorer.calls) == 1


def test_dead_worker_job_finishes_elsewhere(engine, settings, token):
    """A worker that claimed and vanished (no heartbeat): the job is requeued and scored once by another."""
    sid = _submit(engine, settings, token)
    q.claim(engine, "dead", lease_s=0.2)
    time.sleep(0.3)
    scorer = FakeScorer()
    out = Worker(engine, settings, scorer, worker_id="alive").run_once()
    assert out.submission_id == sid and out.status == "scored" and len(scorer.calls) == 1
    row = _status(engine, sid)
    assert row.attempts == 2 and row.worker_id == "alive"
