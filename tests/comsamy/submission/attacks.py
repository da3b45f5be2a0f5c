"""Builders of hostile archive members, written the way an attacker would (raw zip records, crafted HDF5).

Nothing here is large on disk: a deflate stream of zeros is built from one flushed block repeated, so a 15 MB
member that inflates to gigabytes costs milliseconds to make.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MIB = 1 << 20


def deflated_zeros(mib: int) -> bytes:
    """A raw deflate stream that inflates to ``mib`` MiB of zero bytes (about 1 KiB per MiB)."""
    fresh = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = fresh.compress(b"\0" * MIB) + fresh.flush(zlib.Z_FULL_FLUSH)  # refers to nothing before it, not final
    return block * mib + zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)


def central_record(name: bytes, *, method: int, crc: int, csize: int, size: int, offset: int) -> bytes:
    """One central-directory record (version 2.0, no flags, no extra field) for a local header at ``offset``."""
    fields = (0x02014B50, 20, 20, 0, method, 0, 0, crc, csize, size, len(name), 0, 0, 0, 0, 0, offset)
    return struct.pack("<IHHHHHHIIIHHHHHII", *fields) + name


def end_of_central(count: int, size: int, offset: int) -> bytes:
    """The end-of-central-directory record: ``count`` records (capped at 0xFFFF) of ``size`` bytes at ``offset``."""
    count = min(count, 0xFFFF)
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, size, offset, 0)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body and its CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def raw_zip(entries: Sequence[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from ``(name, deflated payload, declared uncompressed size, crc)`` records, exactly as given.

    zipfile would refuse to write repeated names without a warning or lying sizes; an attacker's tool does not.
    """
    out = io.BytesIO()
    central = []
    for name, payload, size, crc in entries:
        encoded = name.encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(payload), size, len(encoded), 0))
        out.write(encoded + payload)
        central.append(central_record(encoded, method=8, crc=crc, csize=len(payload), size=size, offset=offset))
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(end_of_central(len(central), out.tell() - start, start))
    return out.getvalue()


def npy_header(shape: tuple[int, ...], descr: str = "<f2") -> bytes:
    """The header of a ``.npy`` file (version 1.0) for an array of ``shape``."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def npz_bomb(shape: tuple[int, int], mib: int, *, repeat_name: bool) -> bytes:
    """An ``.npz`` whose ``score.npy`` declares ``shape`` float16 but inflates to ``mib`` MiB.

    ``repeat_name``: a valid ``score.npy`` first (what a careless reader checks), the bomb as a second entry of the
    same name (what a careless reader decodes). Otherwise one entry that declares the valid size and lies.
    """
    header = npy_header(shape)
    size = len(header) + shape[0] * shape[1] * 2
    valid = zlib.compressobj(9, zlib.DEFLATED, -15)
    valid_payload = valid.compress(header + b"\0" * (size - len(header))) + valid.flush()
    crc = zlib.crc32(header + b"\0" * (size - len(header)))
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb_payload = head.compress(header) + head.flush(zlib.Z_FULL_FLUSH) + deflated_zeros(mib)
    if repeat_name:
        return raw_zip(
            [("score.npy", valid_payload, size, crc), ("score.npy", bomb_payload, (mib * MIB) & 0xFFFFFFFF, 0)]
        )
    return raw_zip([("score.npy", bomb_payload, size, crc)])


def h5_bytes(build: object) -> bytes:
    """An HDF5 file made in memory by ``build(h5py_file)``."""
    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        build(f)  # type: ignore[operator]
    return buf.getvalue()


def h5_external(secret: Path, shape: tuple[int, int]) -> bytes:
    """``value`` whose raw data lives in another file of the machine (h5py ``external=``)."""
    nbytes = shape[0] * shape[1]
    return h5_bytes(lambda f: f.create_dataset("value", shape, "uint8", external=[(str(secret), 0, nbytes)]))


def h5_virtual(other: Path, shape: tuple[int, int]) -> bytes:
    """``value`` as a virtual dataset that maps another file's dataset."""
    import h5py

    def build(f: h5py.File) -> None:
        layout = h5py.VirtualLayout(shape=shape, dtype="float32")
        layout[:] = h5py.VirtualSource(str(other), "value", shape=shape)
        f.create_virtual_dataset("value", layout, fillvalue=0)

    return h5_bytes(build)


def h5_chunk_bomb(shape: tuple[int, int], mib: int) -> bytes:
    """A gzip-chunked ``value`` whose single chunk inflates to ``mib`` MiB (HDF5's filter would grow to fit it)."""
    import h5py

    def build(f: h5py.File) -> None:
        ds = f.create_dataset("value", shape, "float16", chunks=shape, compression="gzip")
        zeros = zlib.compressobj(9, zlib.DEFLATED, 15)  # HDF5's deflate filter stores zlib streams (with header)
        stream = zeros.compress(b"") + zeros.flush(zlib.Z_FULL_FLUSH)
        ds.id.write_direct_chunk((0, 0), stream + deflated_zeros(mib))

    return h5_bytes(build)
