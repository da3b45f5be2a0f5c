"""The spec's numeric anchors T1-T13, through the public API."""

from __future__ import annotations

import json

import numpy as np
import pytest

from comsamy.metrics import MetricAccumulator, anomaly_metrics
from tests.comsamy.metrics.oracles import ANCHORS, T10_IMAGES, T11, hendrycks_fpr_at_recall, sk_metrics


@pytest.mark.parametrize("name", sorted(ANCHORS))
def test_anchor_defaults_and_variants(name: str) -> None:
    labels, scores, ap, auroc, fpr95, closest, interp, trapezoid = ANCHORS[name]
    y, s = np.asarray(labels, np.uint8), np.asarray(scores)
    base = anomaly_metrics(s, y)
    assert base.auprc == pytest.approx(ap, abs=1e-6)
    assert base.auroc == pytest.approx(auroc, abs=1e-6)
    assert base.fpr95 == pytest.approx(fpr95, abs=1e-12)
    assert anomaly_metrics(s, y, fpr95="closest").fpr95 == pytest.approx(closest, abs=1e-12)
    assert anomaly_metrics(s, y, fpr95="interp").fpr95 == pytest.approx(interp, abs=1e-12)
    assert anomaly_metrics(s, y, auprc="trapezoid").auprc == pytest.approx(trapezoid, abs=1e-6)


@pytest.mark.parametrize("name", sorted(ANCHORS))
def test_anchor_oracles_agree_with_the_table(name: str) -> None:
    """The oracles themselves reproduce the spec's columns (so a wrong oracle cannot hide a wrong rule)."""
    labels, scores, ap, auroc, fpr95, closest, interp, trapezoid = ANCHORS[name]
    y, s = np.asarray(labels).ravel(), np.asarray(scores, np.float64).ravel()
    keep = y != 255
    want = sk_metrics(y[keep], s[keep])
    assert (want["fpr95"], want["closest"], want["interp"]) == pytest.approx((fpr95, closest, interp), abs=1e-12)
    assert (want["auprc"], want["auroc"], want["trapezoid"]) == pytest.approx((ap, auroc, trapezoid), abs=1e-6)


def test_closest_rule_takes_the_lowest_threshold_and_the_higher_tpr() -> None:
    """Issue 11's anchors: T12 (equal TPR at two thresholds), T13 (0.94 and 0.96 equally near 0.95)."""
    for name in ("T12", "T13"):
        labels, scores = ANCHORS[name][:2]
        y, s = np.asarray(labels, np.uint8), np.asarray(scores, np.float64)
        assert anomaly_metrics(s, y, fpr95="closest").fpr95 == 1.0
        assert hendrycks_fpr_at_recall(y, s) == 1.0
    # T13's two candidate TPRs really are equally near 0.95 in float64 (the tie the rule must break upwards)
    assert abs(47 / 50 - 0.95) == abs(48 / 50 - 0.95)


def test_strict_differs_from_first_on_a_thinned_run() -> None:
    """Equal steps of one positive and one negative per threshold: thinning drops the point first would take."""
    y = np.array([1] * 90 + [1, 0] * 10, np.uint8)
    s = np.array(list(range(200, 110, -1)) + [v for v in range(100, 90, -1) for _ in (0, 1)], np.float64)
    first = anomaly_metrics(s, y).fpr95
    strict = anomaly_metrics(s, y, fpr95="strict").fpr95
    want = sk_metrics(y, s)["strict"]
    assert strict == want
    assert strict > first  # TPR > 0.95 on the thinned curve only at its last point


def test_tpr_at_5fpr_is_in_every_metrics_object() -> None:
    y = np.array([1] * 9 + [0] * 3 + [1] + [0] * 17, np.uint8)
    s = np.arange(30, 0, -1) / 32
    result = anomaly_metrics(s, y)
    assert result.tpr_at_5fpr == pytest.approx(0.9)  # 1 negative of 20 is 5 %: the 9 positives above it count
    assert result.to_dict()["tpr_at_5fpr"] == pytest.approx(0.9)


