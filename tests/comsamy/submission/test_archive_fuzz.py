"""Random and mutated archives never crash the reader with anything but ArchiveError."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comsamy.errors import ArchiveError
from comsamy.submission import load_scores, open_container, validate_archive
from tests.comsamy.evaluation import evalfixtures as ef

SHAPES = dict.fromkeys(ef.SMALL_IDS, ef.SMALL_SHAPE)
FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _valid_zip(compression: int) -> bytes:
    members = {}
    scores = ef.small_scores(np.float32)
    members.update(ef.score_members({"a": scores["a"]}, "npy"))
    members.update(
        ef.score_members({"b": (scores["b"] * 200).astype(np.uint8)}, "png")
        if False
        else ef.score_members({"b": scores["b"]}, "npz")
    )
    members.update(ef.score_members({"c": scores["c"].astype(np.float16)}, "h5"))
    members["manifest.json"] = b'{"method": "fuzz"}'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


VALID = {c: _valid_zip(c) for c in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)}


def _read_everything(content: bytes) -> None:
    """Validate, then read and check every member, as the evaluator does; only ArchiveError may escape."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.zip"
        path.write_bytes(content)
        try:
            index = validate_archive(path, SHAPES)
        except ArchiveError as exc:
            assert exc.problems, "an ArchiveError must list its problems"
            return
        with open_container(path) as container:
            for image_id, member in index.members.items():
                scores, problems = load_scores(container, member, index.member_caps[image_id])
                assert (scores is None) == bool(problems)
                if scores is not None:
                    assert scores.shape == ef.SMALL_SHAPE


@FUZZ
@given(
    compression=st.sampled_from(sorted(VALID)),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_mutated_archives_fail_only_with_archive_error(compression: int, edits: list, cut: float | None) -> None:
    data = bytearray(VALID[compression])
    for where, value in edits:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    _read_everything(bytes(data))


@FUZZ
@given(
    members=st.dictionaries(
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)
        | st.sampled_from(["a.npy", "b.png", "c.h5", "a.npz", "../b.npy", "c.hdf5", "manifest.json"]),
        st.binary(max_size=300)
        | st.sampled_from([ef.npy_bytes(np.zeros(ef.SMALL_SHAPE, np.float16))[:k] for k in (0, 10, 60, 128, 168)]),
        max_size=6,
    )
)
def test_random_members_fail_only_with_archive_error(members: dict[str, bytes]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in members.items():
            try:
                zf.writestr(name, content)
            except (ValueError, UnicodeEncodeError):
                continue
    _read_everything(buf.getvalue())


def _chunked_h5(arr: np.ndarray) -> bytes:
    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.create_dataset("value", data=arr, chunks=(2, 3), compression="gzip", shuffle=True, fletcher32=True)
    return buf.getvalue()


def _compressed_npz(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, score=arr, pred_id_labels=np.zeros(ef.SMALL_SHAPE, np.uint8))
    return buf.getvalue()


MEMBERS = {"a.h5": _chunked_h5(ef.small_scores(np.float32)["a"]), "a.npz": _compressed_npz(ef.small_scores()["a"])}


@FUZZ
@given(
    name=st.sampled_from(sorted(MEMBERS)),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_mutated_inner_members_fail_only_with_archive_error(name: str, edits: list) -> None:
    """Corrupt bytes inside an HDF5 (chunked gzip, read by our bounded chunk decoder) or an .npz member."""
    member = bytearray(MEMBERS[name])
    for where, value in edits:
        member[int(where * len(member))] = value
    good = ef.score_members(ef.small_scores())
    good.pop("a.npy")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for member_name, content in {**good, name: bytes(member)}.items():
            zf.writestr(member_name, content)
    _read_everything(buf.getvalue())
