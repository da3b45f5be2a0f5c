"""``evaluate_archive(components=True)``: the cached best-F1 pass equals a direct computation, for any path."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

from comsamy.errors import UsageError
from comsamy.evaluation import evaluate_archive
from comsamy.metrics import image_histogram, sum_histograms
from comsamy.metrics.components import best_f1_threshold, binarize, component_result, component_stats
from tests.comsamy.evaluation import evalfixtures as ef

SHAPE = (40, 48)
WEATHERS = ("clear", "fog", "fog", "rain", "clear")


def _case() -> tuple[list[ef.Item], dict[str, np.ndarray]]:
    """Five 40x48 images with a few rectangular anomalies, void strips and blurred, noisy scores."""
    rng = np.random.default_rng(5)
    items, scores = [], {}
    for k, weather in enumerate(WEATHERS):
        lab = np.zeros(SHAPE, np.uint8)
        for _ in range(int(rng.integers(1, 4))):
            y, x = rng.integers(0, SHAPE[0] - 10), rng.integers(0, SHAPE[1] - 10)
            lab[y : y + rng.integers(2, 10), x : x + rng.integers(2, 10)] = 1
        lab[:, int(rng.integers(0, SHAPE[1]))] = 255  # a void column that may split a blob
        s = 0.6 * (lab == 1) + rng.normal(0, 0.25, SHAPE)
        image_id = f"img{k}"
        items.append(ef.Item(image_id, lab, weather=weather))
        scores[image_id] = s.astype(np.float16)
    return items, scores


SIZES = {"min_pred_size": 4, "min_gt_size": 3}


def _direct(items: list[ef.Item], scores: dict[str, np.ndarray], threshold: float, ids: list[str]) -> dict:
    stats = [component_stats(binarize(scores[i.id], threshold), i.label, **SIZES) for i in items if i.id in ids]
    return component_result(stats, threshold=threshold).to_dict()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory):
    items, scores = _case()
    path = ef.write_archive(tmp_path_factory.mktemp("comp") / "p.zip", scores)
    return items, scores, ef.build_dataset(items), path


def test_best_f1_pass_equals_direct_computation_for_every_condition(
    case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items, scores, ds, path = case
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the cache folder goes here; it must be gone after
    doc = evaluate_archive(path, ds, workers=1, progress=False, components=True, **SIZES).to_dict()
    threshold = best_f1_threshold(sum_histograms([image_histogram(scores[i.id], i.label) for i in items]))
    all_ids = [i.id for i in items]
    assert doc["overall"]["components"] == _direct(items, scores, threshold, all_ids)
    assert doc["overall"]["components"]["num_gt_components"] > 0
    fog = [i.id for i in items if i.weather == "fog"]
    assert doc["by_condition"]["weather"]["fog"]["components"] == _direct(items, scores, threshold, fog)
    for values in doc["by_condition"].values():
        for metrics in values.values():
            assert set(metrics["components"]) == {
                "siou",
                "ppv",
                "mean_f1",
                "threshold",
                "num_gt_components",
                "num_pred_components",
            }
    assert doc["settings"]["components"]["threshold"] == threshold
    assert os.listdir(tmp_path) == []  # the temporary maps were removed


def test_fixed_threshold_decoded_path_and_workers_agree(case, tmp_path: Path) -> None:
    _items, scores, ds, path = case
    best = evaluate_archive(path, ds, workers=1, progress=False, components=True, **SIZES)
    threshold = best.components.threshold
    fixed = evaluate_archive(
        path, ds, workers=1, progress=False, components=True, component_threshold=threshold, **SIZES
    )
    fortran = ef.write_archive(tmp_path / "f.zip", {k: np.asfortranarray(v) for k, v in scores.items()})
    decoded = evaluate_archive(fortran, ds, workers=1, progress=False, components=True, **SIZES)

    def comps(report) -> list:
        doc = report.to_dict()
        return [doc["overall"]["components"]] + [
            m["components"] for v in doc["by_condition"].values() for m in v.values()
        ]

    assert comps(fixed) == comps(best) == comps(decoded)
    assert fixed.to_dict()["settings"]["components"]["threshold_rule"] == "fixed"
    assert fixed.components.per_image == best.components.per_image


@pytest.mark.slow
def test_two_workers_equal_one(case, monkeypatch: pytest.MonkeyPatch) -> None:
    import comsamy.evaluation.component_pass as cp

    monkeypatch.setattr(cp, "_POOL_MIN_PIXELS_PER_WORKER", 0)  # the threshold pass in worker processes too
    _, _, ds, path = case
    one = evaluate_archive(path, ds, workers=1, progress=False, components=True, **SIZES).to_dict()
    two = evaluate_archive(path, ds, workers=2, progress=False, components=True, **SIZES).to_dict()
    assert one == two


def test_integer_scores_and_float32_precision(tmp_path: Path) -> None:
    items, scores = _case()
    ds = ef.build_dataset(items)
    ints = {k: np.clip((v.astype(np.float64) + 1) * 100, 0, 255).astype(np.uint8) for k, v in scores.items()}
    rep = evaluate_archive(
        ef.write_archive(tmp_path / "i.zip", ints, fmt="png"),
        ds,
        workers=1,
        progress=False,
        components=True,
        component_threshold=160.5,
        **SIZES,
    )
    ids = [i.id for i in items]
    assert rep.to_dict()["overall"]["components"] == _direct(items, ints, 160.5, ids)
    f32 = {k: v.astype(np.float32) + np.float32(1e-4) for k, v in scores.items()}
    rep32 = evaluate_archive(
        ef.write_archive(tmp_path / "f.zip", f32),
        ds,
        workers=1,
        progress=False,
        precision="float32",
        components=True,
        **SIZES,
    )
    t = rep32.components.threshold
    assert rep32.to_dict()["overall"]["components"] == _direct(items, f32, t, ids)


def test_without_components_nothing_changes(case) -> None:
    _, _, ds, path = case
    doc = evaluate_archive(path, ds, workers=1, progress=False).to_dict()
    assert "components" not in doc["overall"] and "components" not in doc["settings"]


def test_bad_component_options(case) -> None:
    _, _, ds, path = case
    with pytest.raises(UsageError, match="expected 'best-f1' or a number, got 'best'"):
        evaluate_archive(path, ds, workers=1, progress=False, components=True, component_threshold="best")
    with pytest.raises(UsageError, match="min_gt_size: expected a non-negative integer, got -3"):
        evaluate_archive(path, ds, workers=1, progress=False, components=True, min_gt_size=-3)


def test_no_anomaly_anywhere_gives_null_components(tmp_path: Path) -> None:
    items = [ef.Item("a", np.zeros((8, 8), np.uint8)), ef.Item("b", np.zeros((8, 8), np.uint8), weather="fog")]
    scores = {i.id: np.random.default_rng(0).random((8, 8)).astype(np.float16) for i in items}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        doc = evaluate_archive(
            ef.write_archive(tmp_path / "z.zip", scores),
            ef.build_dataset(items),
            workers=1,
            progress=False,
            components=True,
        ).to_dict()
    assert doc["overall"]["components"]["threshold"] is None
    assert doc["overall"]["components"]["mean_f1"] is None and doc["overall"]["components"]["num_gt_components"] == 0


def test_cache_write_failure_is_a_clear_error(tmp_path: Path) -> None:
    from comsamy.evaluation.component_pass import ComponentOptions, image_components

    opts = ComponentOptions(None, 1, 1, cache_dir=str(tmp_path / "gone"))
    lab = np.zeros((4, 4), np.uint8)
    with pytest.raises(
        UsageError,
        match=r"expected room for the best-F1 pass's temporary maps \(48 bytes for image "
        r"'x'\) in .*gone, got No such file or directory",
    ):
        image_components(opts, "x", np.zeros((4, 4), np.uint16), "float16-bits", lab)


def test_temporary_maps_are_removed_when_scoring_fails(case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from comsamy.errors import ArchiveError

    _items, scores, ds, _ = case
    bad = dict(scores)
    bad["img3"] = bad["img3"].copy()
    bad["img3"][0, 0] = np.nan  # found while scoring, after other images were cached
    archive = ef.write_archive(tmp_path / "bad.zip", bad)
    cache_root = tmp_path / "tmp"
    cache_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(cache_root))
    with pytest.raises(ArchiveError, match="problem"):
        evaluate_archive(archive, ds, workers=1, progress=False, components=True, **SIZES)
    gc.collect()
    assert os.listdir(cache_root) == []
