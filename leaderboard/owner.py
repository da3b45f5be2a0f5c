"""What a team may do to its own submissions: withdraw one, change its visibility.

Both need the team's token and change nothing of another team's submission; each bumps the submission's
``version`` (the compare-and-set fence of the queue), so a job a worker holds is never changed under it.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from comsamy.errors import UsageError
from leaderboard.store.models import Submission
from leaderboard.tokens import verify_token
from leaderboard.vocab import JobStatus, Visibility

__all__ = ["set_visibility", "withdraw"]
WITHDRAWABLE = (JobStatus.QUEUED, JobStatus.SCORED, JobStatus.FAILED)


def _own(session: Session, team_id: int, submission_id: int) -> Submission:
    sub = session.scalar(select(Submission).where(Submission.id == int(submission_id), Submission.team_id == team_id))
    if sub is None:
        raise UsageError(f"submission: expected one of your team's submissions, got #{submission_id}")
    return sub


def _change(engine: Engine, token: str, submission_id: int, allowed: tuple[str, ...], **values: object) -> None:
    ident = verify_token(engine, token)
    with Session(engine) as session, session.begin():
        sub = _own(session, ident.team_id, submission_id)
        if sub.status not in allowed:
            raise UsageError(
                f"submission #{sub.id}: expected it {' or '.join(allowed)}, got {sub.status} "
                "(try again when the worker is done)"
            )
        res = session.execute(
            update(Submission)
            .where(Submission.id == sub.id, Submission.version == sub.version)
            .values(version=sub.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if int(res.rowcount or 0) != 1:  # type: ignore[attr-defined]
            raise UsageError(f"submission #{sub.id}: expected no change under way, got one; please retry")


def withdraw(engine: Engine, token: str, submission_id: int) -> None:
    """Take a queued, scored or failed submission off the queue and the board for good.

    A withdrawn scored submission still counts toward the quota window it was scored in.

    Raises:
        TokenError: the token is invalid.
        UsageError: not the team's submission, or running right now.
    """
    _change(engine, token, submission_id, tuple(WITHDRAWABLE), status=JobStatus.WITHDRAWN)


def set_visibility(engine: Engine, token: str, submission_id: int, visibility: str) -> None:
    """Make one of the team's queued, scored or failed submissions private, public or anonymous.

    Raises:
        TokenError: the token is invalid.
        UsageError: not the team's submission, running or withdrawn, or an unknown visibility.
    """
    if visibility not in tuple(Visibility):
        raise UsageError(f"visibility: expected one of {', '.join(Visibility)}, got {visibility!r}")
    _change(engine, token, submission_id, tuple(WITHDRAWABLE), visibility=visibility)
