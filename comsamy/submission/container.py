"""In-memory access to the members of a prediction archive: a zip file or a plain folder.

Nothing is ever extracted: member names are checked as strings and never joined to a filesystem path (a folder
member is only opened through the name the directory walk itself produced). Reads are bounded by a size limit.
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from comsamy.submission.zipcount import count_records

__all__ = ["Container", "FolderContainer", "MemberEntry", "MemberReadError", "ZipContainer", "open_container"]

_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_UNIX_SYSTEM = 3
_BOUNDED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ZIP_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)
"""What :mod:`zipfile` raises on a corrupt, truncated or unsupported member (each becomes a MemberReadError)."""
IGNORED_PREFIXES = ("__MACOSX/",)
IGNORED_BASENAMES = frozenset({".DS_Store", "Thumbs.db"})
MAX_FOLDER_DEPTH = 32
"""Folder levels walked below a folder archive's root (SMIYC's layout uses three)."""


class MemberReadError(Exception):
    """A member could not be read (corrupt data, bad CRC, unsupported compression); internal, becomes a problem."""


@dataclass(frozen=True)
class MemberEntry:
    """One member as listed by the container, before any of its bytes are read.

    Attributes:
        name: the member name, "/"-separated, as stored (for zips: decoded per the zip spec).
        size: declared uncompressed size in bytes.
        problems: name-level and flag-level problems found from the listing alone (empty when fine).
        is_dir: a directory entry (skipped).
    """

    name: str
    size: int
    problems: tuple[str, ...] = ()
    is_dir: bool = False
    key: object = None

    @property
    def ignored(self) -> bool:
        """Operating-system litter (``__MACOSX/``, ``.DS_Store``) that carries no scores and is skipped."""
        base = self.name.rsplit("/", 1)[-1]
        return self.name.startswith(IGNORED_PREFIXES) or base in IGNORED_BASENAMES


def name_problems(name: str) -> list[str]:
    """Problems of a member name as a string: absolute, ``..`` component, backslash (the name is quoted)."""
    out = []
    if name.startswith("/") or (len(name) > 1 and name[1] == ":" and name[0].isalpha()):
        out.append(f"member {name!r}: expected a relative name, got an absolute path")
    if ".." in name.replace("\\", "/").split("/"):
        out.append(f"member {name!r}: expected a name without '..' components, got a path that leaves the archive")
    if "\\" in name:
        out.append(f"member {name!r}: expected '/' as separator, got a backslash in the name")
    if "\x00" in name:
        out.append(f"member {name!r}: expected a name without NUL characters")
    return out


class Container:
    """Base class: a listing of members and bounded reads of their bytes."""

    path: Path
    kind: str = "?"
    _by_name: dict[str, MemberEntry] | None = None

    def entries(self) -> list[MemberEntry]:
        """Every member (files and directories), in stored order."""
        raise NotImplementedError

    def entry(self, name: str) -> MemberEntry:
        """The listing entry of a file member by name (the listing is read once per container and cached).

        Raises:
            MemberReadError: no such member (it disappeared after validation).
        """
        if self._by_name is None:
            self._by_name = {e.name: e for e in self.entries() if not e.is_dir}
        try:
            return self._by_name[name]
        except KeyError:
            raise MemberReadError("member disappeared from the archive after validation") from None

    def read(self, entry: MemberEntry, limit: int) -> bytes:
        """All bytes of a member; raises :class:`MemberReadError` when unreadable or longer than ``limit``."""
        raise NotImplementedError

    def read_head(self, entry: MemberEntry, n: int) -> bytes:
        """The first ``n`` bytes of a member (no CRC check: that happens on the full read)."""
        raise NotImplementedError

    def iter_chunks(self) -> Iterator[bytes]:
        """Bytes that identify the archive for its SHA-256 (the zip file itself, or names + contents)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file handle."""

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ZipContainer(Container):
    """A zip file read through :mod:`zipfile`, never extracted."""

    kind = "zip"

    def __init__(self, path: Path, *, max_records: int | None = None) -> None:
        self.path = path
        if max_records is not None:  # counted before zipfile builds an object per record
            with open(path, "rb") as fh:
                found = count_records(fh, max_records)
            if found > max_records:
                raise MemberReadError(
                    f"too many members: expected at most {max_records} zip entries (directories"
                    f" and OS litter included), got more than {max_records}"
                )
        self._zf = zipfile.ZipFile(path)

    def entries(self) -> list[MemberEntry]:
        out = []
        seen: set[str] = set()
        for info in self._zf.infolist():
            name = info.filename
            problems = name_problems(name)
            if not info.flag_bits & _UTF8_FLAG and not name.isascii():
                try:  # many tools store UTF-8 without setting the flag; anything else is not UTF-8
                    name = name.encode("cp437").decode("utf-8")
                except (UnicodeEncodeError, UnicodeDecodeError):
                    problems.append(f"member {name!r}: expected a UTF-8 name, got bytes in another encoding")
            if info.compress_type not in _BOUNDED_METHODS and not info.is_dir():
                problems.append(
                    f"member {name!r}: expected a stored or deflated member, got compression method"
                    f" {info.compress_type} (only those two inflate with a bounded output)"
                )
            if info.flag_bits & _ENCRYPTED_FLAG:
                problems.append(f"member {name!r}: expected an unencrypted member, got an encrypted one")
            mode = info.external_attr >> 16
            if info.create_system == _UNIX_SYSTEM and stat.S_ISLNK(mode):
                problems.append(f"member {name!r}: expected a regular file, got a symbolic link")
            if name in seen:
                problems.append(f"member {name!r}: expected unique member names, got this name twice")
            seen.add(name)
            out.append(MemberEntry(name, int(info.file_size), tuple(problems), info.is_dir(), info))
        return out

    def _open(self, entry: MemberEntry) -> IO[bytes]:
        info = entry.key
        assert isinstance(info, zipfile.ZipInfo)
        return self._zf.open(info)

    def read(self, entry: MemberEntry, limit: int) -> bytes:
        if entry.size > limit:
            raise MemberReadError(f"declared size {entry.size} bytes is over the limit of {limit} bytes")
        try:
            with self._open(entry) as fh:
                data = fh.read(limit + 1)
        except _ZIP_READ_ERRORS as exc:
            raise MemberReadError(_describe(exc)) from exc
        if len(data) != entry.size:
            raise MemberReadError(f"expected {entry.size} bytes as declared, got {len(data)}")
        return data

    def read_head(self, entry: MemberEntry, n: int) -> bytes:
        try:
            with self._open(entry) as fh:
                return fh.read(min(n, entry.size))
        except _ZIP_READ_ERRORS as exc:
            raise MemberReadError(_describe(exc)) from exc

    def iter_chunks(self) -> Iterator[bytes]:
        with open(self.path, "rb") as fh:
            while chunk := fh.read(1 << 22):
                yield chunk

    def close(self) -> None:
        self._zf.close()


class FolderContainer(Container):
    """A plain folder; symlinks are reported, never followed."""

    kind = "folder"

    def __init__(self, path: Path, *, max_records: int | None = None) -> None:
        self.path = path
        self.max_records = max_records

    def _walk(self) -> Iterator[tuple[str, str, list[str], list[str]]]:
        """``(dirpath, rel_dir, names, too_deep)`` top-down in sorted order, as ``os.walk`` gave them, but with an
        explicit stack (a folder 1 100 deep overflowed the recursion) and no descent below
        :data:`MAX_FOLDER_DEPTH` nor into symlinked folders (those are listed among ``names``)."""
        stack = [(str(self.path), ".", 0)]
        while stack:
            dirpath, rel_dir, depth = stack.pop()
            with os.scandir(dirpath) as it:
                found = sorted(it, key=lambda e: e.name)
            files = [e.name for e in found if not e.is_dir()]
            links = [e.name for e in found if e.is_dir() and e.is_symlink()]
            subdirs = [e.name for e in found if e.is_dir() and not e.is_symlink()]
            deep = subdirs if depth >= MAX_FOLDER_DEPTH else []
            yield dirpath, rel_dir, files + links, deep
            if not deep:
                for name in reversed(subdirs):
                    child = name if rel_dir == "." else f"{rel_dir}/{name}"
                    stack.append((os.path.join(dirpath, name), child, depth + 1))

    def entries(self) -> list[MemberEntry]:
        out = []
        for dirpath, rel_dir, names, too_deep in self._walk():
            for name in too_deep:
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                out.append(
                    MemberEntry(
                        rel,
                        0,
                        (
                            f"member {rel!r}: expected folders at most {MAX_FOLDER_DEPTH} deep,"
                            " got a deeper one (not walked)",
                        ),
                        False,
                        None,
                    )
                )
            for fname in names:
                full = os.path.join(dirpath, fname)
                rel = fname if rel_dir == "." else f"{rel_dir}/{fname}"
                problems = name_problems(rel)
                try:
                    rel.encode("utf-8")
                except UnicodeEncodeError:
                    problems.append(f"member {rel!r}: expected a UTF-8 name, got bytes in another encoding")
                st = os.lstat(full)
                if stat.S_ISLNK(st.st_mode):
                    problems.append(f"member {rel!r}: expected a regular file, got a symbolic link")
                elif not stat.S_ISREG(st.st_mode):
                    problems.append(f"member {rel!r}: expected a regular file, got a special file")
                out.append(MemberEntry(rel, int(st.st_size), tuple(problems), False, full))
            if self.max_records is not None and len(out) > self.max_records:
                break  # the member count check refuses it; the rest of a huge tree is never walked
        return out

    def read(self, entry: MemberEntry, limit: int) -> bytes:
        if entry.size > limit:
            raise MemberReadError(f"size {entry.size} bytes is over the limit of {limit} bytes")
        try:
            with _open_regular(str(entry.key)) as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            raise MemberReadError(_describe(exc)) from exc
        if len(data) > limit:
            raise MemberReadError(f"size is over the limit of {limit} bytes")
        return data

    def read_head(self, entry: MemberEntry, n: int) -> bytes:
        try:
            with _open_regular(str(entry.key)) as fh:
                return fh.read(n)
        except OSError as exc:
            raise MemberReadError(_describe(exc)) from exc

    def iter_chunks(self) -> Iterator[bytes]:
        for entry in self.entries():
            if entry.problems:
                continue
            yield entry.name.encode("utf-8", "surrogateescape") + b"\x00"
            with _open_regular(str(entry.key)) as fh:
                while chunk := fh.read(1 << 22):
                    yield chunk


def _open_regular(path: str) -> IO[bytes]:
    """Open a file the listing found regular, refusing what was swapped in since: a symlink (not followed), a FIFO
    or device (opened non-blocking, then refused), so a race with the listing cannot read outside the folder."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"expected a regular file, got a special file at read time: {os.path.basename(path)!r}")
    return os.fdopen(fd, "rb")


def _describe(exc: BaseException) -> str:
    text = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__
    if "CRC" in text:  # (an OSError's strerror, never its file name: no server path in a report)
        return f"corrupt data (CRC check failed: {text})"
    return f"unreadable ({type(exc).__name__}: {text})"


def open_container(path: str | os.PathLike[str], *, max_records: int | None = None) -> Container:
    """Open a zip file or a folder for in-memory reading.

    Args:
        path: a zip file or a folder.
        max_records: refuse a zip with more central-directory records than this (counted before parsing them).

    Raises:
        MemberReadError: more records than ``max_records``; see :func:`comsamy.submission.open_archive` for the user-facing errors.
        FileNotFoundError, zipfile.BadZipFile, OSError: passed on to the caller, which words them.
    """
    p = Path(path)
    if p.is_dir():
        return FolderContainer(p, max_records=max_records)
    return ZipContainer(p, max_records=max_records)
