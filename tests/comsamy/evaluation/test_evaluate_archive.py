"""evaluate_archive end to end on real archives: anchors, scikit-learn oracle, invariants, problems before results."""

from __future__ import annotations

import json
import math
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from comsamy.errors import ArchiveError, UsageError
from comsamy.evaluation import REPORT_KEYS, evaluate_archive, validate_predictions
from comsamy.metrics import UndefinedMetricWarning
from tests.comsamy.evaluation import evalfixtures as ef

TOL = 1e-6  # the spec's table rounds to six decimals; exact fractions are checked to 1e-12


@pytest.fixture(scope="module")
def anchor_ds():
    return ef.build_dataset(ef.anchor_items())


@pytest.fixture(scope="module")
def anchor_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ef.write_archive(tmp_path_factory.mktemp("anchors") / "p.zip", ef.anchor_scores())


@pytest.mark.parametrize(
    ("fpr95", "auprc", "col_fpr", "col_ap"),
    [("first", "step", 2, 0), ("closest", "trapezoid", 3, 5), ("interp", "step", 4, 0)],
)
def test_anchors_through_the_api(
    anchor_ds, anchor_zip: Path, fpr95: str, auprc: str, col_fpr: int, col_ap: int
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = evaluate_archive(anchor_zip, anchor_ds, fpr95=fpr95, auprc=auprc, workers=1, progress=False)
    tags = report.by_condition["anomaly_type"]
    for tag, want in ef.ANCHORS.items():
        got = tags[tag]
        assert got.auprc == pytest.approx(want[col_ap], abs=TOL), tag
        assert got.auroc == pytest.approx(want[1], abs=TOL), tag
        assert got.fpr95 == pytest.approx(want[col_fpr], abs=TOL), tag
    if (fpr95, auprc) == ("first", "step"):
        assert tags["T2"].auprc == pytest.approx(29 / 36, abs=1e-12)
        fog, night, t10 = report.by_condition["weather"]["fog"], report.by_condition["weather"]["night"], tags["T10"]
        assert (fog.auprc, fog.auroc, fog.fpr95) == pytest.approx((53 / 90, 0.833333, 0.25), abs=TOL)
        assert fog.auprc == pytest.approx(53 / 90, abs=1e-12)
        assert (night.auprc, night.auroc, night.fpr95) == pytest.approx((0.5, 0.5, 0.666667), abs=TOL)
        assert (t10.auprc, t10.auroc, t10.fpr95) == pytest.approx((49 / 90, 0.772727, 4 / 11), abs=TOL)
        assert t10.fpr95 == pytest.approx(4 / 11, abs=1e-12)
        t11 = tags["T11"]
        assert (t11.auprc, t11.auroc, t11.fpr95) == pytest.approx((0.7, 0.611111, 0.666667), abs=TOL)


def test_t11_float32_precision_breaks_the_float16_tie(anchor_ds, anchor_zip: Path) -> None:
    report = evaluate_archive(anchor_zip, anchor_ds, precision="float32", workers=1, progress=False)
    t11 = report.by_condition["anomaly_type"]["T11"]
    assert (t11.auprc, t11.auroc, t11.fpr95) == pytest.approx((0.7, 0.555556, 0.666667), abs=TOL)


def _random_case(seed: int) -> tuple[list[ef.Item], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    items, scores = [], {}
    for k in range(7):
        h, w = int(rng.integers(1, 40)), int(rng.integers(1, 50))
        label = rng.choice(np.array([0, 1, 255], np.uint8), size=(h, w), p=[0.7, 0.2, 0.1])
        s = rng.standard_normal((h, w)) * rng.choice([1e-3, 1, 300])
        s[rng.random((h, w)) < 0.2] = 0.0
        s[rng.random((h, w)) < 0.1] = -0.0
        s = np.round(s, int(rng.integers(0, 4)))  # ties
        weather = ("clear", "fog", "rain", "night")[k % 4]
        items.append(ef.Item(f"img{k}", label, weather=weather, landform="desert", anomaly_types=["x"]))
        scores[f"img{k}"] = s.astype(rng.choice([np.float16, np.float32, np.float64]))
    return items, scores


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_scikit_learn_on_float16_pixels(tmp_path: Path, seed: int) -> None:
    items, scores = _random_case(seed)
    ds = ef.build_dataset(items)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = evaluate_archive(ef.write_archive(tmp_path / "p.zip", scores), ds, workers=1, progress=False)

    def oracle(ids: list[str]) -> tuple[float, float]:
        y = np.concatenate([it.label.ravel() for it in items if it.id in ids])
        s = np.concatenate([scores[i].astype(np.float16).astype(np.float64).ravel() for i in ids])
        keep = y != 255
        return average_precision_score(y[keep], s[keep]), roc_auc_score(y[keep], s[keep])

    ap, auc = oracle([it.id for it in items])
    assert report.overall.auprc == pytest.approx(ap, abs=1e-12)
    assert report.overall.auroc == pytest.approx(auc, abs=1e-12)
    for weather, result in report.by_condition["weather"].items():
        ap, auc = oracle([it.id for it in items if it.weather == weather])
        assert result.auprc == pytest.approx(ap, abs=1e-12)
        assert result.auroc == pytest.approx(auc, abs=1e-12)


@pytest.mark.slow
def test_any_worker_count_folder_zip_formats_and_order_give_identical_reports(tmp_path: Path) -> None:
    items, scores = _random_case(5)
    scores = {k: v.astype(np.float32) for k, v in scores.items()}
    ds = ef.build_dataset(items)
    zip_path = ef.write_archive(tmp_path / "p.zip", scores, manifest={"method": "m"})
    base = evaluate_archive(zip_path, ds, workers=1, progress=False).to_dict()
    two = evaluate_archive(zip_path, ds, workers=2, progress=False).to_dict()
    assert two == base
    folder = evaluate_archive(
        ef.write_archive(tmp_path / "dir", scores, manifest={"method": "m"}), ds, workers=1, progress=False
    ).to_dict()
    reverse = ef.write_zip(tmp_path / "rev.zip", dict(reversed(ef.score_members(scores, "npz").items())))
    npz = evaluate_archive(reverse, ds, workers=1, progress=False).to_dict()
    h5 = evaluate_archive(
        ef.write_archive(tmp_path / "h5.zip", scores, fmt="h5"), ds, workers=1, progress=False
    ).to_dict()
    for other in (folder, npz, h5):
        assert {k: other[k] for k in ("overall", "by_condition")} == {k: base[k] for k in ("overall", "by_condition")}
    assert folder["archive"]["sha256"] != base["archive"]["sha256"]


def test_float16_fast_path_equals_decoded_path(tmp_path: Path) -> None:
    items, scores = _random_case(2)
    f16 = {k: v.astype(np.float16) for k, v in scores.items()}
    ds = ef.build_dataset(items)
    fast = evaluate_archive(ef.write_archive(tmp_path / "a.zip", f16), ds, workers=1, progress=False)
    fortran = {k: np.asfortranarray(v) for k, v in f16.items()}  # not the raw-bytes path
    slow = evaluate_archive(ef.write_archive(tmp_path / "b.zip", fortran), ds, workers=1, progress=False)
    assert fast.to_dict()["overall"] == slow.to_dict()["overall"]
    assert fast.to_dict()["by_condition"] == slow.to_dict()["by_condition"]


def test_integer_png_archive_is_ranked_as_integers(tmp_path: Path) -> None:
    items = ef.small_items()
    ds = ef.build_dataset(items)
    scores = {it.id: (it.label == 1).astype(np.uint16) * 1000 + 7 for it in items}
    report = evaluate_archive(ef.write_archive(tmp_path / "p.zip", scores, fmt="png"), ds, workers=1, progress=False)
    assert report.settings.score_kind == "integer"
    assert report.overall.auprc == 1.0 and report.overall.fpr95 == 0.0


def test_value_problems_of_all_images_come_together_before_any_result(tmp_path: Path) -> None:
    ds = ef.build_dataset(ef.small_items())
    bad = ef.make_bad_archives(tmp_path)
    for case in ("nan", "float16_range"):
        path, needles = bad[case]
        for run in (
            lambda p: evaluate_archive(p, ds, workers=1, progress=False),
            lambda p: validate_predictions(p, ds, workers=1, progress=False),
        ):
            with pytest.raises(ArchiveError) as info:
                run(path)
            report = info.value.report()
            assert all(n in report for n in needles), report


def test_crc_error_in_a_large_member_is_found_by_the_scoring_pass(tmp_path: Path) -> None:
    shape = (300, 300)  # bigger than the header read, so only the full read checks the CRC
    items = [ef.Item(i, np.eye(*shape, dtype=np.uint8)) for i in ("p", "q")]
    ds = ef.build_dataset(items)
    members = ef.score_members({i.id: np.random.default_rng(0).random(shape).astype(np.float16) for i in items})
    path = ef.write_zip(tmp_path / "p.zip", members, compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[30 + len("p.npy") + 1000] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveError) as info:
        evaluate_archive(path, ds, workers=1, progress=False)
    assert "'p.npy'" in info.value.report() and "CRC" in info.value.report()


def test_report_json_has_exactly_the_contract_keys(tmp_path: Path) -> None:
    items = [
        ef.Item("x", np.array([[1, 0, 0]], np.uint8), weather="clear", anomaly_types=["a"]),
        ef.Item("y", np.array([[0, 0, 255]], np.uint8), weather="fog", anomaly_types=["b"]),
    ]
    path = ef.write_archive(tmp_path / "p.zip", {"x": np.array([[0.9, 0.1, 0.2]]), "y": np.array([[0.3, 0.4, 0.5]])})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = evaluate_archive(path, ef.build_dataset(items), workers=1, progress=False)
    undefined = [str(w.message) for w in caught if issubclass(w.category, UndefinedMetricWarning)]
    assert any("fog" in text for text in undefined)  # no anomaly pixel in fog: undefined, with a warning
    assert math.isnan(report.by_condition["weather"]["fog"].auprc)
    assert report.histogram().num_anomaly_pixels == report.overall.num_anomaly_pixels == 1
    assert report.condition_ids("weather", "fog") == ["y"]
    doc = report.to_dict()
    assert tuple(doc) == REPORT_KEYS
    assert set(doc["archive"]) == {"sha256", "manifest"}
    assert set(doc["dataset"]) >= {"name", "revision", "num_images"}
    assert doc["dataset"]["num_images"] == 2
    assert set(doc["settings"]) >= {"precision", "fpr95", "auprc", "definitions"}
    assert set(doc["by_condition"]) == {"split", "weather", "landform", "anomaly_type"}
    metric_keys = {
        "auprc",
        "fpr95",
        "auroc",
        "tpr_at_5fpr",
        "num_images",
        "num_anomaly_pixels",
        "num_inlier_pixels",
        "num_void_pixels",
    }
    assert set(doc["overall"]) == metric_keys
    for values in doc["by_condition"].values():
        for cell in values.values():
            assert set(cell) == metric_keys
    assert doc["by_condition"]["weather"]["fog"]["auprc"] is None  # no anomaly pixel: undefined, never 0
    json.dumps(doc, allow_nan=False)


def test_bad_options_are_usage_errors(anchor_ds, anchor_zip: Path) -> None:
    for kwargs in ({"precision": "float64"}, {"fpr95": "last"}, {"auprc": "roc"}, {"workers": 0}):
        with pytest.raises(UsageError):
            evaluate_archive(anchor_zip, anchor_ds, progress=False, **kwargs)
    with pytest.raises(UsageError, match="no such path"):
        evaluate_archive(anchor_zip.parent / "missing.zip", anchor_ds, progress=False)
