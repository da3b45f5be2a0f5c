"""More hostile archives (engineer H9): listings, headers and layouts a leaderboard submitter can forge.

Each test builds the attack file for real (raw zip records, hand-written ``.npy`` headers, crafted HDF5) and
checks a clean :class:`~comsamy.errors.ArchiveError` that names the member, in bounded time and memory. The first
few found bugs (named in each docstring); the rest pin down attacks that were already refused.
"""

from __future__ import annotations

import io
import os
import struct
import unicodedata
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

try:
    import h5py
except ImportError:  # only the HDF5 tests skip (NEEDS_H5PY), never the whole module
    h5py = None

from comsamy import ArchiveWriter
from comsamy.errors import ArchiveError, UsageError
from comsamy.submission import FolderContainer, load_scores, open_container, validate_archive
from comsamy.submission.container import MemberReadError
from tests.comsamy.evaluation import evalfixtures as ef
from tests.comsamy.submission import attacks
from tests.comsamy.submission.test_hostile_archives import PEAK_LIMIT, SECONDS_LIMIT, _measured

SHAPES = dict.fromkeys(ef.SMALL_IDS, ef.SMALL_SHAPE)


def _central_only(names: list[bytes], payload: bytes = b"x") -> bytes:
    """One local header and one central-directory record per name, every record pointing at that header."""
    crc = zlib.crc32(payload)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(payload), len(payload), 5, 0)
    body = local + b"x.npy" + payload
    size = len(payload)
    records = b"".join(attacks.central_record(n, method=0, crc=crc, csize=size, size=size, offset=0) for n in names)
    return body + records + attacks.end_of_central(len(names), len(records), len(body))


def _measured_load(path: Path) -> tuple[tuple[object, list[str]], float, int]:
    """Validate a one-member archive (image ``a``), then load that member's scores under :func:`_measured`."""
    index = validate_archive(path, {"a": ef.SMALL_SHAPE})

    def read() -> object:
        with open_container(path) as container:
            return load_scores(container, index.members["a"], index.member_caps["a"])

    return _measured(read)  # type: ignore[return-value]


def _good_with(**members: bytes) -> dict[str, bytes]:
    good = ef.score_members(ef.small_scores())
    for name, data in members.items():
        good.pop(name.split("__")[0] + ".npy", None)
        good[name.replace("__", ".")] = data
    return good


def _refused(path: Path, expected: dict[str, tuple[int, int]] = SHAPES) -> tuple[ArchiveError, float, int]:
    error, seconds, peak = _measured(lambda: validate_archive(path, expected))
    assert isinstance(error, ArchiveError), error
    assert seconds < SECONDS_LIMIT and peak < PEAK_LIMIT, (seconds, peak)
    return error, seconds, peak


# --- found bugs -------------------------------------------------------------------------------------------------
def test_npy_header_with_a_bigint_axis_is_a_member_problem(tmp_path: Path) -> None:
    """Bug: ``shape: (10**23, 5)`` made ``np.prod(..., dtype=int64)`` raise OverflowError out of validation."""
    header = b"{'descr': '<f2', 'fortran_order': False, 'shape': (100000000000000000000000, 5), }"
    header += b" " * (118 - len(header)) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 40
    error, _, _ = _refused(ef.write_zip(tmp_path / "p.zip", _good_with(a__npy=npy)))
    (problem,) = error.problems
    assert problem.startswith("member 'a.npy': expected axis sizes between 0 and") and "24 digits" in problem


def test_npz_with_thousands_of_entries_is_refused_before_its_listing_is_parsed(tmp_path: Path) -> None:
    """Bug: a repeated-name check with ``list.count`` was quadratic: 18 000 entries in a 1 MiB member took
    several seconds (a full-HD member's 17.6 MB cap holds 380 000: hours)."""
    npz = _central_only([b"e%05d.npy" % i for i in range(18_000)])
    assert len(npz) < ef.SMALL_SHAPE[0] * ef.SMALL_SHAPE[1] * 8 + (1 << 20)  # within the member cap
    error, _, _ = _refused(ef.write_zip(tmp_path / "p.zip", _good_with(a__npz=npz)))
    (problem,) = error.problems
    assert problem == "member 'a.npz': expected at most 64 arrays inside the .npz, got more than 64 entries"


