"""The field's archive conventions: ISSU's .npz keys, singleton axes, BRAVO's confidences, stray documents,
archives made for more images than a subset config holds, and one report for structure and values."""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from comsamy.data import example_predictions_path
from comsamy.errors import ArchiveError, ArchiveNote, UsageError
from comsamy.evaluation import evaluate_archive
from comsamy.submission import ArchiveLimits, load_scores, open_container, validate_archive
from tests.comsamy.evaluation import evalfixtures as ef

SHAPES = dict.fromkeys(ef.SMALL_IDS, ef.SMALL_SHAPE)


@pytest.fixture(scope="module")
def dataset():
    return ef.build_dataset(ef.small_items())


def _notes(path: Path, shapes: dict = SHAPES, **kwargs: object) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        index = validate_archive(path, shapes, **kwargs)
    notes = [str(w.message) for w in caught if issubclass(w.category, ArchiveNote)]
    assert [n.split(": ", 1)[1] for n in notes] == list(index.notes)
    return index, notes


def _read(path: Path, index: object) -> dict[str, np.ndarray]:
    out = {}
    with open_container(path) as container:
        for image_id, member in index.members.items():  # type: ignore[attr-defined]
            scores, problems = load_scores(container, member, index.member_caps[image_id])  # type: ignore[attr-defined]
            assert problems == []
            out[image_id] = scores
    return out


def test_issu_npz_is_read_by_its_anomaly_scores_key(tmp_path: Path) -> None:
    scores = ef.small_scores(np.float32)
    members = {}
    for image_id, arr in scores.items():
        buf = io.BytesIO()
        np.savez_compressed(buf, anomaly_scores=arr, pred_id_labels=np.zeros(ef.SMALL_SHAPE, np.int64))
        members[f"{image_id}.npz"] = buf.getvalue()
    path = ef.write_zip(tmp_path / "issu.zip", members)
    got = _read(path, validate_archive(path, SHAPES))
    for image_id, want in scores.items():
        np.testing.assert_array_equal(got[image_id], want)


@pytest.mark.parametrize("layout", ["1hw", "hw1", "hw1_fortran"])
def test_singleton_axes_are_squeezed_with_a_note_and_score_the_same(
    tmp_path: Path, dataset: object, layout: str
) -> None:
    scores = ef.small_scores()
    shaped = {
        "1hw": {i: a[None] for i, a in scores.items()},
        "hw1": {i: a[..., None] for i, a in scores.items()},
        "hw1_fortran": {i: np.asfortranarray(a[..., None]) for i, a in scores.items()},
    }[layout]
    path = ef.write_archive(tmp_path / "p.zip", shaped)
    index, notes = _notes(path)
    assert len(notes) == 3 and "squeezed shape" in notes[0] and "(4, 5)" in notes[0]
    for image_id, got in _read(path, index).items():
        np.testing.assert_array_equal(got, scores[image_id])
    plain = ef.write_archive(tmp_path / "plain.zip", scores)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ArchiveNote)
        squeezed = evaluate_archive(path, dataset, workers=1, progress=False)  # the float16 fast path too
    assert squeezed.overall == evaluate_archive(plain, dataset, workers=1, progress=False).overall


def _bravo(tmp: Path, confidences: dict[str, np.ndarray], manifest: dict | None = None) -> Path:
    members = {f"{i}_conf.png": ef.png_bytes(c) for i, c in confidences.items()}
    if manifest is not None:
        members["manifest.json"] = __import__("json").dumps(manifest).encode()
    return ef.write_zip(tmp / ("bravo_manifest.zip" if manifest else "bravo.zip"), members)


def test_bravo_confidences_are_ranked_reversed_when_declared(tmp_path: Path, dataset: object) -> None:
    rng = np.random.default_rng(5)
    anomaly = {i: rng.integers(0, 65535, ef.SMALL_SHAPE).astype(np.uint16) for i in ef.SMALL_IDS}
    reference = evaluate_archive(
        ef.write_archive(tmp_path / "anomaly.zip", anomaly, fmt="png"), dataset, workers=1, progress=False
    )
    confidence = {i: (65535 - a).astype(np.uint16) for i, a in anomaly.items()}
    by_keyword = evaluate_archive(
        _bravo(tmp_path, confidence), dataset, polarity="confidence", workers=1, progress=False
    )
    by_manifest = evaluate_archive(
        _bravo(tmp_path, confidence, {"polarity": "confidence"}), dataset, workers=1, progress=False
    )
    assert by_keyword.overall == by_manifest.overall == reference.overall
    index = validate_archive(_bravo(tmp_path, confidence), SHAPES, polarity="confidence")
    assert index.polarity == "confidence" and index.members["a"].name == "a_conf.png"  # the suffix is stripped


def test_float_confidences_skip_the_fast_path_and_reverse_exactly(tmp_path: Path, dataset: object) -> None:
    scores = ef.small_scores()
    reference = evaluate_archive(ef.write_archive(tmp_path / "a.zip", scores), dataset, workers=1, progress=False)
    negated = ef.write_archive(tmp_path / "c.zip", {i: -s for i, s in scores.items()})
    assert (
        evaluate_archive(negated, dataset, polarity="confidence", workers=1, progress=False).overall
        == reference.overall
    )


