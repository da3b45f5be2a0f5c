"""The scoring worker: claim a job, hold its lease with a heartbeat thread, score it, write the result.

Several workers may run at once, on one machine or several, against one database and one storage
folder. A worker that dies mid-job stops heartbeating; its lease expires and any worker requeues the
job (:func:`leaderboard.store.queue.requeue_expired`), up to ``max_attempts`` claims.

The stored archive is checked against its SHA-256 before scoring; a scorer that asks for it (``isolate = True``,
as :class:`~leaderboard.scoring.ComsamyScorer` does) runs in a child process with the memory and time budget of
the settings (:mod:`leaderboard.budget`). Messages to the submitter name the uploaded file, never the storage
path. On database errors the loop backs off (up to :data:`MAX_BACKOFF_S`) and logs the traceback once.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from comsamy.errors import ArchiveError, ComsamyError
from leaderboard.budget import BudgetExceededError, score_with_budget
from leaderboard.scoring import ScoreOutcome, Scorer
from leaderboard.settings import Settings
from leaderboard.storage import ArchiveStore, CorruptedArchiveError
from leaderboard.store import queue
from leaderboard.vocab import FailureKind

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 4000
MAX_BACKOFF_S = 60.0
STALE_TMP_S = 3600.0
"""Partial uploads older than this are removed when a worker starts (an app may be writing newer ones)."""
MISSING = "the uploaded archive {name} is missing from the server's storage; please submit it again"
DAMAGED = "the server's stored copy of {name} was damaged; please upload the same file again"


@dataclass(frozen=True)
class JobOutcome:
    """What happened to one claimed job."""

    submission_id: int
    status: str
    """``scored``, ``reused`` (an earlier identical scoring), ``failed``, ``queued`` (given back after an internal
    error) or ``lost`` (the lease was taken over by another worker; nothing was written)."""
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return dict(self.__dict__)


class _Heartbeat(threading.Thread):
    """Renews a job's lease every ``lease_s / 3`` seconds until stopped or the lease is lost."""

    def __init__(self, engine: Engine, job: queue.Claim, lease_s: float) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{job.submission_id}")
        self.engine, self.job, self.lease_s = engine, job, lease_s
        self.stopped = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.lease_s / 3):
            try:
                if not queue.heartbeat(self.engine, self.job, lease_s=self.lease_s):
                    log.warning("lost the lease of submission %s", self.job.submission_id)
                    self.lost.set()
                    return
                queue.touch_worker(self.engine, self.job.worker_id)
            except Exception:  # a database hiccup: try again at the next beat
                log.warning("heartbeat failed for submission %s", self.job.submission_id, exc_info=True)


