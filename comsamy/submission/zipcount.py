"""Count a zip's central-directory records before :mod:`zipfile` parses them (it builds an object per record).

A 200 MB upload can hold millions of 46-byte records (all pointing at one local header); ``zipfile.ZipFile``
would allocate a ``ZipInfo`` for each (about ten times the upload) before any member-count check runs. This walks
the records with :mod:`struct` and stops one past the limit, so a hostile listing costs O(limit).
"""

from __future__ import annotations

import struct
from typing import IO

__all__ = ["count_records"]

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_CENTRAL = b"PK\x01\x02"
_EOCD_SIZE = 22
_CENTRAL_SIZE = 46
_MAX_COMMENT = 0xFFFF


def _central_directory(fh: IO[bytes], file_size: int) -> tuple[int, int] | None:
    """``(start, size)`` of the central directory as zipfile locates it, or None when there is no end record."""
    tail_len = min(file_size, _EOCD_SIZE + _MAX_COMMENT)
    fh.seek(file_size - tail_len)
    tail = fh.read(tail_len)
    if tail[-_EOCD_SIZE:][:4] == _EOCD and tail[-2:] == b"\0\0":  # zipfile's first try: no comment
        pos = len(tail) - _EOCD_SIZE
    else:
        pos = tail.rfind(_EOCD)
    if pos < 0 or len(tail) - pos < _EOCD_SIZE:
        return None
    eocd_at = file_size - tail_len + pos
    size, _offset = struct.unpack("<II", tail[pos + 12 : pos + 20])
    locator = tail[pos - 20 : pos] if pos >= 20 else b""
    if locator[:4] == _EOCD64_LOCATOR:  # zip64: sizes live in the zip64 end record, just before the locator
        fh.seek(max(eocd_at - 20 - 56, 0))
        rec = fh.read(56)
        if rec[:4] == b"PK\x06\x06":
            size, _offset = struct.unpack("<QQ", rec[40:56])
            return max(eocd_at - 20 - 56 - size, 0), size
    return max(eocd_at - size, 0), size  # zipfile's "concat" rule: the directory ends where the end record starts


def count_records(fh: IO[bytes], limit: int) -> int:
    """The number of central-directory records, counted up to ``limit + 1`` (then the walk stops).

    Returns 0 for a file without an end record (zipfile then reports it as not a zip).
    """
    fh.seek(0, 2)
    file_size = fh.tell()
    found = _central_directory(fh, file_size)
    if found is None:
        return 0
    start, size = found
    fh.seek(start)
    count, done = 0, 0
    while done + _CENTRAL_SIZE <= size and count <= limit:
        head = fh.read(_CENTRAL_SIZE)
        if len(head) < _CENTRAL_SIZE or head[:4] != _CENTRAL:
            break
        name_len, extra_len, comment_len = struct.unpack("<HHH", head[28:34])
        skip = name_len + extra_len + comment_len
        fh.seek(skip, 1)
        done += _CENTRAL_SIZE + skip
        count += 1
    fh.seek(0)
    return count