def test_undeclared_confidence_names_are_ranked_as_given_with_a_note(tmp_path: Path) -> None:
    confidence = {i: np.full(ef.SMALL_SHAPE, 7, np.uint16) for i in ef.SMALL_IDS}
    index, notes = _notes(_bravo(tmp_path, confidence))
    assert index.polarity == "anomaly"
    (note,) = notes
    assert "'a_conf.png'" in note and "ranked as given" in note and "--polarity confidence" in note


def test_polarity_values_are_checked(tmp_path: Path) -> None:
    path = _bravo(tmp_path, {i: np.zeros(ef.SMALL_SHAPE, np.uint16) for i in ef.SMALL_IDS}, {"polarity": "up"})
    with pytest.raises(ArchiveError) as info:
        validate_archive(path, SHAPES)
    assert info.value.problems == (
        "member 'manifest.json': key 'polarity': expected one of anomaly, confidence, got 'up'",
    )
    with pytest.raises(UsageError, match="polarity"):
        validate_archive(path, SHAPES, polarity="down")  # type: ignore[arg-type]
    with pytest.warns(ArchiveNote, match="ranked as given"):
        index = validate_archive(
            _bravo(
                tmp_path, {i: np.zeros(ef.SMALL_SHAPE, np.uint16) for i in ef.SMALL_IDS}, {"polarity": "confidence"}
            ),
            SHAPES,
            polarity="anomaly",
        )
    assert index.polarity == "anomaly"  # the keyword wins over the manifest


def test_stray_documents_are_ignored_with_a_note(tmp_path: Path) -> None:
    members = ef.score_members(ef.small_scores())
    members.update({"README.txt": b"how we made these", "LICENSE": b"MIT", "docs/licence.md": b"x"})
    index, notes = _notes(ef.write_zip(tmp_path / "p.zip", members))
    (note,) = notes
    assert "ignored 3 document(s)" in note and "'README.txt'" in note and "'LICENSE'" in note
    assert sorted(index.members) == list(ef.SMALL_IDS)  # type: ignore[attr-defined]


def test_subset_config_scores_the_subset_and_notes_the_extra_ids() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = evaluate_archive(
            example_predictions_path(), "sample", config="fog", split="test", workers=1, progress=False
        )
    assert report.overall.num_images == 4
    notes = [str(w.message) for w in caught if issubclass(w.category, ArchiveNote)]
    assert len(notes) == 1 and "45 member(s) score images outside the evaluated subset" in notes[0], notes


def test_extra_ids_do_not_count_against_the_size_caps(tmp_path: Path) -> None:
    shape = (256, 256)
    scores = {f"img_{k}": np.zeros(shape, np.float64) for k in range(6)}  # 512 KiB each, 3 MiB in all
    path = ef.write_archive(tmp_path / "p.zip", scores)
    limits = ArchiveLimits(member_slack=256)  # a 1-image subset may read 512 KiB + 1 MiB in all
    with pytest.raises(ArchiveError) as info:
        validate_archive(path, {"img_0": shape}, limits=limits)
    (problem,) = info.value.problems  # without the subset switch: unknown ids, and no misleading size message
    assert problem.startswith("unknown ids: 5 member(s)")
    index, notes = _notes(path, {"img_0": shape}, limits=limits, extra_ids="note")
    assert list(index.members) == ["img_0"] and "5 member(s)" in notes[0]  # type: ignore[attr-defined]


def test_value_problems_join_the_structural_report(tmp_path: Path, dataset: object) -> None:
    scores = ef.small_scores(np.float32)
    scores["a"][0, :2] = np.nan
    members = ef.score_members(scores)
    members["b.npy"] = ef.npy_bytes(np.zeros((5, 4), np.float16))  # structural
    members["zzz.npy"] = members["c.npy"]  # structural
    path = ef.write_zip(tmp_path / "p.zip", members)
    with pytest.raises(ArchiveError) as info:
        evaluate_archive(path, dataset, workers=1, progress=False)
    joined = "\n".join(info.value.problems)
    assert len(info.value.problems) == 3, joined
    assert (
        "'b.npy'" in joined
        and "unknown ids" in joined
        and "member 'a.npy': expected finite scores, got 2 NaN" in joined
    )


def test_zip_and_folder_notes_and_documents_agree(tmp_path: Path) -> None:
    scores = ef.small_scores()
    folder = ef.write_archive(tmp_path / "folder", scores)
    (folder / "README.md").write_text("notes", encoding="utf-8")
    zipped = ef.write_zip(
        tmp_path / "p.zip", {**ef.score_members(scores), "README.md": b"notes"}, compression=zipfile.ZIP_STORED
    )
    assert _notes(folder)[0].notes == _notes(zipped)[0].notes  # type: ignore[attr-defined]


def test_comsamy_eval_prints_the_notes_and_takes_polarity(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from comsamy.cli.eval import main

    folder = ef.build_dataset_folder(tmp_path / "ds", ef.small_items())
    rng = np.random.default_rng(2)
    members = {
        f"{i}_conf.png": ef.png_bytes(rng.integers(0, 65535, ef.SMALL_SHAPE).astype(np.uint16)) for i in ef.SMALL_IDS
    }
    path = ef.write_zip(tmp_path / "p.zip", {**members, "README.txt": b"BRAVO export"})
    argv = ["--preds", str(path), "--data", str(folder), "--workers", "1", "--format", "csv"]
    assert main([*argv, "--polarity", "confidence"]) == 0
    err = capsys.readouterr().err
    assert "comsamy-eval: warning: " in err and "ignored 1 document(s)" in err and "ranked as given" not in err
    assert main(argv) == 0
    assert "ranked as given" in capsys.readouterr().err
