"""ArchiveWriter: what it writes scores like any archive, and it refuses exactly what comsamy-eval refuses."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import comsamy
from comsamy.errors import ArchiveError, UsageError
from comsamy.evaluation import evaluate_archive, validate_predictions
from comsamy.submission import ArchiveWriter, validate_archive
from tests.comsamy.evaluation import evalfixtures as ef

SHAPES = dict.fromkeys(ef.SMALL_IDS, ef.SMALL_SHAPE)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "evaluator.md"


@pytest.fixture(scope="module")
def dataset():
    return ef.build_dataset(ef.small_items())


def _problems_of(path: Path, data: object) -> list[str]:
    """Every problem comsamy-eval's checks (structure, then values) report for an archive."""
    with pytest.raises(ArchiveError) as info:
        validate_predictions(path, data, workers=1, progress=False)
    return list(info.value.problems)


def _refusal(writer: ArchiveWriter, image_id: str, scores: object) -> str:
    with pytest.raises(ArchiveError) as info:
        writer.add(image_id, scores)
    (problem,) = info.value.problems
    assert problem in str(info.value)
    return problem


def test_written_archive_scores_like_the_same_maps_written_by_hand(tmp_path: Path, dataset: object) -> None:
    scores = ef.small_scores(np.float32)
    with ArchiveWriter(tmp_path / "w.zip", dataset, method="m", team="t", backbone="none") as writer:
        for image_id, arr in scores.items():
            writer.add(image_id, arr)
    assert len(writer) == 3
    by_hand = ef.write_archive(tmp_path / "h.zip", {i: a.astype(np.float16) for i, a in scores.items()})
    written = evaluate_archive(tmp_path / "w.zip", dataset, workers=1, progress=False)
    reference = evaluate_archive(by_hand, dataset, workers=1, progress=False)
    assert written.overall == reference.overall
    assert written.manifest == {"method": "m", "team": "t", "backbone": "none", "score_dtype": "float16"}
    with zipfile.ZipFile(tmp_path / "w.zip") as zf:
        assert sorted(zf.namelist()) == ["a.npy", "b.npy", "c.npy", "manifest.json"]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
    assert not (tmp_path / "w.zip.partial").exists()


def test_comsamy_eval_scores_an_archive_written_against_a_dataset_folder(tmp_path: Path) -> None:
    from comsamy.cli.eval import main

    folder = ef.build_dataset_folder(tmp_path / "ds", ef.small_items())
    with ArchiveWriter(tmp_path / "p.zip", str(folder), method="folder") as writer:  # data as --data takes it
        problem = _refusal(writer, "a", np.zeros((5, 4)))  # the dataset's shapes were loaded from the folder
        for image_id, arr in ef.small_scores().items():
            writer.add(image_id, arr)
    assert "(4, 5)" in problem
    out = tmp_path / "r.json"
    assert (
        main(
            [
                "--preds",
                str(tmp_path / "p.zip"),
                "--data",
                str(folder),
                "--workers",
                "1",
                "--out",
                str(out),
                "--format",
                "json",
            ]
        )
        == 0
    )
    assert json.loads(out.read_text())["archive"]["manifest"]["method"] == "folder"


def test_refusals_carry_the_messages_of_comsamy_eval(tmp_path: Path, dataset: object) -> None:
    good = ef.small_scores()
    nan = good["a"].astype(np.float32)
    nan[0, :3] = np.nan
    big = good["a"].astype(np.float64)
    big[1, 1] = 1e6
    with ArchiveWriter(tmp_path / "w.zip", dataset) as writer:
        writer.add("a", good["a"])
        refused = {
            "duplicate": _refusal(writer, "a", good["a"]),
            "unknown": _refusal(writer, "zzz", good["a"]),
            "nan": _refusal(writer, "b", np.where(np.arange(20).reshape(4, 5) < 3, np.nan, 1.0)),
            "shape": _refusal(writer, "b", np.zeros((5, 4), np.float16)),
            "not_2d": _refusal(writer, "b", np.zeros((2, 4, 5), np.float16)),
            "range": _refusal(writer, "b", big),
            "dtype": _refusal(writer, "b", np.zeros(ef.SMALL_SHAPE, np.int64)),
            "mixed": _refusal(writer, "b", np.zeros(ef.SMALL_SHAPE, np.uint8)),
        }
        writer.add("b", good["b"])  # still usable after refusals
        writer.add("c", good["c"][None])  # (1, H, W) is squeezed, as validation does
    index = validate_archive(tmp_path / "w.zip", SHAPES)
    assert index.members["c"].header.shape == ef.SMALL_SHAPE
    assert refused["duplicate"] == "duplicate id 'a': expected one member per image, got 'a.npy', 'a.npy'"
    for case, members in {
        "unknown": {**ef.score_members(good), "zzz.npy": ef.npy_bytes(good["a"])},
        "nan": {
            **ef.score_members(good),
            "b.npy": ef.npy_bytes(np.where(np.arange(20).reshape(4, 5) < 3, np.nan, 1.0)),
        },
        "shape": {**ef.score_members(good), "b.npy": ef.npy_bytes(np.zeros((5, 4), np.float16))},
        "not_2d": {**ef.score_members(good), "b.npy": ef.npy_bytes(np.zeros((2, 4, 5), np.float16))},
        "range": {**ef.score_members(good), "b.npy": ef.npy_bytes(big)},
        "mixed": {"a.npy": ef.npy_bytes(good["a"]), "b.npy": ef.npy_bytes(np.zeros(ef.SMALL_SHAPE, np.uint8))},
    }.items():
        path = ef.write_zip(tmp_path / f"{case}.zip", members)
        assert refused[case] in _problems_of(path, dataset), case
    assert "int64" in refused["dtype"] and "'b.npy'" in refused["dtype"]


