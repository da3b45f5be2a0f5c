"""The one submission function: the Submit page and ``scripts/load_leaderboard.py`` both call it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from leaderboard.manifest import SubmissionInfo
from leaderboard.quotas import check_quota
from leaderboard.safetext import clean_text
from leaderboard.settings import Settings
from leaderboard.storage import ArchiveStore, UploadTooLargeError, check_zip_start
from leaderboard.store.models import Submission, Team
from leaderboard.tokens import verify_token
from leaderboard.vocab import JobStatus


@dataclass(frozen=True)
class Receipt:
    """What the submitter gets back."""

    submission_id: int
    team: str
    archive_sha256: str
    archive_size: int
    quota_left: int

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return dict(self.__dict__)


def submit_archive(
    engine: Engine,
    settings: Settings,
    *,
    token: str,
    fileobj: IO[bytes],
    info: SubmissionInfo,
    filename: str = "archive.zip",
    now: float | None = None,
) -> Receipt:
    """Check the token, the form, the file and the quota, spool the archive to storage and queue a job.

    Nothing is queued when a check fails; the archive is stored (content-addressed) before the quota
    check so that the upload is not held in memory while waiting for the database.

    Args:
        filename: the uploaded file's name; the submitter's messages name it (never the storage path).

    Raises:
        TokenError, UsageError, QuotaExceededError, UploadTooLargeError, NotAZipError: with a message for the
        submitter.
    """
    ident = verify_token(engine, token)
    info = info.checked()
    name = clean_text(filename).strip()[-200:] or "archive.zip"
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    if size > settings.max_upload_bytes:
        raise UploadTooLargeError(f"{name}: expected at most {settings.max_upload_mb} MB, got {size / 2**20:.1f} MB")
    check_zip_start(fileobj.read(4), size, name=name)
    stored = ArchiveStore(settings.storage).put_file(fileobj, max_bytes=settings.max_upload_bytes)
    t = time.time() if now is None else now
    with Session(engine) as session, session.begin():
        session.scalar(select(Team).where(Team.id == ident.team_id).with_for_update())  # serialise per team
        state = check_quota(
            session,
            ident.team_id,
            quota=settings.quota,
            failure_quota=settings.failure_quota,
            window_s=settings.quota_window_h * 3600,
            now=t,
        )
        row = Submission(
            team_id=ident.team_id,
            archive_sha256=stored.sha256,
            archive_size=stored.size,
            archive_name=name,
            status=JobStatus.QUEUED,
            version=0,
            attempts=0,
            created_at=t,
            **info.to_dict(),
        )
        session.add(row)
        session.flush()
        return Receipt(row.id, ident.team, stored.sha256, stored.size, state.left - 1)
