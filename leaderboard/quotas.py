"""Per-team quotas over a rolling window: successful scorings, and failed ones separately.

A team may hold at most ``quota`` submissions that were scored within the last ``window`` or are still
pending (queued or running): a pending job reserves a slot until it fails, so a team cannot flood the queue.
Submissions whose result was reused count like any other scoring, and so do scored submissions withdrawn later.

Failures that the archive caused (invalid content found by the scorer, or over its memory / time budget)
count toward a separate ``failure_quota`` in the same window: a failing archive is a probe of the hidden data
(it was scored against it), so it is not free. Failures of the server (interrupted, internal) never count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from comsamy.errors import UsageError
from leaderboard.store.models import Submission
from leaderboard.vocab import FailureKind, JobStatus

__all__ = ["QuotaExceededError", "QuotaState", "check_quota", "quota_state"]
_CHARGED_FAILURES = (FailureKind.ARCHIVE, FailureKind.BUDGET)


class QuotaExceededError(UsageError):
    """The team used its quota; the message says when a slot frees up."""


@dataclass(frozen=True)
class QuotaState:
    """How much of its quotas a team has used."""

    used: int
    quota: int
    window_s: float
    next_free_at: float | None
    """When the oldest counted scoring leaves the window (None if nothing counted or only pending)."""
    failures: int = 0
    failure_quota: int = 0

    @property
    def left(self) -> int:
        """Submissions the team may still make now."""
        return max(0, self.quota - self.used)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return {
            "used": self.used,
            "quota": self.quota,
            "window_s": self.window_s,
            "next_free_at": self.next_free_at,
            "left": self.left,
            "failures": self.failures,
            "failure_quota": self.failure_quota,
        }


def quota_state(
    session: Session, team_id: int, *, quota: int, window_s: float, failure_quota: int = 0, now: float | None = None
) -> QuotaState:
    """Count the team's scorings in the window plus its pending jobs, and its charged failures."""
    t = time.time() if now is None else now
    since = t - window_s
    finished = Submission.status.in_((JobStatus.SCORED, JobStatus.WITHDRAWN)) & (Submission.finished_at >= since)
    counted = (Submission.team_id == team_id) & or_(
        Submission.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)), finished
    )
    used = session.scalar(select(func.count()).select_from(Submission).where(counted)) or 0
    oldest = session.scalar(select(func.min(Submission.finished_at)).where(Submission.team_id == team_id, finished))
    failures = (
        session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(
                Submission.team_id == team_id,
                Submission.status == JobStatus.FAILED,
                Submission.failure_kind.in_(_CHARGED_FAILURES),
                Submission.finished_at >= since,
            )
        )
        or 0
    )
    return QuotaState(
        int(used), quota, window_s, None if oldest is None else float(oldest) + window_s, int(failures), failure_quota
    )


def check_quota(
    session: Session, team_id: int, *, quota: int, window_s: float, failure_quota: int = 0, now: float | None = None
) -> QuotaState:
    """Return the quota state, or raise :class:`QuotaExceededError` if no slot (or no failure) is left.

    Args:
        failure_quota: charged failures allowed in the window (0: no failure limit).
    """
    state = quota_state(session, team_id, quota=quota, window_s=window_s, failure_quota=failure_quota, now=now)
    hours = f"{window_s / 3600:g} h"
    if failure_quota and state.failures >= failure_quota:
        raise QuotaExceededError(
            f"quota: expected at most {failure_quota} failed scorings per {hours} for your team, got "
            f"{state.failures}; fix the archive with comsamy-eval locally before submitting again"
        )
    if state.left == 0:
        when = (
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(state.next_free_at))
            if state.next_free_at is not None
            else "when one of your pending submissions finishes"
        )
        raise QuotaExceededError(
            f"quota: expected at most {quota} scorings per {hours} for your team, got {state.used} "
            f"(scored or pending); the next slot frees {when}"
        )
    return state