def test_missing_images_at_close_keep_the_partial_and_never_touch_path(tmp_path: Path, dataset: object) -> None:
    target = tmp_path / "p.zip"
    target.write_bytes(b"an older archive")
    writer = ArchiveWriter(target, dataset)
    writer.add("a", ef.small_scores()["a"])
    with pytest.raises(ArchiveError) as info:
        writer.close()
    (problem,) = info.value.problems
    members = {k: v for k, v in ef.score_members(ef.small_scores()).items() if k == "a.npy"}
    assert problem in _problems_of(ef.write_zip(tmp_path / "m.zip", members), dataset)
    assert "p.zip.partial" in str(info.value)
    assert target.read_bytes() == b"an older archive"
    with zipfile.ZipFile(tmp_path / "p.zip.partial") as zf:
        assert zf.namelist() == ["a.npy"]


def test_an_exception_in_the_loop_leaves_no_archive(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="model crashed"), ArchiveWriter(tmp_path / "p.zip") as writer:
        writer.add("x", np.ones((2, 2)))
        raise RuntimeError("model crashed")
    assert not (tmp_path / "p.zip").exists()
    assert (tmp_path / "p.zip.partial").exists()
    with pytest.raises(UsageError, match="after close"):
        writer.add("y", np.ones((2, 2)))


def test_manifest_keywords_are_checked(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="JSON"):
        ArchiveWriter(tmp_path / "p.zip", method=object())
    with pytest.raises(UsageError, match="polarity"):
        ArchiveWriter(tmp_path / "p.zip", polarity="sideways")
    with pytest.raises(UsageError, match="image_id"):
        ArchiveWriter(tmp_path / "q.zip").add("../x", np.ones((2, 2)))
    with ArchiveWriter(tmp_path / "u.zip", polarity="confidence", extra_data=False) as writer:
        writer.add("x", np.full((2, 2), 7, np.uint16))
    with zipfile.ZipFile(tmp_path / "u.zip") as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest == {"polarity": "confidence", "extra_data": False, "score_dtype": "uint16"}


def _peak_while_writing(path: Path, count: int, shape: tuple[int, int]) -> int:
    rng = np.random.default_rng(0)
    tracemalloc.start()
    with ArchiveWriter(path, method="memory") as writer:
        for k in range(count):
            writer.add(f"img_{k:04d}", rng.random(shape, dtype=np.float32))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memory_stays_flat_however_many_maps(tmp_path: Path) -> None:
    shape = (128, 256)
    map_bytes = shape[0] * shape[1] * 4
    few = _peak_while_writing(tmp_path / "few.zip", 20, shape)
    many = _peak_while_writing(tmp_path / "many.zip", 200, shape)  # 25 MB of float32 maps in all
    assert many < few * 1.5 + (1 << 20), (few, many)
    assert many < 8 * map_bytes, (many, map_bytes)
    assert len(zipfile.ZipFile(tmp_path / "many.zip").namelist()) == 201


def test_top_level_name_is_lazy_and_import_comsamy_stays_light() -> None:
    assert comsamy.ArchiveWriter is ArchiveWriter
    code = "import sys, comsamy; assert 'numpy' not in sys.modules, 'numpy imported'; comsamy.ArchiveWriter"
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError, match="no attribute"):
        comsamy.NoSuchThing  # noqa: B018


def test_the_documented_loop_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"<!-- archive-writer-loop -->\s*```python\n(.*?)```", text, re.S)
    assert block, "docs/evaluator.md lost the ArchiveWriter loop"
    code = block.group(1)
    assert len(code.strip().splitlines()) <= 6, code

    def my_model(image: object) -> np.ndarray:  # stands for the reader's model: (H, W) scores
        return np.asarray(image.convert("L"), np.float32) / 255  # type: ignore[attr-defined]

    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(DOCS), "exec"), {"my_model": my_model})
    report = evaluate_archive(tmp_path / "preds.zip", "sample", workers=1, progress=False)
    assert report.manifest["method"] == "my method" and report.overall.num_images == 49