def test_npz_with_a_few_repeated_names_still_names_them(tmp_path: Path) -> None:
    npz = _central_only([b"score.npy", b"score.npy", b"other.npy"])
    error, _, _ = _refused(ef.write_zip(tmp_path / "p.zip", _good_with(a__npz=npz)))
    assert "['score.npy'] more than once" in error.problems[0]


def test_outer_listing_of_a_hundred_thousand_records_is_refused_before_zipfile_parses_it(tmp_path: Path) -> None:
    """Bug: zipfile built a ZipInfo per record (about ten times the upload) before the member count was checked,
    and ``__MACOSX/`` litter and directory entries were not counted at all: a 6 MB listing of 100 000 litter
    records took 17 s and 58 MiB (a 200 MB upload: millions)."""
    path = tmp_path / "p.zip"
    path.write_bytes(_central_only([b"__MACOSX/%06d" % i for i in range(100_000)]))
    error, _, peak = _refused(path)
    assert error.problems == (
        "too many members: expected at most 1158 zip entries (directories and OS litter included), got more than 1158",
    )
    assert peak < 4 << 20, peak  # the walk holds one 46-byte record at a time


def test_macos_litter_beside_real_members_is_still_accepted(tmp_path: Path) -> None:
    members = ef.score_members(ef.small_scores())
    members.update({f"__MACOSX/._{name}": b"\0\x05\x16\x07" for name in list(members)})
    members["folder/.DS_Store"] = b"Bud1"
    assert set(validate_archive(ef.write_zip(tmp_path / "p.zip", members), SHAPES).members) == set(SHAPES)


NEEDS_H5PY = pytest.mark.skipif(h5py is None, reason="h5py (comsamy[hdf5]) is not installed")


