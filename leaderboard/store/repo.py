"""Read-side queries of the pages: the public table, one method's page, a team's submissions.

Every :class:`Entry` carries the leak-safe view of its results (:func:`leaderboard.publish.public_results`) and
of its curves (:func:`leaderboard.publish.public_curves`), never the stored document itself: pages cannot show
what they never receive. The board reads no curves at all (:func:`public_entries`); a method page loads the
curves of the methods it shows (:func:`entries_by_id` with ``curves=True``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from leaderboard.publish import public_curves, restrict
from leaderboard.store.models import Result, Submission, Team
from leaderboard.vocab import JobStatus, Visibility

__all__ = [
    "Entry",
    "SubmissionView",
    "board_version",
    "entries_by_id",
    "public_entries",
    "team_entries",
    "team_submissions",
]
SHOWN = (Visibility.PUBLIC.value, Visibility.ANONYMOUS.value)


@dataclass(frozen=True)
class Entry:
    """A scored submission as the pages show it (published aggregates only)."""

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
    curves: dict[str, Any] = field(repr=False, default_factory=dict)
    scorer_version: str = ""
    data_revision: str = ""
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class SubmissionView:
    """One of a team's submissions, for the status page (overall metrics already made public-safe)."""

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


def _entry(
    sub: Submission,
    team: str,
    results_json: str,
    curves_json: str | None,
    scorer_version: str,
    data_revision: str,
    *,
    min_images: int,
) -> Entry:
    results = restrict(json.loads(results_json), min_images=min_images)
    curves = public_curves(json.loads(curves_json), results, min_images=min_images) if curves_json else {}
    return Entry(
        submission_id=sub.id,
        method=sub.method,
        team="anonymous" if sub.visibility == Visibility.ANONYMOUS else team,
        finished_at=sub.finished_at or 0.0,
        extra_data=sub.extra_data,
        outlier_data=sub.outlier_data,
        backbone=sub.backbone,
        paper_url=sub.paper_url,
        code_url=sub.code_url,
        visibility=sub.visibility,
        results=results,
        curves=curves,
        scorer_version=scorer_version,
        data_revision=data_revision,
        description=sub.description,
    )


def _published() -> Any:
    """The stored published view of a result (small, already rounded), the full document for older rows."""
    return func.coalesce(Result.public_json, Result.results_json)


def _select(curves: bool) -> Any:
    cols = [
        Submission,
        Team.name,
        _published(),
        Result.curves_json if curves else Result.id,
        Result.scorer_version,
        Result.data_revision,
    ]
    return (
        select(*cols)
        .join(Team, Team.id == Submission.team_id)
        .join(Result, Result.submission_id == Submission.id)
        .where(Submission.status == JobStatus.SCORED)
    )


def _entries(engine: Engine, query: Any, *, min_images: int, curves: bool) -> list[Entry]:
    with Session(engine) as session:
        rows = session.execute(query).all()
        return [
            _entry(sub, team, res, cur if curves else None, ver, rev, min_images=min_images)
            for sub, team, res, cur, ver, rev in rows
        ]


def public_entries(
    engine: Engine, *, min_images: int = 5, known: dict[tuple[int, int], Entry] | None = None
) -> list[Entry]:
    """Every scored public or anonymous submission, newest first, without curves (the board needs none).

    Args:
        known: a cache ``{(result id, submission version): Entry}`` kept between calls (one per process and
            ``min_images``): only results not in it are read and published again; it is updated in place.
    """
    order = Submission.finished_at.desc()
    if known is None:
        query = _select(False).where(Submission.visibility.in_(SHOWN)).order_by(order)
        return _entries(engine, query, min_images=min_images, curves=False)
    with Session(engine) as session:
        keys = [
            (int(r), int(v))
            for r, v in session.execute(
                select(Result.id, Submission.version)
                .join(Result, Result.submission_id == Submission.id)
                .where(Submission.status == JobStatus.SCORED, Submission.visibility.in_(SHOWN))
                .order_by(order)
            )
        ]
    missing = [r for r, v in keys if (r, v) not in known]
    for start in range(0, len(missing), 500):
        query = (
            _select(False)
            .add_columns(Result.id.label("rid"), Submission.version.label("ver"))
            .where(Result.id.in_(missing[start : start + 500]), Submission.visibility.in_(SHOWN))
        )
        with Session(engine) as session:
            for sub, team, res, _, ver, rev, rid, sver in session.execute(query).all():
                known[(int(rid), int(sver))] = _entry(sub, team, res, None, ver, rev, min_images=min_images)
    wanted = set(keys)
    for key in [k for k in known if k not in wanted]:  # withdrawn, hidden or changed since
        known.pop(key, None)
    return [known[k] for k in keys if k in known]


def entries_by_id(
    engine: Engine, ids: Iterable[int], *, min_images: int = 5, team_id: int | None = None, curves: bool = True
) -> list[Entry]:
    """The given scored submissions that the viewer may see, in the order of ``ids``.

    Args:
        ids: submission ids.
        team_id: the viewer's team (from a verified token): its private submissions are included too.
        curves: load the (fixed-level) curves as well.
    """
    wanted = [int(i) for i in ids]
    if not wanted:
        return []
    visible = Submission.visibility.in_(SHOWN)
    if team_id is not None:
        visible = visible | (Submission.team_id == team_id)
    query = _select(curves).where(Submission.id.in_(wanted), visible)
    found = {e.submission_id: e for e in _entries(engine, query, min_images=min_images, curves=curves)}
    return [found[i] for i in wanted if i in found]


def team_entries(engine: Engine, team_id: int, *, min_images: int = 5) -> list[Entry]:
    """Every scored submission of one team, private ones included, newest first, with curves."""
    query = _select(True).where(Submission.team_id == team_id).order_by(Submission.id.desc())
    return _entries(engine, query, min_images=min_images, curves=True)


def board_version(engine: Engine) -> tuple[int, int, int]:
    """``(newest result id, number of results, newest submission change)``: the board's cache key.

    A new result, a withdrawal or a visibility change (each bumps the submission's ``version``) changes it.
    """
    with Session(engine) as session:
        newest, count = session.execute(select(func.max(Result.id), func.count(Result.id))).one()
        changes = session.scalar(
            select(func.sum(Submission.version)).where(Submission.status.in_((JobStatus.SCORED, JobStatus.WITHDRAWN)))
        )
        return int(newest or 0), int(count or 0), int(changes or 0)


def team_submissions(engine: Engine, team_id: int, *, min_images: int = 5) -> list[SubmissionView]:
    """A team's submissions, newest first, with the published overall metrics of scored ones."""
    with Session(engine) as session:
        rows = session.execute(
            select(Submission, _published())
            .outerjoin(Result, Result.submission_id == Submission.id)
            .where(Submission.team_id == team_id)
            .order_by(Submission.id.desc())
        ).all()
        out = []
        for sub, results_json in rows:
            overall = restrict(json.loads(results_json), min_images=min_images)["overall"] if results_json else None
            out.append(
                SubmissionView(
                    sub.id,
                    sub.method,
                    sub.status,
                    sub.visibility,
                    sub.created_at,
                    sub.started_at,
                    sub.finished_at,
                    sub.heartbeat_at,
                    sub.attempts,
                    sub.error,
                    sub.archive_sha256,
                    overall,
                )
            )
        return out
