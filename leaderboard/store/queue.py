"""The job queue on the ``submissions`` table: atomic claim, lease with heartbeat, requeue, completion.

Every state change is one ``UPDATE ... WHERE id = :id AND status = :expected AND version = :seen`` that
bumps ``version`` (compare-and-set). A claim wins only if its update changed exactly one row, so two
workers can never both hold a job, on SQLite or PostgreSQL alike; a worker whose lease expired and whose
job was taken up again finds its heartbeat and completion refused (the version moved on).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from leaderboard.store.models import Result, Submission, Worker
from leaderboard.vocab import FailureKind, JobStatus

INTERRUPTED = "scoring was interrupted {n} times (a worker stopped mid-job); please submit again later"
INTERNAL = "an internal error stopped the scoring (the operator has the details); please submit again later"


@dataclass(frozen=True)
class Claim:
    """A job held by one worker: the fence is ``(submission_id, version)``."""

    submission_id: int
    version: int
    archive_sha256: str
    attempts: int
    worker_id: str
    archive_name: str = "archive.zip"
    """The uploaded file's name (messages to the submitter name it, never the storage path)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return dict(self.__dict__)


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def claim(engine: Engine, worker_id: str, *, lease_s: float, now: float | None = None, tries: int = 5) -> Claim | None:
    """Claim the oldest queued job for ``worker_id``, or return None when the queue is empty."""
    for _ in range(tries):
        t = time.time() if now is None else now
        with Session(engine) as session, session.begin():
            row = session.execute(
                select(
                    Submission.id,
                    Submission.version,
                    Submission.archive_sha256,
                    Submission.attempts,
                    Submission.archive_name,
                )
                .where(Submission.status == JobStatus.QUEUED)
                .order_by(Submission.id)
                .limit(1)
            ).first()
            if row is None:
                return None
            res = session.execute(
                update(Submission)
                .where(
                    Submission.id == row.id, Submission.status == JobStatus.QUEUED, Submission.version == row.version
                )
                .values(
                    status=JobStatus.RUNNING,
                    version=row.version + 1,
                    attempts=row.attempts + 1,
                    worker_id=worker_id,
                    started_at=t,
                    heartbeat_at=t,
                    lease_expires_at=t + lease_s,
                )
                .execution_options(synchronize_session=False)
            )
            if _rowcount(res) == 1:
                return Claim(
                    row.id,
                    row.version + 1,
                    row.archive_sha256,
                    row.attempts + 1,
                    worker_id,
                    row.archive_name or "archive.zip",
                )
    return None