@NEEDS_H5PY
def test_hdf5_tiled_into_tiny_chunks_is_refused_before_any_chunk_is_read(tmp_path: Path) -> None:
    """Bug: every chunk was located with ``get_chunk_info(i)``, which walks the chunk index (quadratic): 4096
    chunks took 1.5 s, a full-HD member can hold 300 000. Now the chunk grid is capped and read in one pass."""
    shape = (1080, 1920)

    def build(f: h5py.File) -> None:
        ds = f.create_dataset("value", shape, "float16", chunks=(4, 4), compression="gzip")
        block = zlib.compress(b"\0" * 32)
        for k in range(20_000):
            ds.id.write_direct_chunk(((k // 480) * 4, (k % 480) * 4), block)

    member = attacks.h5_bytes(build)
    assert len(member) < shape[0] * shape[1] * 8  # well within the member cap
    error, _, _ = _refused(
        ef.write_zip(tmp_path / "p.zip", {"a.h5": member}, compression=zipfile.ZIP_STORED), {"a": shape}
    )
    (problem,) = error.problems
    assert problem.startswith("member 'a.h5': expected at most 16384 chunks") and "129600" in problem, problem


@NEEDS_H5PY
def test_hdf5_with_h5py_default_chunking_of_a_full_hd_map_reads_back(tmp_path: Path) -> None:
    shape = (1080, 1920)
    want = np.linspace(0, 1, shape[0] * shape[1], dtype=np.float16).reshape(shape)
    member = attacks.h5_bytes(lambda f: f.create_dataset("value", data=want, chunks=True, compression="gzip"))
    path = ef.write_zip(tmp_path / "p.zip", {"a.h5": member})
    index = validate_archive(path, {"a": shape})
    with open_container(path) as container:
        got, problems = load_scores(container, index.members["a"], index.member_caps["a"])
    assert problems == []
    np.testing.assert_array_equal(got, want)


def test_folder_member_swapped_for_a_symlink_after_listing_is_not_followed(tmp_path: Path) -> None:
    """Bug: a folder member was opened by path with ``open()``: replaced by a symlink (or a FIFO) between the
    listing and the read, the symlink was followed to a file outside the folder (a FIFO blocked the read)."""
    secret = tmp_path / "secret.npy"
    secret.write_bytes(ef.npy_bytes(np.full(ef.SMALL_SHAPE, 7, np.float16)))
    folder = ef.write_archive(tmp_path / "preds", ef.small_scores())
    container = FolderContainer(folder)
    entries = {e.name: e for e in container.entries()}
    (folder / "a.npy").unlink()
    (folder / "a.npy").symlink_to(secret)
    os.mkfifo(folder / "b.npy.fifo")
    (folder / "b.npy").unlink()
    os.replace(folder / "b.npy.fifo", folder / "b.npy")
    for name in ("a.npy", "b.npy"):
        with pytest.raises(MemberReadError) as info:
            container.read(entries[name], 1 << 20)
        assert str(tmp_path) not in str(info.value), info.value  # no server path in the report
    with pytest.raises(MemberReadError):
        container.read_head(entries["a.npy"], 16)


@pytest.mark.parametrize(("image_id", "needle"), [("C:x", "absolute"), ("a\x00b", "NUL")])
def test_writer_refuses_ids_whose_member_names_comsamy_eval_would_refuse(
    tmp_path: Path, image_id: str, needle: str
) -> None:
    """Bug: ArchiveWriter wrote ``C:x.npy`` (refused by comsamy-eval as absolute) and ``a\\0b.npy`` (zipfile cuts
    names at NUL: the member became ``a``) without a word."""
    with ArchiveWriter(tmp_path / "p.zip") as writer, pytest.raises(UsageError, match=needle):
        writer.add(image_id, np.zeros((2, 3), np.float32))


# --- attacks that were already refused (pinned) -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("C:/a.npy", "absolute"),
        ("c:a.npy", "absolute"),
        ("//server/share/a.npy", "absolute"),
        ("x/../../a.npy", "'..'"),
        ("..\\a.npy", "backslash"),
        ("x\\..\\a.npy", "'..'"),
    ],
)
def test_path_like_names_are_refused_by_name(tmp_path: Path, name: str, needle: str) -> None:
    members = _good_with()
    members[name] = members.pop("a.npy")
    error, _, _ = _refused(ef.write_zip(tmp_path / "p.zip", members))
    assert any(p.startswith(f"member {name!r}") and needle in p for p in error.problems), error.problems


def test_case_folding_and_unicode_normalisation_do_not_alias_ids(tmp_path: Path) -> None:
    """``A.npy`` is not ``a.npy``; an NFD name is not its NFC id: unknown + missing, never a silent match."""
    cafe = unicodedata.normalize("NFC", "caf\u00e9")
    members = ef.score_members({"a": ef.small_scores()["a"], cafe: ef.small_scores()["b"]})
    members["A.npy"] = members.pop("a.npy")
    members[unicodedata.normalize("NFD", cafe) + ".npy"] = members.pop(f"{cafe}.npy")
    error, _, _ = _refused(ef.write_zip(tmp_path / "p.zip", members), {"a": ef.SMALL_SHAPE, cafe: ef.SMALL_SHAPE})
    report = error.report()
    assert "unknown ids: 2 member(s)" in report and "'A.npy'" in report and "no score map for 2 of 2" in report


def test_duplicate_central_records_of_one_name_are_refused(tmp_path: Path) -> None:
    good = ef.npy_bytes(ef.small_scores()["a"])
    crc = zlib.crc32(good)
    raw = attacks.raw_zip(
        [("a.npy", zlib.compress(good)[2:-4], len(good), crc)] * 2
        + [(n, zlib.compress(d)[2:-4], len(d), zlib.crc32(d)) for n, d in _good_with().items() if n != "a.npy"]
    )
    path = tmp_path / "p.zip"
    path.write_bytes(raw)
    error, _, _ = _refused(path)
    assert "member 'a.npy': expected unique member names, got this name twice" in error.problems


def test_overlapping_records_and_a_local_name_that_differs_are_refused(tmp_path: Path) -> None:
    """Fifield's overlap: b.npy and c.npy point at a.npy's local header (whose name differs from theirs)."""
    data = ef.npy_bytes(ef.small_scores()["a"])
    raw = bytearray(attacks.raw_zip([("a.npy", zlib.compress(data)[2:-4], len(data), zlib.crc32(data))]))
    cd = raw.index(b"PK\x01\x02")
    record = bytes(raw[cd : raw.index(b"PK\x05\x06")])
    records = record + record.replace(b"a.npy", b"b.npy") + record.replace(b"a.npy", b"c.npy")
    out = bytes(raw[:cd]) + records + attacks.end_of_central(3, len(records), cd)
    path = tmp_path / "p.zip"
    path.write_bytes(out)
    error, _, _ = _refused(path)
    for name in ("b.npy", "c.npy"):
        assert any(p.startswith(f"member '{name}': unreadable") for p in error.problems), error.problems


def test_data_descriptor_that_lies_about_the_size_is_refused(tmp_path: Path) -> None:
    data = ef.npy_bytes(ef.small_scores()["a"])
    members = _good_with()
    raw = bytearray(ef._zip_bytes(members, zipfile.ZIP_DEFLATED))
    cd = raw.index(b"PK\x01\x02" + raw[raw.index(b"PK\x01\x02") + 4 : raw.index(b"PK\x01\x02") + 8])
    raw[cd + 24 : cd + 28] = struct.pack("<I", len(data) - 8)  # central directory: 8 bytes fewer than inflate
    path = tmp_path / "p.zip"
    path.write_bytes(bytes(raw))
    error, _, _ = _refused(path)
    assert any(p.startswith("member 'a.npy'") for p in error.problems), error.problems


def test_zip64_size_in_the_extra_field_over_the_cap_is_refused_before_inflating(tmp_path: Path) -> None:
    payload = attacks.deflated_zeros(64)
    header = attacks.npy_header(ef.SMALL_SHAPE)
    raw = attacks.raw_zip([("a.npy", payload, 0xFFFFFFFF, 0)])
    extra = struct.pack("<HHQQ", 1, 16, 1 << 40, len(payload))
    cd = raw.index(b"PK\x01\x02")
    rec = bytearray(raw[cd : raw.index(b"PK\x05\x06")])
    rec[20:24] = struct.pack("<I", 0xFFFFFFFF)
    rec[30:32] = struct.pack("<H", len(extra))
    rec += extra
    out = raw[:cd] + bytes(rec) + attacks.end_of_central(1, len(rec), cd)
    path = tmp_path / "p.zip"
    path.write_bytes(out)
    error, _, _ = _refused(path, {"a": ef.SMALL_SHAPE})
    assert any(p.startswith("member 'a.npy': expected at most") and "1099511627776" in p for p in error.problems)
    assert header  # the attack needs no valid header: the cap refuses by the declared size alone


def test_png_with_huge_dimensions_is_refused_from_its_header(tmp_path: Path) -> None:
    """IHDR of 100 000 x 100 000 with a tiny IDAT: refused by shape before Pillow allocates anything."""

    png = (
        b"\x89PNG\r\n\x1a\n"
        + attacks.png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0))
        + attacks.png_chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + attacks.png_chunk(b"IEND", b"")
    )
    error, _, _ = _refused(ef.write_zip(tmp_path / "p.zip", _good_with(a__png=png)))
    (problem,) = error.problems
    assert problem == "member 'a.png': expected shape (4, 5) (H, W) as the image, got (100000, 100000)"


