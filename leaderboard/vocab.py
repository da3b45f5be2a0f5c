"""The leaderboard's vocabularies, one :class:`~enum.StrEnum` each; the database CHECK constraints use them too."""

from __future__ import annotations

from comsamy.constants import StrEnum

__all__ = ["FailureKind", "JobStatus", "StrEnum", "Visibility", "check_sql"]


class JobStatus(StrEnum):
    """Where a submission is on its way: queued → running → scored | failed, or withdrawn by its owner."""

    QUEUED = "queued"
    RUNNING = "running"
    SCORED = "scored"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


class Visibility(StrEnum):
    """Who sees a scored submission: only its team, everyone with the team's name, or everyone without it."""

    PRIVATE = "private"
    PUBLIC = "public"
    ANONYMOUS = "anonymous"


class FailureKind(StrEnum):
    """Why a job failed: the archive (counts toward the failure limit), its budget (counts too), or the server."""

    ARCHIVE = "archive"
    BUDGET = "budget"
    SERVER = "server"


def check_sql(column: str, enum: type[StrEnum], *, nullable: bool = False) -> str:
    """The SQL of a CHECK constraint that keeps ``column`` inside ``enum``'s values.

    >>> check_sql("visibility", Visibility)
    "visibility IN ('private', 'public', 'anonymous')"
    """
    values = ", ".join(f"'{v.value}'" for v in enum)
    sql = f"{column} IN ({values})"
    return f"{column} IS NULL OR {sql}" if nullable else sql