def heartbeat(engine: Engine, job: Claim, *, lease_s: float, now: float | None = None) -> bool:
    """Extend the lease of ``job``; False if the job is no longer ours (lease lost)."""
    t = time.time() if now is None else now
    with Session(engine) as session, session.begin():
        res = session.execute(
            update(Submission)
            .where(
                Submission.id == job.submission_id,
                Submission.version == job.version,
                Submission.status == JobStatus.RUNNING,
            )
            .values(heartbeat_at=t, lease_expires_at=t + lease_s)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(res) == 1


def requeue_expired(engine: Engine, *, max_attempts: int, now: float | None = None) -> tuple[list[int], list[int]]:
    """Requeue running jobs whose lease expired; fail those that used up their attempts.

    Returns:
        (requeued ids, failed ids).
    """
    t = time.time() if now is None else now
    requeued: list[int] = []
    failed: list[int] = []
    with Session(engine) as session, session.begin():
        rows = session.execute(
            select(Submission.id, Submission.version, Submission.attempts).where(
                Submission.status == JobStatus.RUNNING, Submission.lease_expires_at < t
            )
        ).all()
        for row in rows:
            done = row.attempts >= max_attempts
            values: dict[str, Any] = {"version": row.version + 1, "worker_id": None, "lease_expires_at": None}
            if done:
                values.update(
                    status=JobStatus.FAILED,
                    finished_at=t,
                    error=INTERRUPTED.format(n=row.attempts),
                    failure_kind=FailureKind.SERVER,
                )
            else:
                values.update(status=JobStatus.QUEUED)
            res = session.execute(
                update(Submission)
                .where(
                    Submission.id == row.id, Submission.version == row.version, Submission.status == JobStatus.RUNNING
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(res) == 1:
                (failed if done else requeued).append(row.id)
    return requeued, failed


def _leave_running(session: Session, job: Claim, **values: Any) -> bool:
    """Move ``job`` out of ``running`` (compare-and-set on its version); False when it is no longer ours."""
    res = session.execute(
        update(Submission)
        .where(
            Submission.id == job.submission_id,
            Submission.version == job.version,
            Submission.status == JobStatus.RUNNING,
        )
        .values(version=job.version + 1, lease_expires_at=None, **values)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(res) == 1


def complete(
    engine: Engine,
    job: Claim,
    *,
    results_json: str,
    curves_json: str,
    scorer_version: str,
    data_revision: str,
    reused_from: int | None = None,
    now: float | None = None,
) -> bool:
    """Mark ``job`` scored and store its result (and its published view), in one transaction; False (nothing
    written) if not ours."""
    import json

    from leaderboard.publish import public_results

    t = time.time() if now is None else now
    public_json = json.dumps(public_results(json.loads(results_json), min_images=1), allow_nan=False)
    with Session(engine) as session, session.begin():
        if not _leave_running(session, job, status=JobStatus.SCORED, finished_at=t, error=None):
            return False
        session.add(
            Result(
                submission_id=job.submission_id,
                archive_sha256=job.archive_sha256,
                results_json=results_json,
                public_json=public_json,
                curves_json=curves_json,
                scorer_version=scorer_version,
                data_revision=data_revision,
                reused_from=reused_from,
                created_at=t,
            )
        )
    return True


def fail(
    engine: Engine, job: Claim, message: str, *, kind: FailureKind = FailureKind.ARCHIVE, now: float | None = None
) -> bool:
    """Mark ``job`` failed for good with a message for the submitter; False if not ours.

    Args:
        kind: whose fault it was; archive and budget failures count toward the team's failure limit.
    """
    t = time.time() if now is None else now
    with Session(engine) as session, session.begin():
        return _leave_running(session, job, status=JobStatus.FAILED, finished_at=t, error=message, failure_kind=kind)


def release(engine: Engine, job: Claim, *, max_attempts: int, now: float | None = None) -> str | None:
    """Give ``job`` back after an internal error: requeued, or failed once attempts are used up.

    Returns:
        The new status, or None if the job was no longer ours.
    """
    if job.attempts >= max_attempts:
        return "failed" if fail(engine, job, INTERNAL, kind=FailureKind.SERVER, now=now) else None
    with Session(engine) as session, session.begin():
        return "queued" if _leave_running(session, job, status=JobStatus.QUEUED, worker_id=None) else None


def find_reusable(engine: Engine, sha256: str, *, scorer_version: str, data_revision: str) -> Result | None:
    """An earlier, freshly scored result of the same archive against the same data and scorer, if any."""
    with Session(engine) as session:
        return session.scalar(
            select(Result)
            .where(
                Result.archive_sha256 == sha256,
                Result.scorer_version == scorer_version,
                Result.data_revision == data_revision,
                Result.reused_from.is_(None),
            )
            .order_by(Result.id)
            .limit(1)
        )


def touch_worker(engine: Engine, worker_id: str, *, jobs_done: int = 0, now: float | None = None) -> None:
    """Record that ``worker_id`` is alive (upsert of its ``workers`` row)."""
    t = time.time() if now is None else now
    with Session(engine) as session, session.begin():
        res = session.execute(
            update(Worker)
            .where(Worker.worker_id == worker_id)
            .values(last_seen_at=t, jobs_done=Worker.jobs_done + jobs_done)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(res) == 0:
            session.add(Worker(worker_id=worker_id, started_at=t, last_seen_at=t, jobs_done=jobs_done))


def worker_last_seen(engine: Engine) -> float | None:
    """When any worker was last seen alive (epoch seconds), or None if none ever was."""
    with Session(engine) as session:
        return session.scalar(select(func.max(Worker.last_seen_at)))


def queue_position(engine: Engine, submission_id: int) -> int | None:
    """1-based position of a queued submission in the queue, None when it is not queued."""
    with Session(engine) as session:
        status = session.scalar(select(Submission.status).where(Submission.id == submission_id))
        if status != JobStatus.QUEUED:
            return None
        ahead = session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(Submission.status == JobStatus.QUEUED, Submission.id < submission_id)
        )
        return int(ahead or 0) + 1