def test_anchor_exact_fractions() -> None:
    y, s = (np.asarray(a) for a in ANCHORS["T2"][:2])
    assert anomaly_metrics(s, y.astype(np.uint8)).auprc == pytest.approx(29 / 36, abs=1e-15)


def test_t9_counts_void() -> None:
    y, s = (np.asarray(a) for a in ANCHORS["T9"][:2])
    result = anomaly_metrics(s, y.astype(np.uint8))
    assert (result.num_anomaly_pixels, result.num_inlier_pixels, result.num_void_pixels) == (4, 5, 3)


def _t10_accumulator(**kwargs: str) -> MetricAccumulator:
    acc = MetricAccumulator(**kwargs)  # type: ignore[arg-type]
    for image_id, (labels, scores, weather) in T10_IMAGES.items():
        acc.update(image_id, np.array([scores]), np.array([labels], np.uint8), {"weather": weather})
    return acc


def test_t10_pooling_per_condition() -> None:
    result = _t10_accumulator().compute()
    fog, night = result.condition("weather", "fog"), result.condition("weather", "night")
    assert fog.auprc == pytest.approx(53 / 90, abs=1e-12)
    assert fog.auroc == pytest.approx(0.833333, abs=1e-6)
    assert fog.fpr95 == pytest.approx(0.25, abs=1e-12)
    assert (night.auprc, night.auroc) == (pytest.approx(0.5), pytest.approx(0.5))
    assert night.fpr95 == pytest.approx(2 / 3, abs=1e-12)
    assert result.overall.auprc == pytest.approx(49 / 90, abs=1e-12)
    assert result.overall.auroc == pytest.approx(0.772727, abs=1e-6)
    assert result.overall.fpr95 == pytest.approx(4 / 11, abs=1e-12)
    assert result.condition("split", "adverse").to_dict() == result.overall.to_dict()
    assert "clear" not in result.by_condition["split"]
    assert (fog.num_images, fog.num_void_pixels, result.overall.num_void_pixels) == (2, 1, 2)
    json.dumps(result.to_dict())  # JSON-ready


def test_t10_per_image_mean_is_an_extra() -> None:
    per_image = _t10_accumulator().per_image()
    assert np.mean([per_image["fog_0"].auprc, per_image["fog_1"].auprc]) == pytest.approx(0.666667, abs=1e-6)


def test_t11_precision_matters() -> None:
    y, s = np.asarray(T11[0], np.uint8), np.asarray(T11[1])
    f16 = anomaly_metrics(s, y)
    f32 = anomaly_metrics(s, y, precision="float32")
    assert f16.auroc == pytest.approx(0.611111, abs=1e-6)
    assert f32.auroc == pytest.approx(0.555556, abs=1e-6)
    for result in (f16, f32):
        assert result.auprc == pytest.approx(0.7, abs=1e-12)
        assert result.fpr95 == pytest.approx(2 / 3, abs=1e-12)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float16, np.float64])
def test_hand_computed_toy(dtype: type) -> None:
    # thresholds 3, 2, 1: (TP, FP) = (1, 0), (1, 1), (2, 1) -> P = 1, 1/2, 2/3; R = 1/2, 1/2, 1
    result = anomaly_metrics(np.array([[3, 2, 1]], dtype), np.array([[1, 0, 1]], np.uint8))
    assert result.auprc == pytest.approx(0.5 * 1 + 0.5 * (2 / 3), abs=1e-15)
    assert result.auroc == pytest.approx(0.5, abs=1e-15)  # one of the two (pos, neg) pairs is ordered
    assert result.fpr95 == 1.0  # TPR reaches 0.95 only at the lowest threshold
    trapezoid = anomaly_metrics(np.array([[3, 2, 1]], dtype), np.array([[1, 0, 1]], np.uint8), auprc="trapezoid")
    assert trapezoid.auprc == pytest.approx(0.5 * (0.5 + 2 / 3) / 2, abs=1e-15)  # R 1/2 -> 1 under P 1/2 -> 2/3
