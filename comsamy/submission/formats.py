"""Score-map formats: cheap header probes (shape and dtype, nothing allocated) and full decoders.

Every function here raises :class:`FormatProblem` with a message that does not yet name the member; the caller
prefixes the member name. Supported: ``.npy`` (no pickles), ``.npz`` (one array, or one named ``score``), 8/16-bit
single-channel ``.png``, and ``.h5`` / ``.hdf5`` (dataset ``value``, when h5py is installed).
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from comsamy.submission.zipcount import count_records

__all__ = [
    "ACCEPTED_DTYPES",
    "NPZ_SCORE_KEYS",
    "SCORE_EXTENSIONS",
    "ArrayHeader",
    "FormatProblem",
    "check_dtype",
    "decode_member",
    "probe_member",
    "read_npz_entry",
    "score_kind",
    "squeeze_singleton",
]

SCORE_EXTENSIONS = (".npy", ".npz", ".png", ".h5", ".hdf5")
ACCEPTED_DTYPES = ("float16", "float32", "float64", "uint8", "uint16")
NPY_HEAD_BYTES = 1 << 16
NPY_MAX_SIDE = (1 << 31) - 1
"""Largest axis size a ``.npy`` header may declare (larger ones would overflow the size arithmetic)."""
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

ScoreKind = Literal["float", "integer"]


class FormatProblem(Exception):
    """A member's content does not meet the archive spec (internal; the caller names the member)."""


@dataclass(frozen=True)
class ArrayHeader:
    """What a member holds, read from its header alone.

    Attributes:
        shape: the array shape as declared.
        dtype: numpy dtype string in native byte order (``"float16"``, ``"uint8"``, ...).
        data_offset: for ``.npy`` members, where the raw array bytes start (0 otherwise).
        fortran_order: for ``.npy`` members, column-major storage.
        inner: for ``.npz`` members, the name of the array inside.
        descr: for ``.npy`` / ``.npz`` members, the stored dtype with its byte order (``"<f2"``).
    """

    shape: tuple[int, ...]
    dtype: str
    data_offset: int = 0
    fortran_order: bool = False
    inner: str = ""
    descr: str = ""


def score_kind(dtype: str) -> ScoreKind:
    """``"float"`` for floating dtypes, ``"integer"`` for unsigned integer ones."""
    return "float" if dtype.startswith("float") else "integer"


def squeeze_singleton(shape: tuple[int, ...]) -> tuple[int, ...]:
    """``(1, H, W)`` and ``(H, W, 1)`` as ``(H, W)`` (as SMIYC's and ISSU's readers do); any other shape unchanged.

    >>> squeeze_singleton((1, 4, 5)), squeeze_singleton((4, 5, 1)), squeeze_singleton((2, 4, 5))
    ((4, 5), (4, 5), (2, 4, 5))
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) == 3 and shape[0] == 1:
        return shape[1:]
    if len(shape) == 3 and shape[2] == 1:
        return shape[:2]
    return shape


def check_dtype(dtype: np.dtype) -> str:
    """The native dtype name of an accepted score dtype; raises FormatProblem for pickles, structs and others."""
    if dtype.hasobject:
        raise FormatProblem("expected a plain numeric array, got a pickled object array (allow_pickle is off)")
    if dtype.fields is not None or dtype.subdtype is not None:
        raise FormatProblem(f"expected one of {', '.join(ACCEPTED_DTYPES)}, got a structured dtype {dtype}")
    name = dtype.newbyteorder("=").name if dtype.byteorder not in ("|", "=") else dtype.name
    if name not in ACCEPTED_DTYPES:
        raise FormatProblem(f"expected dtype one of {', '.join(ACCEPTED_DTYPES)}, got {name}")
    return name


def _npy_header(head: bytes) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    fmt = np.lib.format
    fh = io.BytesIO(head)
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise FormatProblem(f"expected .npy format version 1.0-3.0, got {version}")
    except FormatProblem:
        raise
    except Exception as exc:  # numpy raises ValueError / EOFError / SyntaxError on garbage headers
        raise FormatProblem(f"expected a valid .npy header, got an unreadable one ({exc})") from exc
    return tuple(int(s) for s in shape), bool(fortran), dtype, fh.tell()


def probe_npy(head: bytes, size: int) -> ArrayHeader:
    """Parse a ``.npy`` header (from the first bytes only) and check that the declared size matches."""
    shape, fortran, dtype, offset = _npy_header(head)
    if any(s < 0 or s > NPY_MAX_SIDE for s in shape):
        shown = tuple(s if abs(s) < 1 << 63 else f"{str(s)[:12]}... ({len(str(s))} digits)" for s in shape[:4])
        raise FormatProblem(f"expected axis sizes between 0 and {NPY_MAX_SIDE}, got shape {shown}")
    name = check_dtype(dtype)
    expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if size != expected:
        raise FormatProblem(f"expected {expected} bytes for a {name} array of shape {shape}, got {size} bytes")
    return ArrayHeader(shape, name, offset, fortran, descr=dtype.str)


NPZ_SCORE_KEYS = ("score", "anomaly_scores")
"""Array names read from a multi-array ``.npz``, in order: ours, then ISSU's (beside ``pred_id_labels``)."""
_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
NPZ_MAX_ENTRIES = 64
"""Entries an ``.npz`` member may hold (ISSU's has two): counted before zipfile parses the listing."""


