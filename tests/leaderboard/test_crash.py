"""Crash tests with real worker processes (fake scorer via COMSAMY_LB_SCORER): kill -9 mid-job, races, restarts."""

from __future__ import annotations

import io
import signal
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leaderboard.manifest import SubmissionInfo
from leaderboard.settings import Settings
from leaderboard.store import Result, Submission, make_engine, migrate
from leaderboard.submit import submit_archive
from leaderboard.tokens import create_token
from tests.leaderboard.fakes import archive_bytes
from tests.leaderboard.procs import child_env, common_args, start, stop, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def rig(tmp_path):
    settings = Settings(storage=str(tmp_path / "storage"), quota=100, lease_s=1.5, max_attempts=3)
    engine = make_engine(settings.db_url)
    migrate(engine)
    token = create_token(engine, "crash-team")
    count = tmp_path / "scored.txt"
    count.touch()
    started = []

    def worker(delay: float, name: str):
        env = child_env(
            tmp_path,
            COMSAMY_LB_SCORER="tests.leaderboard.fakes:env_scorer",
            FAKE_DELAY=str(delay),
            FAKE_COUNT_FILE=str(count),
        )
        args = [
            "worker",
            *common_args(settings.db_url, tmp_path / "storage", "unused", lease=1.5, max_attempts=3),
            "--poll",
            "0.2",
            "--id",
            name,
        ]
        proc = start(args, env, tmp_path / f"{name}.log")
        started.append(proc)
        return proc

    def submit(tag: str) -> int:
        return submit_archive(
            engine, settings, token=token, fileobj=io.BytesIO(archive_bytes(100, tag)), info=SubmissionInfo(method=tag)
        ).submission_id

    def statuses():
        with Session(engine) as s:
            return dict(s.execute(select(Submission.id, Submission.status)).all())

    def scorings() -> Counter:
        return Counter(line.split()[1] for line in count.read_text().splitlines())

    yield {"engine": engine, "worker": worker, "submit": submit, "statuses": statuses, "scorings": scorings}
    for proc in started:
        stop(proc, signal.SIGKILL)
    engine.dispose()


def test_kill_worker_mid_job_finishes_elsewhere_once(rig):
    engine = rig["engine"]
    sid = rig["submit"]("victim")
    slow = rig["worker"](delay=30, name="slow")
    wait_for(lambda: rig["statuses"]()[sid] == "running", 60, "the slow worker to claim the job")
    stop(slow, signal.SIGKILL)
    rig["worker"](delay=0, name="rescuer")
    wait_for(lambda: rig["statuses"]()[sid] == "scored", 60, "the job to be scored by the other worker")
    with Session(engine) as s:
        sub = s.get(Submission, sid)
        assert (sub.attempts, sub.worker_id) == (2, "rescuer")
        assert s.scalar(select(func.count()).select_from(Result)) == 1
    assert sum(rig["scorings"]().values()) == 1


def test_two_workers_race_then_restart_nothing_lost(rig):
    ids = [rig["submit"](f"job{i}") for i in range(8)]
    w1, w2 = rig["worker"](delay=0.2, name="w1"), rig["worker"](delay=0.2, name="w2")
    wait_for(lambda: sum(v == "scored" for v in rig["statuses"]().values()) >= 3, 60, "some jobs scored")
    stop(w1)  # SIGTERM: finishes its current job, then exits
    stop(w2)
    more = [rig["submit"](f"late{i}") for i in range(3)]
    rig["worker"](delay=0, name="w3")
    wait_for(lambda: all(v == "scored" for v in rig["statuses"]().values()), 60, "every job scored")
    assert set(rig["statuses"]()) == set(ids + more)
    counts = rig["scorings"]()
    assert sum(counts.values()) == len(ids) + len(more) and set(counts.values()) == {1}  # each scored once
    with Session(rig["engine"]) as s:
        assert s.scalar(select(func.count()).select_from(Result)) == len(ids) + len(more)