def test_png_whose_idat_inflates_far_beyond_the_image_is_decoded_bounded(tmp_path: Path) -> None:
    """A 4x5 PNG whose IDAT inflates to 900 MiB (within the member cap): Pillow stops at the image's 4 x (1 + 5) bytes."""

    zstream = zlib.compressobj(9, zlib.DEFLATED, 15)
    idat = zstream.compress(b"") + zstream.flush(zlib.Z_FULL_FLUSH) + attacks.deflated_zeros(900)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + attacks.png_chunk(b"IHDR", struct.pack(">IIBBBBB", 5, 4, 8, 0, 0, 0, 0))
        + attacks.png_chunk(b"IDAT", idat)
        + attacks.png_chunk(b"IEND", b"")
    )
    path = ef.write_zip(tmp_path / "p.zip", {"a.png": png}, compression=zipfile.ZIP_STORED)
    (scores, problems), seconds, peak = _measured_load(path)
    assert problems == [] and scores.shape == ef.SMALL_SHAPE and not scores.any()
    assert seconds < SECONDS_LIMIT and peak < PEAK_LIMIT, (seconds, peak)


@pytest.mark.parametrize(
    ("header", "needle"),
    [
        ("{'descr': '|O', 'fortran_order': False, 'shape': (4, 5), }", "pickled object"),
        ("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4, 5), }", "structured"),
        ("{'descr': '<f2', 'fortran_order': False, 'shape': (-4, -5), }", "between 0 and"),
        ("{'descr': '<f2', 'fortran_order': 'yes', 'shape': (4, 5), }", "unreadable"),
        ("{'descr': '<f2', 'fortran_order': False, 'shape': " + "(" * 300 + ")" * 300 + ", }", "unreadable"),
        ("{'descr': '<f2', 'fortran_order': False, 'shape': (4, 5), '__class__': 1}", "unreadable"),
    ],
)
def test_hostile_npy_headers_are_member_problems(tmp_path: Path, header: str, needle: str) -> None:
    body = header.encode() + b" " * ((64 - (len(header) + 11) % 64) % 64) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body + b"\0" * 40
    error, _, _ = _refused(ef.write_zip(tmp_path / "p.zip", _good_with(a__npy=npy)))
    assert any(p.startswith("member 'a.npy': ") and needle in p for p in error.problems), error.problems


