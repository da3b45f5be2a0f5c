"""Hostile archives (the leaderboard reads uploads with this reader): each attack is refused or read bounded."""

from __future__ import annotations

import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

try:
    import h5py
except ImportError:  # only the HDF5 tests skip (NEEDS_H5PY), never the whole module
    h5py = None

from comsamy.errors import ArchiveError
from comsamy.submission import load_scores, open_container, validate_archive
from comsamy.submission import validate as validate_module
from tests.comsamy.evaluation import evalfixtures as ef
from tests.comsamy.submission import attacks

SHAPES = dict.fromkeys(ef.SMALL_IDS, ef.SMALL_SHAPE)
FULL_HD = (1080, 1920)  # the benchmark's image size: a member may be 17.6 MB uncompressed
BOMB_MIB = 14_000  # inflates to 13.7 GiB from a 14.6 MB member
PEAK_LIMIT = 96 << 20  # tracemalloc peak allowed for refusing / reading one such member
SECONDS_LIMIT = 5.0  # generous for a loaded 2-core machine; the refusals take well under a second


def _archive(tmp: Path, members: dict[str, bytes], name: str = "p.zip") -> Path:
    return ef.write_zip(tmp / name, members, compression=zipfile.ZIP_STORED)


def _measured(fn: Callable[[], object]) -> tuple[object, float, int]:
    """``fn()``'s result (or the exception it raised), its wall time and its tracemalloc peak in bytes."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result: object = fn()
    except Exception as exc:
        result = exc
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, elapsed, peak


def _good_but(**members: bytes) -> dict[str, bytes]:
    good = ef.score_members(ef.small_scores())
    for name, data in members.items():
        good.pop(name.split("__")[0] + ".npy", None)
        good[name.replace("__", ".")] = data
    return good


# --- .npz -------------------------------------------------------------------------------------------------------
def test_npz_bomb_behind_a_repeated_inner_name_is_refused_fast_and_small(tmp_path: Path) -> None:
    bomb = attacks.npz_bomb(FULL_HD, BOMB_MIB, repeat_name=True)
    assert len(bomb) < 16 << 20  # an upload of about 15 MB ...
    path = _archive(tmp_path, {"a.npz": bomb})
    error, seconds, peak = _measured(lambda: validate_archive(path, {"a": FULL_HD}))
    assert isinstance(error, ArchiveError), error
    report = error.report()
    assert "'a.npz'" in report and "'score.npy'" in report and "more than once" in report, report
    assert seconds < SECONDS_LIMIT and peak < PEAK_LIMIT, (seconds, peak)  # ... that would inflate to 13.7 GiB


def test_npz_entry_that_inflates_beyond_its_declared_size_is_read_bounded(tmp_path: Path) -> None:
    path = _archive(tmp_path, {"a.npz": attacks.npz_bomb(FULL_HD, BOMB_MIB, repeat_name=False)})
    index = validate_archive(path, {"a": FULL_HD})  # the header and declared size are those of a valid map

    def read() -> object:
        with open_container(path) as container:
            return load_scores(container, index.members["a"], index.member_caps["a"])

    (scores, problems), seconds, peak = _measured(read)  # type: ignore[misc]
    assert problems == [] and scores.shape == FULL_HD  # exactly the declared bytes were inflated, no more
    assert seconds < SECONDS_LIMIT and peak < PEAK_LIMIT, (seconds, peak)


def test_npz_read_is_the_entry_that_was_checked(tmp_path: Path) -> None:
    import io

    buf = io.BytesIO()
    np.savez(buf, pred_id_labels=np.zeros(ef.SMALL_SHAPE, np.uint8), anomaly_scores=np.full(ef.SMALL_SHAPE, 0.5))
    index = validate_archive(_archive(tmp_path, _good_but(a__npz=buf.getvalue())), SHAPES)
    assert index.members["a"].header.inner == "anomaly_scores.npy"  # ISSU's key, read by name


def test_outer_members_compressed_with_unbounded_methods_are_refused(tmp_path: Path) -> None:
    members = ef.score_members(ef.small_scores())
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_BZIP2 if name == "a.npy" else zipfile.ZIP_DEFLATED)
    with pytest.raises(ArchiveError) as info:
        validate_archive(path, SHAPES)
    assert info.value.problems == (
        "member 'a.npy': expected a stored or deflated member, got compression method 12"
        " (only those two inflate with a bounded output)",
    )


# --- HDF5 -------------------------------------------------------------------------------------------------------
NEEDS_H5PY = pytest.mark.skipif(h5py is None, reason="h5py (comsamy[hdf5]) is not installed")


def _soft_link(f: h5py.File) -> None:
    f.create_dataset("data", data=np.zeros(ef.SMALL_SHAPE, np.float32))
    f["value"] = h5py.SoftLink("/data")


def _external_link(f: h5py.File) -> None:
    f["value"] = h5py.ExternalLink("/etc/other.h5", "/value")


def _lzf(f: h5py.File) -> None:
    f.create_dataset("value", data=np.zeros(ef.SMALL_SHAPE, np.float32), chunks=(2, 5), compression="lzf")


def _big_chunks(f: h5py.File) -> None:
    f.create_dataset(
        "value", shape=ef.SMALL_SHAPE, maxshape=(None, None), chunks=(64, 64), dtype="float32", compression="gzip"
    )


@NEEDS_H5PY
@pytest.mark.parametrize(
    ("attack", "needle"),
    [
        ("external", "external raw storage"),
        ("virtual", "virtual dataset"),
        ("soft", "soft link"),
        ("external_link", "external link"),
        ("lzf", "filter 32000"),
        ("big_chunks", "chunks no larger"),
    ],
)
def test_hdf5_that_reaches_outside_or_cannot_be_bounded_is_refused(tmp_path: Path, attack: str, needle: str) -> None:
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"server secret!" * 10)
    other = tmp_path / "other.h5"
    other.write_bytes(attacks.h5_bytes(lambda f: f.create_dataset("value", data=np.ones(ef.SMALL_SHAPE, "f4"))))
    member = {
        "external": lambda: attacks.h5_external(secret, ef.SMALL_SHAPE),
        "virtual": lambda: attacks.h5_virtual(other, ef.SMALL_SHAPE),
        "soft": lambda: attacks.h5_bytes(_soft_link),
        "external_link": lambda: attacks.h5_bytes(_external_link),
        "lzf": lambda: attacks.h5_bytes(_lzf),
        "big_chunks": lambda: attacks.h5_bytes(_big_chunks),
    }[attack]()
    with pytest.raises(ArchiveError) as info:
        validate_archive(_archive(tmp_path, _good_but(a__h5=member)), SHAPES)
    (problem,) = info.value.problems
    assert problem.startswith("member 'a.h5': ") and needle in problem, problem
    assert "secret" not in problem


@NEEDS_H5PY
def test_hdf5_chunk_that_inflates_beyond_its_chunk_is_refused_fast_and_small(tmp_path: Path) -> None:
    member = attacks.h5_chunk_bomb(FULL_HD, BOMB_MIB)
    assert len(member) < 16 << 20
    path = _archive(tmp_path, {"a.h5": member})
    index = validate_archive(path, {"a": FULL_HD})  # only headers: the chunk is not touched

    def read() -> object:
        with open_container(path) as container:
            return load_scores(container, index.members["a"], index.member_caps["a"])

    (scores, problems), seconds, peak = _measured(read)  # type: ignore[misc]
    assert scores is None and "inflates beyond" in problems[0] and "'a.h5'" in problems[0], problems
    assert seconds < SECONDS_LIMIT and peak < PEAK_LIMIT, (seconds, peak)


@NEEDS_H5PY
def test_smiyc_gzip_chunked_hdf5_in_nested_folders_reads_back_exactly(tmp_path: Path) -> None:
    scores = {i: (np.arange(20, dtype=np.float32).reshape(ef.SMALL_SHAPE) / (k + 3)) for k, i in enumerate(SHAPES)}
    members = {}
    for image_id, arr in scores.items():
        members[f"anomaly_p/MyMethod/RoadAnomaly21/{image_id}.hdf5"] = attacks.h5_bytes(
            lambda f, arr=arr: f.create_dataset(
                "value", data=arr, chunks=(3, 2), compression="gzip", compression_opts=9, shuffle=True, fletcher32=True
            )
        )
    path = _archive(tmp_path, members)
    index = validate_archive(path, SHAPES)
    with open_container(path) as container:
        for image_id, want in scores.items():
            got, problems = load_scores(container, index.members[image_id], index.member_caps[image_id])
            assert problems == []
            np.testing.assert_array_equal(got, want)


@NEEDS_H5PY
def test_missing_h5py_is_one_line_for_the_whole_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    members = ef.score_members(ef.small_scores(), "h5")
    members.pop("c.h5")
    members["c.npy"] = ef.npy_bytes(ef.small_scores()["c"])
    monkeypatch.setattr(validate_module, "h5py_missing", lambda: True)
    with pytest.raises(ArchiveError) as info:
        validate_archive(_archive(tmp_path, members), SHAPES)
    (problem,) = info.value.problems
    assert problem.startswith("2 HDF5 member(s), e.g. 'a.h5', 'b.h5': ") and "comsamy[hdf5]" in problem
