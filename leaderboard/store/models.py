"""SQLAlchemy 2 models of the leaderboard (the Alembic revisions ``0001`` and ``0002`` create exactly these).

Times are stored as UTC seconds since the epoch (float): portable between SQLite and PostgreSQL and
free of naive/aware datetime mix-ups. JSON documents are stored as text.
"""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leaderboard.vocab import FailureKind, JobStatus, Visibility, check_sql

#: name -> SQL of the CHECK constraints on ``submissions`` (migration 0002 creates the same ones).
SUBMISSION_CHECKS = {
    "ck_submissions_status": check_sql("status", JobStatus),
    "ck_submissions_visibility": check_sql("visibility", Visibility),
    "ck_submissions_failure_kind": check_sql("failure_kind", FailureKind, nullable=True),
}


class Base(DeclarativeBase):
    """Declarative base of every leaderboard table."""


class Team(Base):
    """A submitting team; tokens and submissions belong to one."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[float] = mapped_column(Float)


class Token(Base):
    """A team's submission token: only a salted, peppered SHA-256 digest of its secret is stored."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    salt: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class Submission(Base):
    """One uploaded archive and its way through the queue (queued → running → scored | failed)."""

    __tablename__ = "submissions"
    __table_args__ = tuple(CheckConstraint(sql, name=name) for name, sql in SUBMISSION_CHECKS.items())
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    paper_url: Mapped[str] = mapped_column(String(500), default="")
    code_url: Mapped[str] = mapped_column(String(500), default="")
    backbone: Mapped[str] = mapped_column(String(200), default="")
    extra_data: Mapped[bool] = mapped_column(Boolean, default=False)
    outlier_data: Mapped[bool] = mapped_column(Boolean, default=False)
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    archive_sha256: Mapped[str] = mapped_column(String(64), index=True)
    archive_size: Mapped[int] = mapped_column(Integer)
    archive_name: Mapped[str] = mapped_column(String(255), default="")
    """The uploaded file's name as the submitter chose it: failure messages name it, never the storage path."""
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped by every state change: the compare-and-set fence of claims, heartbeats and completions."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failure_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """:class:`~leaderboard.vocab.FailureKind` of a failed job (archive and budget failures are rate limited)."""
    worker_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    heartbeat_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    lease_expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class Result(Base):
    """Aggregate results of one scored submission (never anything per pixel)."""

    __tablename__ = "results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)
    archive_sha256: Mapped[str] = mapped_column(String(64), index=True)
    results_json: Mapped[str] = mapped_column(Text)
    curves_json: Mapped[str] = mapped_column(Text)
    public_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    """:func:`leaderboard.publish.public_results` of ``results_json`` (every condition, no pixel counts), written
    with the result so that the board reads a small document; pages still apply the image minimum on read."""
    scorer_version: Mapped[str] = mapped_column(String(64))
    data_revision: Mapped[str] = mapped_column(String(200))
    reused_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Submission whose scoring was reused (same archive, data and scorer); None when scored here."""
    created_at: Mapped[float] = mapped_column(Float)


class Worker(Base):
    """A worker process as last seen (for "worker last seen" on the status page)."""

    __tablename__ = "workers"
    __table_args__ = (UniqueConstraint("worker_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[float] = mapped_column(Float)
    last_seen_at: Mapped[float] = mapped_column(Float)
    jobs_done: Mapped[int] = mapped_column(Integer, default=0)