def _npz_pick(zf: zipfile.ZipFile, limit: int) -> tuple[int, zipfile.ZipInfo]:
    """The score entry of an ``.npz`` (by position, so that exactly this entry is read later) after every check."""
    infos = [i for i in zf.infolist() if not i.is_dir()]
    counts = Counter(i.filename for i in infos)
    repeated = sorted(n for n, k in counts.items() if k > 1)
    if repeated:
        raise FormatProblem(f"expected unique array names inside the .npz, got {repeated[:5]} more than once")
    arrays = [i for i in infos if i.filename.endswith(".npy")]
    by_name = {i.filename[:-4]: i for i in arrays}
    key = next((k for k in NPZ_SCORE_KEYS if k in by_name), None)
    if key is not None:
        info = by_name[key]
    elif len(arrays) == 1:
        info = arrays[0]
    else:
        shown = [i.filename[:-4] for i in arrays][:5]
        raise FormatProblem(
            f"expected one array, or one named {' or '.join(map(repr, NPZ_SCORE_KEYS))} inside the"
            f" .npz, got {len(arrays)}: {shown}"
        )
    if info.flag_bits & 0x1:
        raise FormatProblem("expected an unencrypted .npz, got an encrypted array inside")
    if info.compress_type not in _ZIP_METHODS:
        raise FormatProblem(
            f"expected a stored or deflated array inside the .npz, got compression method {info.compress_type}"
        )
    if info.file_size > limit:
        raise FormatProblem(f"expected at most {limit} bytes inside the .npz, got {info.file_size} declared")
    return infos.index(info), info


def _check_npz_entries(data: bytes) -> None:
    if count_records(io.BytesIO(data), NPZ_MAX_ENTRIES) > NPZ_MAX_ENTRIES:
        raise FormatProblem(
            f"expected at most {NPZ_MAX_ENTRIES} arrays inside the .npz, got more than {NPZ_MAX_ENTRIES} entries"
        )


