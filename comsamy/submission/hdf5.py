"""HDF5 score members (``.h5`` / ``.hdf5``, a dataset named ``value`` as SMIYC's tools write), read bounded.

An HDF5 file can point outside itself and can expand without bound, so only layouts whose every byte is bounded
by the (already size-checked) member and by the dataset's shape are read:

* ``value`` must be a hard link to a dataset in the member: soft links and external links are refused;
* external raw storage (h5py ``external=``) and virtual datasets are refused (they read other files);
* contiguous and compact datasets are read as they are (no filters: their bytes are ``H * W * itemsize``);
* chunked datasets may use only the deflate (gzip), shuffle and Fletcher-32 filters, chunk sides may not exceed the
  dataset's, and every chunk is inflated here with a hard output limit of one chunk (HDF5's own deflate filter
  grows its buffer without bound, so it is never used): a compression bomb costs at most one chunk.

h5py is an optional extra (``pip install 'comsamy[hdf5]'``); when it is missing, validation reports that once
for the whole archive (:func:`h5py_missing`).
"""

from __future__ import annotations

import io
import zlib
from typing import Any

import numpy as np

from comsamy.errors import MissingDependencyError
from comsamy.submission.formats import ArrayHeader, FormatProblem, check_dtype, squeeze_singleton

__all__ = ["H5PY_MISSING", "MAX_CHUNKS", "decode_h5", "h5py_missing", "probe_h5"]

H5PY_MISSING = str(MissingDependencyError("h5py", "hdf5", detail="to read .h5 / .hdf5 members"))
_DATASET = "value"
MAX_CHUNKS = 16384
"""Chunks a chunked ``value`` may be tiled into: each costs a Python-level read, so many tiny chunks cost CPU."""


def h5py_missing() -> bool:
    """True when h5py cannot be imported (validation then reports one line for every HDF5 member)."""
    try:
        import h5py  # noqa: F401
    except ImportError:
        return True
    return False


def _h5py() -> Any:
    try:
        import h5py
    except ImportError as exc:
        raise FormatProblem(H5PY_MISSING) from exc
    return h5py