def test_npy_v2_header_that_claims_four_gigabytes_is_a_member_problem(tmp_path: Path) -> None:
    npy = b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{" + b" " * 100
    error, _, _ = _refused(ef.write_zip(tmp_path / "p.zip", _good_with(a__npy=npy)))
    assert error.problems[0].startswith("member 'a.npy': expected a valid .npy header"), error.problems


def test_npz_nested_inside_npz_is_not_unpacked(tmp_path: Path) -> None:
    inner = io.BytesIO()
    np.savez(inner, score=np.zeros(ef.SMALL_SHAPE, np.float16))
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("score.npy", inner.getvalue())  # an .npz where the .npy should be
    error, _, _ = _refused(ef.write_zip(tmp_path / "p.zip", _good_with(a__npz=outer.getvalue())))
    assert error.problems[0].startswith("member 'a.npz': expected a valid .npy header"), error.problems


def test_png_full_of_compressed_text_chunks_stops_at_pillows_text_budget(tmp_path: Path) -> None:
    """900 zTXt chunks of 1 KB that each inflate to 1 MiB (900 MiB of text in a 0.95 MB member): Pillow stops at
    its 64 MiB MAX_TEXT_MEMORY and the member is a problem, not a hang."""

    text = attacks.png_chunk(b"zTXt", b"k\0\0" + zlib.compress(b"A" * ((1 << 20) - 10), 9))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + attacks.png_chunk(b"IHDR", struct.pack(">IIBBBBB", 5, 4, 8, 0, 0, 0, 0))
        + text * 450
        + attacks.png_chunk(b"IDAT", zlib.compress(b"\0" * 24))
        + text * 450
        + attacks.png_chunk(b"IEND", b"")
    )
    path = ef.write_zip(tmp_path / "p.zip", {"a.png": png}, compression=zipfile.ZIP_STORED)
    (scores, problems), seconds, peak = _measured_load(path)
    assert scores is None and problems[0].startswith("member 'a.png': expected decodable .png data")
    assert "MAX_TEXT_MEMORY" in problems[0] and seconds < SECONDS_LIMIT and peak < PEAK_LIMIT, (seconds, peak)


