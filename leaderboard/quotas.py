"""Per-team quotas over a rolling window.

A team may hold at most ``quota`` submissions that were scored within the last ``window`` or are still
pending (queued or running): a pending job reserves a slot until it fails, so failures never count and a
team cannot flood the queue. Submissions whose result was reused count like any other scoring.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from comsamy.errors import UsageError
from leaderboard.store.models import Submission


class QuotaExceededError(UsageError):
    """The team used its quota; the message says when a slot frees up."""


@dataclass(frozen=True)
class QuotaState:
    """How much of its quota a team has used."""

    used: int
    quota: int
    window_s: float
    next_free_at: float | None
    """When the oldest counted scoring leaves the window (None if nothing counted or only pending)."""

    @property
    def left(self) -> int:
        """Submissions the team may still make now."""
        return max(0, self.quota - self.used)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return {"used": self.used, "quota": self.quota, "window_s": self.window_s,
                "next_free_at": self.next_free_at, "left": self.left}


def quota_state(session: Session, team_id: int, *, quota: int, window_s: float, now: float | None = None) -> QuotaState:
    """Count the team's scorings in the window plus its pending jobs."""
    t = time.time() if now is None else now
    counted = (
        (Submission.team_id == team_id)
        & or_(
            Submission.status.in_(("queued", "running")),
            (Submission.status == "scored") & (Submission.finished_at >= t - window_s),
        )
    )
    used = session.scalar(select(func.count()).select_from(Submission).where(counted)) or 0
    oldest = session.scalar(
        select(func.min(Submission.finished_at))
        .where(Submission.team_id == team_id, Submission.status == "scored", Submission.finished_at >= t - window_s)
    )
    return QuotaState(int(used), quota, window_s, None if oldest is None else float(oldest) + window_s)


def check_quota(session: Session, team_id: int, *, quota: int, window_s: float, now: float | None = None) -> QuotaState:
    """Return the quota state, or raise :class:`QuotaExceededError` if no slot is left."""
    state = quota_state(session, team_id, quota=quota, window_s=window_s, now=now)
    if state.left == 0:
        when = (
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(state.next_free_at))
            if state.next_free_at is not None else "when one of your pending submissions finishes"
        )
        raise QuotaExceededError(
            f"quota: expected at most {quota} scorings per {window_s / 3600:g} h for your team, got {state.used} "
            f"(scored or pending); the next slot frees {when}"
        )
    return state
