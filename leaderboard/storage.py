"""Content-addressed archive storage: ``<root>/archives/<sha[:2]>/<sha>.zip``.

Uploads are streamed in chunks to a temporary file in the same folder tree while being hashed, then
moved into place atomically; an archive already stored is kept and the new copy dropped.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from comsamy.errors import UsageError

CHUNK = 1 << 20
SHA_RE = re.compile(r"^[0-9a-f]{64}$")


class UploadTooLargeError(UsageError):
    """The upload is over the size cap."""


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
            if final.exists():
                os.unlink(tmp_name)
            else:
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
            raise UsageError(f"archive {sha256}: expected it in {self.root / 'archives'}, got nothing there")
        return path
