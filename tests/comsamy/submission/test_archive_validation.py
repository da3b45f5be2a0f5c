"""Structural validation of prediction archives: every format reads back exactly, every bad archive is reported."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from comsamy.errors import ArchiveError, UsageError
from comsamy.submission import load_scores, open_container, validate_archive, value_problems
from tests.comsamy.evaluation import evalfixtures as ef

SHAPES = dict.fromkeys(ef.SMALL_IDS, ef.SMALL_SHAPE)


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[str]]]:
    return ef.make_bad_archives(tmp_path_factory.mktemp("bad"))


def _read_all(path: Path) -> dict[str, np.ndarray]:
    index = validate_archive(path, SHAPES)
    with open_container(path) as container:
        out = {}
        for image_id, member in index.members.items():
            scores, problems = load_scores(container, member, index.member_caps[image_id])
            assert problems == []
            out[image_id] = scores
    return out


@pytest.mark.parametrize(
    ("fmt", "dtype"),
    [
        ("npy", np.float16),
        ("npy", np.float32),
        ("npy", np.float64),
        ("npy", np.uint8),
        ("npy", np.uint16),
        ("npz", np.float32),
        ("png", np.uint8),
        ("png", np.uint16),
        ("h5", np.float16),
    ],
)
def test_every_format_reads_back_exactly(tmp_path: Path, fmt: str, dtype: type) -> None:
    rng = np.random.default_rng(3)
    if np.dtype(dtype).kind == "u":
        scores = {i: rng.integers(0, np.iinfo(dtype).max, ef.SMALL_SHAPE).astype(dtype) for i in ef.SMALL_IDS}
    else:
        scores = {i: (rng.standard_normal(ef.SMALL_SHAPE) * 10).astype(dtype) for i in ef.SMALL_IDS}
    path = ef.write_archive(tmp_path / "p.zip", scores, fmt=fmt)
    got = _read_all(path)
    for image_id, want in scores.items():
        assert got[image_id].dtype == want.dtype
        np.testing.assert_array_equal(got[image_id], want)


def test_big_endian_and_fortran_npy_read_as_stored_values(tmp_path: Path) -> None:
    a = np.arange(20, dtype=">f4").reshape(ef.SMALL_SHAPE) / 7
    b = np.asfortranarray(np.arange(20, dtype=np.float16).reshape(ef.SMALL_SHAPE))
    c = np.arange(20, dtype=np.float64).reshape(ef.SMALL_SHAPE)
    path = ef.write_zip(
        tmp_path / "p.zip", {"a.npy": ef.npy_bytes(a), "b.npy": ef.npy_bytes(b), "c.npy": ef.npy_bytes(c)}
    )
    got = _read_all(path)
    np.testing.assert_array_equal(got["a"], a.astype(np.float32))
    np.testing.assert_array_equal(got["b"], b)


def test_npz_with_named_score_among_others_is_accepted(tmp_path: Path) -> None:
    members = ef.score_members(ef.small_scores())
    buf = io.BytesIO()
    want = np.full(ef.SMALL_SHAPE, 0.25, np.float32)
    np.savez(buf, logits=np.zeros((2, 2)), score=want)
    members.pop("a.npy")
    members["preds/a.npz"] = buf.getvalue()
    path = ef.write_zip(tmp_path / "p.zip", members)
    np.testing.assert_array_equal(_read_all(path)["a"], want)


def test_folder_and_zip_give_the_same_index(tmp_path: Path) -> None:
    scores = ef.small_scores()
    manifest = {"method": "m", "custom_key": [1, 2]}
    z = validate_archive(ef.write_archive(tmp_path / "p.zip", scores, manifest=manifest), SHAPES)
    f = validate_archive(ef.write_archive(tmp_path / "folder", scores, manifest=manifest), SHAPES)
    assert z.container == "zip" and f.container == "folder"
    assert list(z.members) == list(f.members) == list(ef.SMALL_IDS)
    assert z.manifest == f.manifest == manifest  # unknown keys kept
    assert [m.header for m in z.members.values()] == [m.header for m in f.members.values()]


def test_subfolders_and_os_litter_are_accepted(tmp_path: Path) -> None:
    members = {f"run1/maps/{k}": v for k, v in ef.score_members(ef.small_scores()).items()}
    members["__MACOSX/run1/._a.npy"] = b"junk"
    members["run1/.DS_Store"] = b"junk"
    index = validate_archive(ef.write_zip(tmp_path / "p.zip", members), SHAPES)
    assert index.members["a"].name == "run1/maps/a.npy"


@pytest.mark.parametrize("case", [c for c in ef.BAD_CASES if c not in ef.VALUE_CASES])
def test_structural_problems_are_reported_naming_the_member(bad: dict, case: str) -> None:
    path, needles = bad[case]
    with pytest.raises(ArchiveError) as info:
        validate_archive(path, SHAPES)
    report = info.value.report()
    for needle in needles:
        assert needle in report, f"{case}: {needle!r} not in\n{report}"


@pytest.mark.parametrize("case", sorted(ef.VALUE_CASES))
def test_value_problems_pass_structural_validation(bad: dict, case: str) -> None:
    path, _ = bad[case]
    validate_archive(path, SHAPES)  # found later, by the scoring pass (tests/comsamy/evaluation)


def test_zip_bomb_is_rejected_before_inflating(bad: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_reads(*args: object, **kwargs: object) -> None:
        raise AssertionError("a member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_reads)
    with pytest.raises(ArchiveError, match="problem"):
        validate_archive(bad["zip_bomb"][0], {"a": ef.SMALL_SHAPE})


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    members = ef.score_members(ef.small_scores())
    members["../a.npy"] = members.pop("a.npy")
    members["b.npy"] = ef.npy_bytes(np.zeros((2, 2), np.float16))
    members["zzz.npy"] = members["c.npy"]
    members["notes.txt"] = b"hello"
    shapes = {**SHAPES, "d": ef.SMALL_SHAPE}
    with pytest.raises(ArchiveError) as info:
        validate_archive(ef.write_zip(tmp_path / "p.zip", members), shapes)
    problems = info.value.problems
    assert len(problems) == 5, problems
    joined = "\n".join(problems)
    for needle in ("'../a.npy'", "'b.npy'", "'zzz.npy'", "'notes.txt'", "'d'"):
        assert needle in joined


def test_missing_ids_give_count_and_first_few(tmp_path: Path) -> None:
    shapes = {f"img_{k:03d}": (2, 2) for k in range(30)}
    members = {"img_000.npy": ef.npy_bytes(np.zeros((2, 2), np.float16))}
    with pytest.raises(ArchiveError) as info:
        validate_archive(ef.write_zip(tmp_path / "p.zip", members), shapes)
    (problem,) = info.value.problems
    assert "29 of 30" in problem and "'img_001'" in problem and "more" in problem


@pytest.mark.parametrize("manifest", [b"[1, 2", b"[1, 2]", b'{"x": NaN}', b"\xff\xfe", b"[" * 100000])
def test_manifest_must_be_a_json_object(tmp_path: Path, manifest: bytes) -> None:
    members = {**ef.score_members(ef.small_scores()), "manifest.json": manifest}
    with pytest.raises(ArchiveError, match="problem") as info:
        validate_archive(ef.write_zip(tmp_path / "p.zip", members), SHAPES)
    assert "'manifest.json'" in info.value.report()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_folder_symlinks_are_reported_not_followed(tmp_path: Path) -> None:
    folder = ef.write_archive(tmp_path / "preds", ef.small_scores())
    (folder / "a.npy").unlink()
    secret = tmp_path / "secret.npy"
    secret.write_bytes(ef.npy_bytes(np.zeros(ef.SMALL_SHAPE, np.float16)))
    os.symlink(secret, folder / "a.npy")
    with pytest.raises(ArchiveError) as info:
        validate_archive(folder, SHAPES)
    assert "'a.npy'" in info.value.report() and "symbolic link" in info.value.report()


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such path"):
        validate_archive(tmp_path / "nope.zip", SHAPES)


def test_value_problems_counts_nan_inf_and_range() -> None:
    a = np.array([[np.nan, np.inf, 1.0, -7e4]], np.float32)
    problems = value_problems(a)
    assert "2 NaN or infinite" in problems[0]
    assert "1 pixel(s) beyond" in problems[1]
    assert value_problems(a, precision="float32") == problems[:1]
    assert value_problems(np.array([[65504.0, -65504.0]])) == []
    assert value_problems(np.array([[0, 65535]], np.uint16)) == []
    f16 = np.array([[np.nan, -np.inf, 0.5]], np.float16)
    assert "2 NaN" in value_problems(f16)[0]