def default_worker_id() -> str:
    """``host:pid:random`` so that ids stay unique across machines and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """One scoring worker over a database engine, a storage folder and a scorer."""

    def __init__(self, engine: Engine, settings: Settings, scorer: Scorer, *, worker_id: str | None = None) -> None:
        self.engine, self.settings, self.scorer = engine, settings, scorer
        self.worker_id = worker_id or default_worker_id()
        self.store = ArchiveStore(settings.storage)
        self.stop = threading.Event()

    def run_once(self) -> JobOutcome | None:
        """Requeue expired leases, then claim and process at most one job; None when the queue is empty."""
        queue.touch_worker(self.engine, self.worker_id)
        requeued, failed = queue.requeue_expired(self.engine, max_attempts=self.settings.max_attempts)
        if requeued or failed:
            log.warning("expired leases: requeued %s, failed %s", requeued, failed)
        job = queue.claim(self.engine, self.worker_id, lease_s=self.settings.lease_s)
        if job is None:
            return None
        return self.process(job)

    def run(self, *, poll_s: float = 1.0, once: bool = False) -> int:
        """Process jobs until :attr:`stop` is set (or the queue is empty, with ``once``); return jobs done.

        A failing loop (the database is down) waits ``poll_s``, then twice as long each time up to
        :data:`MAX_BACKOFF_S`; the first failure is logged with its traceback, the following ones in one line.
        """
        done = 0
        failures = 0
        self.store.clean_tmp(older_than_s=STALE_TMP_S)
        log.info("worker %s started", self.worker_id)
        while not self.stop.is_set():
            try:
                outcome = self.run_once()
            except Exception as exc:  # keep serving; the database may come back
                if once:
                    raise
                failures += 1
                delay = min(MAX_BACKOFF_S, poll_s * 2 ** (failures - 1))
                if failures == 1:
                    log.exception("worker loop error; retrying with back-off")
                else:
                    log.warning(
                        "worker loop still failing (%s x): %s; next try in %.0f s", failures, type(exc).__name__, delay
                    )
                self.stop.wait(delay)
                continue
            if failures:
                log.warning("worker loop recovered after %s failure(s)", failures)
                failures = 0
            if outcome is not None:
                done += 1
                continue
            if once:
                break
            self.stop.wait(poll_s)
        return done

    def process(self, job: queue.Claim) -> JobOutcome:
        """Score one claimed job while its lease is kept alive; write the result or the failure."""
        start = time.monotonic()
        beat = _Heartbeat(self.engine, job, self.settings.lease_s)
        beat.start()
        status = "queued"
        try:
            status = self._process(job, beat)
        except Exception:
            log.exception("submission %s: internal error (attempt %s)", job.submission_id, job.attempts)
            status = queue.release(self.engine, job, max_attempts=self.settings.max_attempts) or "lost"
        except BaseException:  # ctrl-C / SystemExit mid-job: give the job back, then stop
            queue.release(self.engine, job, max_attempts=self.settings.max_attempts + 1)
            raise
        finally:
            beat.stopped.set()
            beat.join(timeout=5)
        seconds = time.monotonic() - start
        log.info("submission %s: %s in %.2f s", job.submission_id, status, seconds)
        return JobOutcome(job.submission_id, status, seconds)

    def _fail(self, job: queue.Claim, message: str, kind: FailureKind) -> str:
        return "failed" if queue.fail(self.engine, job, message[:MAX_MESSAGE_CHARS], kind=kind) else "lost"

    def _score(self, path: Any) -> ScoreOutcome:
        if getattr(self.scorer, "isolate", False):
            return score_with_budget(
                self.scorer, path, memory_mb=self.settings.score_memory_mb, timeout_s=self.settings.score_timeout_s
            )
        return self.scorer.score(path)

    def _process(self, job: queue.Claim, beat: _Heartbeat) -> str:
        try:
            path = self.store.get_verified(job.archive_sha256)
        except CorruptedArchiveError:
            log.error(
                "submission %s: stored archive %s does not match its digest", job.submission_id, job.archive_sha256
            )
            return self._fail(job, DAMAGED.format(name=job.archive_name), FailureKind.SERVER)
        except ComsamyError:
            return self._fail(job, MISSING.format(name=job.archive_name), FailureKind.SERVER)
        version, revision = self.scorer.identity()
        earlier = queue.find_reusable(self.engine, job.archive_sha256, scorer_version=version, data_revision=revision)
        if earlier is not None:
            ok = queue.complete(
                self.engine,
                job,
                results_json=earlier.results_json,
                curves_json=earlier.curves_json,
                scorer_version=version,
                data_revision=revision,
                reused_from=earlier.submission_id,
            )
            return "reused" if ok else "lost"
        try:
            outcome = self._score(path)
        except ArchiveError as exc:
            return self._fail(job, public_message(exc.report(), path, job.archive_name), FailureKind.ARCHIVE)
        except BudgetExceededError as exc:
            log.warning("submission %s: %s", job.submission_id, exc)
            return self._fail(job, f"{job.archive_name}: {exc}", FailureKind.BUDGET)
        if beat.lost.is_set():
            return "lost"
        ok = queue.complete(
            self.engine,
            job,
            results_json=json.dumps(_clean(outcome.results), allow_nan=False),
            curves_json=json.dumps(_clean(outcome.curves), allow_nan=False),
            scorer_version=outcome.scorer_version,
            data_revision=outcome.data_revision,
        )
        if ok:
            queue.touch_worker(self.engine, self.worker_id, jobs_done=1)
        return "scored" if ok else "lost"


def public_message(message: str, path: Any, archive_name: str) -> str:
    """``message`` with the archive's storage path (and its stored file name) replaced by the uploaded name."""
    for text in (str(path), getattr(path, "name", "")):
        if text:
            message = message.replace(text, archive_name)
    return message


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN / inf become None, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