def _safe_dataset(h5py: Any, f: Any) -> Any:
    """The ``value`` dataset after every containment check; raises FormatProblem naming what was refused."""
    link = f.get(_DATASET, getlink=True)
    if link is None:
        raise FormatProblem(f"expected an HDF5 dataset named 'value', got keys {sorted(f.keys())[:5]}")
    if isinstance(link, h5py.SoftLink):
        raise FormatProblem(f"expected 'value' to be a dataset in the member, got a soft link to {link.path!r}")
    if isinstance(link, h5py.ExternalLink):
        raise FormatProblem("expected 'value' to be a dataset in the member, got an external link to another file")
    node = f.get(_DATASET)
    if not isinstance(node, h5py.Dataset):
        raise FormatProblem(f"expected an HDF5 dataset named 'value', got a {type(node).__name__}")
    if node.is_virtual:
        raise FormatProblem("expected 'value' stored in the member, got a virtual dataset (it reads other files)")
    plist = node.id.get_create_plist()
    if plist.get_external_count() > 0:
        raise FormatProblem("expected 'value' stored in the member, got external raw storage (it reads other files)")
    layout = plist.get_layout()
    h5d, h5z = h5py.h5d, h5py.h5z
    if layout in (h5d.CONTIGUOUS, h5d.COMPACT):
        if plist.get_nfilters():
            raise FormatProblem("expected no filters on a contiguous 'value' dataset, got some")
        return node
    if layout != h5d.CHUNKED:
        raise FormatProblem(f"expected a contiguous, compact or chunked 'value' dataset, got layout {layout}")
    allowed = {h5z.FILTER_DEFLATE: "deflate", h5z.FILTER_SHUFFLE: "shuffle", h5z.FILTER_FLETCHER32: "fletcher32"}
    for i in range(plist.get_nfilters()):
        code = plist.get_filter(i)[0]
        if code not in allowed:
            raise FormatProblem(f"expected only the gzip, shuffle and fletcher32 filters, got HDF5 filter {code}")
    chunk = plist.get_chunk()
    if len(chunk) != len(node.shape) or any(c > max(s, 1) for c, s in zip(chunk, node.shape, strict=True)):
        raise FormatProblem(f"expected chunks no larger than the dataset {node.shape}, got chunks {chunk}")
    grid = int(np.prod([-(-s // c) for s, c in zip(node.shape, chunk, strict=True)], dtype=np.int64))
    if grid > MAX_CHUNKS:
        raise FormatProblem(
            f"expected at most {MAX_CHUNKS} chunks (h5py's default chunking makes a few hundred),"
            f" got chunks {chunk} that tile the dataset {node.shape} into {grid}"
        )
    return node


def probe_h5(data: bytes) -> ArrayHeader:
    """Open an HDF5 file held in memory and read the shape and dtype of its ``value`` dataset (nothing decoded)."""
    h5py = _h5py()
    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            node = _safe_dataset(h5py, f)
            shape, dtype = tuple(int(s) for s in node.shape), node.dtype
    except FormatProblem:
        raise
    except Exception as exc:
        raise FormatProblem(f"expected a valid HDF5 file, got an unreadable one ({exc})") from exc
    return ArrayHeader(shape, check_dtype(dtype))


def _unfilter(raw: bytes, filters: list[int], mask: int, nbytes: int, itemsize: int, h5z: Any) -> bytes:
    out = raw
    for position in reversed(range(len(filters))):
        if mask & (1 << position):
            continue  # this filter was skipped for this chunk
        code = filters[position]
        if code == h5z.FILTER_FLETCHER32:
            out = out[:-4]
        elif code == h5z.FILTER_DEFLATE:
            inflater = zlib.decompressobj()
            out = inflater.decompress(out, nbytes + 1)
            if len(out) > nbytes or inflater.unconsumed_tail:
                raise FormatProblem(
                    f"expected a chunk of at most {nbytes} bytes, got compressed data that inflates"
                    " beyond it (refused, not inflated)"
                )
        elif code == h5z.FILTER_SHUFFLE and itemsize > 1 and len(out) % itemsize == 0:
            out = np.frombuffer(out, np.uint8).reshape(itemsize, -1).T.tobytes()
    if len(out) != nbytes:
        raise FormatProblem(f"expected a chunk of {nbytes} bytes, got {len(out)}")
    return out


def _read_chunked(h5py: Any, node: Any) -> np.ndarray:
    plist = node.id.get_create_plist()
    filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    if not filters:
        return np.asarray(node[()])
    dtype, shape, chunk = node.dtype, tuple(node.shape), plist.get_chunk()
    nbytes = int(np.prod(chunk, dtype=np.int64)) * dtype.itemsize
    fill = node.fillvalue if node.fillvalue is not None else 0
    arr = np.full(shape, fill, dtype=dtype)
    offsets: list[tuple[int, ...]] = []
    if hasattr(node.id, "chunk_iter"):  # one pass over the chunk index (get_chunk_info(i) walks it for each i)
        node.id.chunk_iter(lambda info: offsets.append(info.chunk_offset))
    else:  # pragma: no cover - HDF5 < 1.12.3
        offsets = [node.id.get_chunk_info(i).chunk_offset for i in range(node.id.get_num_chunks())]
    for offset in offsets:
        mask, raw = node.id.read_direct_chunk(offset)
        block = np.frombuffer(_unfilter(raw, filters, mask, nbytes, dtype.itemsize, h5py.h5z), dtype).reshape(chunk)
        region = tuple(slice(o, min(o + c, s)) for o, c, s in zip(offset, chunk, shape, strict=True))
        arr[region] = block[tuple(slice(0, r.stop - r.start) for r in region)]
    return arr


def decode_h5(data: bytes, shape: tuple[int, ...]) -> np.ndarray:
    """Decode the ``value`` dataset, bounded as the module docstring says (the checks run again here).

    Args:
        data: the member's bytes.
        shape: the shape validation accepted; a file that now declares another one is refused before allocating.
    """
    h5py = _h5py()
    with h5py.File(io.BytesIO(data), "r") as f:
        node = _safe_dataset(h5py, f)
        if squeeze_singleton(tuple(node.shape)) != squeeze_singleton(tuple(shape)):
            raise FormatProblem(f"expected shape {tuple(shape)} as validated, got {tuple(node.shape)}")
        layout = node.id.get_create_plist().get_layout()
        arr = _read_chunked(h5py, node) if layout == h5py.h5d.CHUNKED else np.asarray(node[()])
    return arr.astype(arr.dtype.newbyteorder("="), copy=False)