def read_npz_entry(data: bytes, hdr: ArrayHeader) -> bytes:
    """Exactly the bytes of the entry validation checked (``hdr.inner``), never more than the header promised.

    The entry is found again by the same rules (repeated names refused) and inflated with a hard output limit, so
    an entry that declares a small size but inflates to gigabytes costs at most that limit.
    """
    want = hdr.data_offset + int(np.prod(hdr.shape, dtype=np.int64)) * np.dtype(hdr.descr).itemsize
    _check_npz_entries(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        _, info = _npz_pick(zf, want)
        if info.filename != hdr.inner or info.file_size != want:
            raise FormatProblem(
                f"expected the array {hdr.inner!r} of {want} bytes as validated, got"
                f" {info.filename!r} of {info.file_size} bytes"
            )
        with zf.open(info) as fh:
            out = fh.read(want + 1)
    if len(out) != want:
        raise FormatProblem(f"expected {want} bytes in {hdr.inner!r}, got {len(out)}")
    return out


def probe_npz(data: bytes, limit: int) -> ArrayHeader:
    """Open an ``.npz`` held in memory and parse the header of its score array."""
    _check_npz_entries(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            _, info = _npz_pick(zf, limit)
            with zf.open(info) as fh:
                head = fh.read(min(NPY_HEAD_BYTES, info.file_size))
    except FormatProblem:
        raise
    except Exception as exc:
        raise FormatProblem(f"expected a valid .npz (a zip of .npy files), got an unreadable one ({exc})") from exc
    hdr = probe_npy(head, info.file_size)
    return ArrayHeader(hdr.shape, hdr.dtype, hdr.data_offset, hdr.fortran_order, info.filename, hdr.descr)


def probe_png(head: bytes) -> ArrayHeader:
    """Read width, height, bit depth and colour type from the IHDR chunk (first 29 bytes)."""
    if len(head) < 29 or not head.startswith(_PNG_SIGNATURE) or head[12:16] != b"IHDR":
        raise FormatProblem("expected a PNG file, got bytes without a PNG signature and IHDR chunk")
    width, height, depth, colour = struct.unpack(">IIBB", head[16:26])
    if colour != 0 or depth not in (8, 16):
        raise FormatProblem(
            f"expected an 8- or 16-bit single-channel (greyscale) PNG, got colour type {colour} at {depth} bits"
        )
    return ArrayHeader((height, width), "uint8" if depth == 8 else "uint16")


def probe_member(
    ext: str, size: int, read_head: Callable[[int], bytes], read_all: Callable[[], bytes], limit: int
) -> ArrayHeader:
    """Shape and dtype of a member, reading as little as its format allows.

    Args:
        ext: lower-case extension with the dot.
        size: declared uncompressed size.
        read_head: returns the first n bytes.
        read_all: returns every byte (bounded by the caller's cap).
        limit: size cap for arrays nested in ``.npz``.
    """
    if ext == ".npy":
        return probe_npy(read_head(NPY_HEAD_BYTES), size)
    if ext == ".png":
        return probe_png(read_head(64))
    if ext == ".npz":
        return probe_npz(read_all(), limit)
    if ext in (".h5", ".hdf5"):
        from comsamy.submission.hdf5 import probe_h5

        return probe_h5(read_all())
    raise FormatProblem(f"expected an extension in {SCORE_EXTENSIONS}, got {ext!r}")


def _npy_array(data: bytes | memoryview, hdr: ArrayHeader) -> np.ndarray:
    dtype = np.dtype(hdr.dtype)
    count = int(np.prod(hdr.shape, dtype=np.int64))
    stored = np.dtype(hdr.descr)
    arr = np.frombuffer(data, dtype=stored, count=count, offset=hdr.data_offset)
    if stored.byteorder not in ("=", "|") and stored != dtype:
        arr = arr.astype(dtype)
    if hdr.fortran_order:
        return arr.reshape(hdr.shape[::-1]).T
    return arr.reshape(hdr.shape)


def decode_member(ext: str, data: bytes, hdr: ArrayHeader) -> np.ndarray:
    """Decode a member's bytes into its score array (no copy for native-order ``.npy``).

    Raises:
        FormatProblem: the bytes do not decode to the array the header promised.
    """
    try:
        if ext == ".npy":
            arr = _npy_array(data, hdr)
        elif ext == ".npz":
            arr = _npy_array(read_npz_entry(data, hdr), hdr)
        elif ext == ".png":
            arr = _decode_png(data)
        elif ext in (".h5", ".hdf5"):
            from comsamy.submission.hdf5 import decode_h5

            arr = decode_h5(data, hdr.shape)
        else:
            raise FormatProblem(f"expected an extension in {SCORE_EXTENSIONS}, got {ext!r}")
    except FormatProblem:
        raise
    except Exception as exc:
        raise FormatProblem(f"expected decodable {ext} data, got corrupt data ({type(exc).__name__}: {exc})") from exc
    if arr.shape != hdr.shape and arr.size == int(np.prod(hdr.shape)) and squeeze_singleton(arr.shape) == hdr.shape:
        arr = arr.reshape(hdr.shape)  # validation squeezed (1, H, W) / (H, W, 1) to (H, W)
    if arr.shape != hdr.shape or arr.dtype.name != hdr.dtype:
        raise FormatProblem(f"expected a {hdr.dtype} array of shape {hdr.shape}, decoded {arr.dtype} {arr.shape}")
    return arr


def _decode_png(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        img.load()
        mode = img.mode
        arr = np.asarray(img)
    if mode == "L":
        return arr.astype(np.uint8, copy=False)
    if mode.startswith("I"):  # "I;16", "I;16B" or "I" for 16-bit greyscale, depending on Pillow
        return arr.astype(np.uint16)
    raise FormatProblem(f"expected a greyscale PNG, decoded mode {mode}")