def test_folder_nested_deeper_than_the_recursion_limit_is_a_named_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bug: ``os.walk`` recursed once per level (Python 3.11): a folder 1 100 deep raised RecursionError."""
    folder = ef.write_archive(tmp_path / "preds", ef.small_scores())
    monkeypatch.chdir(folder)
    for _ in range(1100):  # level by level: the whole path is longer than mkdir(parents=True) may pass at once
        os.mkdir("d")
        os.chdir("d")
    Path("x.npy").write_bytes(b"junk")
    monkeypatch.chdir(tmp_path)
    try:
        error, _, _ = _refused(folder)
    finally:  # removed level by level: shutil.rmtree (pytest's clean-up) recurses too and would fail on it
        os.chdir(folder / "/".join(["d"] * 100))
        for _ in range(1000):
            os.chdir("d")
        os.remove("x.npy")
        for _ in range(1100):
            os.chdir("..")
            os.rmdir("d")
        os.chdir(tmp_path)
    (problem,) = error.problems
    assert (
        problem == f"member {'/'.join(['d'] * 33)!r}: expected folders at most 32 deep, got a deeper one (not walked)"
    )


def test_folder_listing_keeps_os_walk_order_and_stops_past_the_member_cap(tmp_path: Path) -> None:
    """The folder's SHA-256 hashes names in listing order: the explicit walk lists as ``os.walk`` did."""
    root = tmp_path / "preds"
    for rel in ("b/z.npy", "b/a/y.npy", "a.npy", "c/d/e/f.npy", "a/x.npy", "b/a/b.npy", "zz.npy"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")
    (root / "link").symlink_to(root / "b")
    want = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        names = sorted(filenames) + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        want.extend(name if rel_dir == "." else f"{rel_dir}/{name}" for name in names)
    assert [e.name for e in FolderContainer(root).entries()] == want
    many = tmp_path / "many"
    many.mkdir()
    for k in range(50):
        (many / f"{k:02d}").mkdir()
        (many / f"{k:02d}" / "m.npy").write_bytes(b"x")
    assert len(FolderContainer(many, max_records=10).entries()) == 11  # the walk stops one past the cap


@pytest.mark.parametrize(
    "layout", ["plain", "prefix_and_comment", "zip64_end_record", "magic_in_end_record", "not_a_zip"]
)
def test_record_count_agrees_with_zipfile(tmp_path: Path, layout: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-parse count finds the central directory where zipfile does (a prepended stub, a comment, zip64)."""
    from comsamy.submission.zipcount import count_records

    if layout == "zip64_end_record":
        monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)  # more entries than this: zip64 end records
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k in range(7):
            zf.writestr(f"d{k}/m{k}.npy", b"x" * k)
        zf.comment = b"a comment" if layout == "prefix_and_comment" else b""
    data = (b"#!/bin/sh\nexit 0\n" * 10 + buf.getvalue()) if layout == "prefix_and_comment" else buf.getvalue()
    if layout == "not_a_zip":
        data = b"just bytes" * 100
    if layout == "magic_in_end_record":  # the end record's own bytes hold the magic: found where zipfile finds it
        stub = b"PK\x05\x06" + b"\0" * 12
        data = stub + data
        end = bytearray(data[-22:])
        end[16:20] = (int.from_bytes(end[16:20], "little") + len(stub)).to_bytes(4, "little")
        end[12:16] = b"PK\x05\x06"  # (an absurd central-directory size: both readers must reject it alike)
        data = data[:-22] + bytes(end)
        with pytest.raises(zipfile.BadZipFile):
            zipfile.ZipFile(io.BytesIO(data))
        assert count_records(io.BytesIO(data), 100) == 0
        return
    assert count_records(io.BytesIO(data), 100) == (0 if layout == "not_a_zip" else 7)
    if layout != "not_a_zip":
        assert len(zipfile.ZipFile(io.BytesIO(data)).infolist()) == 7
        assert count_records(io.BytesIO(data), 3) == 4  # stops one past the limit
