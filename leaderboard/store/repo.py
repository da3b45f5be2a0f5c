"""Read-side queries of the pages: the public table, a team's submissions, one submission's result."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from leaderboard.store.models import Result, Submission, Team


@dataclass(frozen=True)
class Entry:
    """A scored submission as the pages show it (aggregates only)."""

    submission_id: int
    method: str
    team: str
    finished_at: float
    extra_data: bool
    outlier_data: bool
    backbone: str
    paper_url: str
    code_url: str
    visibility: str
    results: dict[str, Any] = field(repr=False)
    curves: dict[str, Any] = field(repr=False)
    scorer_version: str = ""
    data_revision: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class SubmissionView:
    """One of a team's submissions, for the status page."""

    submission_id: int
    method: str
    status: str
    visibility: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    heartbeat_at: float | None
    attempts: int
    error: str | None
    archive_sha256: str
    overall: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return dict(self.__dict__)


def _entry(sub: Submission, team: str, res: Result) -> Entry:
    return Entry(
        submission_id=sub.id, method=sub.method, team="anonymous" if sub.visibility == "anonymous" else team,
        finished_at=sub.finished_at or 0.0, extra_data=sub.extra_data, outlier_data=sub.outlier_data,
        backbone=sub.backbone, paper_url=sub.paper_url, code_url=sub.code_url, visibility=sub.visibility,
        results=json.loads(res.results_json), curves=json.loads(res.curves_json),
        scorer_version=res.scorer_version, data_revision=res.data_revision,
    )


def public_entries(engine: Engine) -> list[Entry]:
    """Every scored submission whose visibility is public or anonymous, newest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(Submission, Team.name, Result)
            .join(Team, Team.id == Submission.team_id)
            .join(Result, Result.submission_id == Submission.id)
            .where(Submission.status == "scored", Submission.visibility.in_(("public", "anonymous")))
            .order_by(Submission.finished_at.desc())
        ).all()
        return [_entry(sub, team, res) for sub, team, res in rows]


def team_entries(engine: Engine, team_id: int) -> list[Entry]:
    """Every scored submission of one team, private ones included."""
    with Session(engine) as session:
        rows = session.execute(
            select(Submission, Team.name, Result)
            .join(Team, Team.id == Submission.team_id)
            .join(Result, Result.submission_id == Submission.id)
            .where(Submission.team_id == team_id, Submission.status == "scored")
            .order_by(Submission.id.desc())
        ).all()
        return [_entry(sub, team, res) for sub, team, res in rows]


def team_submissions(engine: Engine, team_id: int) -> list[SubmissionView]:
    """A team's submissions, newest first, with the overall metrics of scored ones."""
    with Session(engine) as session:
        rows = session.execute(
            select(Submission, Result.results_json)
            .outerjoin(Result, Result.submission_id == Submission.id)
            .where(Submission.team_id == team_id)
            .order_by(Submission.id.desc())
        ).all()
        out = []
        for sub, results_json in rows:
            overall = json.loads(results_json).get("overall") if results_json else None
            out.append(SubmissionView(
                sub.id, sub.method, sub.status, sub.visibility, sub.created_at, sub.started_at, sub.finished_at,
                sub.heartbeat_at, sub.attempts, sub.error, sub.archive_sha256, overall,
            ))
        return out
