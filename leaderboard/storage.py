"""Content-addressed archive storage: ``<root>/archives/<sha[:2]>/<sha>.zip``.

Uploads are streamed in chunks to a temporary file in the same folder tree while being hashed, then
moved into place atomically. An archive already stored is kept and the new copy dropped, unless the stored copy
no longer matches its digest (a corrupted disk): then the new, verified copy replaces it. The worker checks
the digest again before scoring (:meth:`ArchiveStore.get_verified`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from comsamy.errors import UsageError

log = logging.getLogger(__name__)
CHUNK = 1 << 20
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
ZIP_MAGIC = b"PK\x03\x04"
MIN_ZIP_BYTES = 22 + 30  # end-of-central-directory record plus one local file header


class UploadTooLargeError(UsageError):
    """The upload is over the size cap."""


class NotAZipError(UsageError):
    """The upload is empty or not a zip archive (refused before anything is queued)."""


class CorruptedArchiveError(UsageError):
    """The stored copy of an archive no longer matches its SHA-256."""


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    hasher = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter_chunks(fh):
            hasher.update(block)
    return hasher.hexdigest()


def check_zip_start(head: bytes, size: int, *, name: str = "archive") -> None:
    """Refuse an empty upload, or one that does not start like a zip with at least one member.

    Raises:
        NotAZipError: naming the uploaded file.
    """
    if size == 0:
        raise NotAZipError(f"{name}: expected a .zip archive of score maps, got an empty file")
    if not head.startswith(ZIP_MAGIC) or size < MIN_ZIP_BYTES:
        raise NotAZipError(
            f"{name}: expected a .zip archive of score maps (starting with PK\\x03\\x04), got "
            f"{size} bytes of something else"
        )


@dataclass(frozen=True)
class StoredArchive:
    """An archive in the store."""

    sha256: str
    size: int
    path: Path

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view."""
        return {"sha256": self.sha256, "size": self.size, "path": str(self.path)}


def iter_chunks(fileobj: IO[bytes], chunk: int = CHUNK) -> Iterable[bytes]:
    """Read ``fileobj`` from its start in ``chunk``-byte pieces."""
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    while True:
        block = fileobj.read(chunk)
        if not block:
            return
        yield block


class ArchiveStore:
    """Archives on disk, named by their SHA-256."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser()

    def path_for(self, sha256: str) -> Path:
        """Where the archive with this digest lives (whether or not it exists)."""
        if not SHA_RE.match(sha256):
            raise UsageError(f"sha256: expected 64 lowercase hex digits, got {sha256!r}")
        return self.root / "archives" / sha256[:2] / f"{sha256}.zip"

    def put_stream(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> StoredArchive:
        """Write ``chunks`` to disk while hashing them; move the file to its content address.

        Raises:
            UploadTooLargeError: more than ``max_bytes`` bytes arrived (nothing is kept).
        """
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                for block in chunks:
                    size += len(block)
                    if max_bytes is not None and size > max_bytes:
                        raise UploadTooLargeError(
                            f"archive: expected at most {max_bytes / 2**20:.0f} MB, got more than that"
                        )
                    hasher.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            sha = hasher.hexdigest()
            final = self.path_for(sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists() and file_sha256(final) == sha:
                os.unlink(tmp_name)
            else:
                if final.exists():
                    log.warning("stored archive %s did not match its digest; replaced by a new upload", sha)
                os.replace(tmp_name, final)
            return StoredArchive(sha256=sha, size=size, path=final)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def put_file(self, fileobj: IO[bytes], *, max_bytes: int | None = None) -> StoredArchive:
        """:meth:`put_stream` over a binary file object, read in 1 MiB chunks."""
        return self.put_stream(iter_chunks(fileobj), max_bytes=max_bytes)

    def get(self, sha256: str) -> Path:
        """Path of a stored archive.

        Raises:
            UsageError: no archive with that digest is stored.
        """
        path = self.path_for(sha256)
        if not path.is_file():
            raise UsageError(f"archive {sha256[:12]}…: expected it in the server's storage, got nothing there")
        return path

    def get_verified(self, sha256: str) -> Path:
        """Path of a stored archive whose content still hashes to ``sha256``.

        Raises:
            UsageError: not stored.
            CorruptedArchiveError: stored, but the bytes changed since the upload.
        """
        path = self.get(sha256)
        if file_sha256(path) != sha256:
            raise CorruptedArchiveError(
                f"archive {sha256[:12]}…: expected its stored copy to match its SHA-256, "
                "got different bytes (the server's copy is damaged)"
            )
        return path

    def clean_tmp(self, *, older_than_s: float = 0.0) -> int:
        """Remove partial uploads left in ``<root>/tmp`` (older than ``older_than_s``); return how many."""
        tmp_dir = self.root / "tmp"
        if not tmp_dir.is_dir():
            return 0
        removed = 0
        cutoff = time.time() - older_than_s
        for entry in tmp_dir.iterdir():
            try:
                if entry.is_file() and entry.stat().st_mtime <= cutoff:
                    entry.unlink()
                    removed += 1
            except OSError:  # another process removed or is replacing it
                continue
        if removed:
            log.info("removed %d partial upload(s) from %s", removed, tmp_dir)
        return removed
