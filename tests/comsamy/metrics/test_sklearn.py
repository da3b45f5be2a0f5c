"""Random fuzz against scikit-learn on float16 (and float32) data: ties, negatives, ±0, tiny and large images."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comsamy.metrics import MetricAccumulator, UndefinedMetricWarning, anomaly_metrics
from tests.comsamy.metrics.oracles import sk_metrics

TOL = 1e-12
# A pool with heavy ties, both zeros, negatives, subnormals and the float16 extremes.
POOL = np.array(
    [
        -65504.0,
        -3.5,
        -1.0,
        -1e-7,
        -0.0,
        0.0,
        1e-7,
        6e-8,
        0.1,
        0.25,
        0.5,
        0.50001,
        0.50002,
        0.7,
        1.0,
        2.0,
        300.0,
        65504.0,
    ],
    dtype=np.float64,
)


def _check_all_definitions(y: np.ndarray, s: np.ndarray, ranked: np.ndarray, precision: str = "float16") -> None:
    keep = y != 255
    want = sk_metrics(y[keep], ranked[keep])
    got = {
        "default": anomaly_metrics(s, y, precision=precision),  # type: ignore[arg-type]
        "closest": anomaly_metrics(s, y, precision=precision, fpr95="closest"),  # type: ignore[arg-type]
        "interp": anomaly_metrics(s, y, precision=precision, fpr95="interp"),  # type: ignore[arg-type]
        "strict": anomaly_metrics(s, y, precision=precision, fpr95="strict"),  # type: ignore[arg-type]
        "trapezoid": anomaly_metrics(s, y, precision=precision, auprc="trapezoid"),  # type: ignore[arg-type]
    }
    assert got["default"].auprc == pytest.approx(want["auprc"], abs=TOL)
    assert got["default"].auroc == pytest.approx(want["auroc"], abs=TOL)
    assert got["default"].fpr95 == pytest.approx(want["fpr95"], abs=TOL)
    assert got["closest"].fpr95 == pytest.approx(want["closest"], abs=TOL)
    assert got["interp"].fpr95 == pytest.approx(want["interp"], abs=TOL)
    assert got["strict"].fpr95 == pytest.approx(want["strict"], abs=TOL)
    assert got["default"].tpr_at_5fpr == pytest.approx(want["tpr_at_5fpr"], abs=TOL)
    assert got["trapezoid"].auprc == pytest.approx(want["trapezoid"], abs=TOL)


@st.composite
def tied_images(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 60))
    idx = draw(st.lists(st.integers(0, len(POOL) - 1), min_size=n, max_size=n))
    labels = draw(st.lists(st.sampled_from([0, 0, 1, 255]), min_size=n, max_size=n))
    y = np.array(labels, np.uint8)
    if not ((y == 0).any() and (y == 1).any()):
        y[:2] = (0, 1)
    return y, POOL[idx]


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(tied_images())
def test_fuzz_float16_pool_matches_sklearn(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = data
    _check_all_definitions(y, s, s.astype(np.float16).astype(np.float64))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 400),
    st.integers(0, 2**32 - 1),
    st.sampled_from([1e-3, 1.0, 1e3]),
    st.sampled_from([np.float16, np.float32, np.float64]),
)
def test_fuzz_random_scales_and_dtypes(n: int, seed: int, scale: float, dtype: type) -> None:
    rng = np.random.default_rng(seed)
    y = rng.choice(np.array([0, 1, 255], np.uint8), size=n, p=[0.6, 0.3, 0.1])
    y[:2] = (0, 1)
    s = (rng.standard_normal(n) * scale + (y == 1) * scale * rng.random()).astype(dtype)
    _check_all_definitions(y, s, s.astype(np.float16).astype(np.float64))


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 400), st.integers(0, 2**32 - 1))
def test_fuzz_float32_precision_is_exact(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.choice(np.array([0, 1, 255], np.uint8), size=n, p=[0.6, 0.3, 0.1])
    y[:2] = (0, 1)
    s = rng.standard_normal(n)
    s[rng.random(n) < 0.2] = 0.5  # ties
    s[rng.random(n) < 0.05] = -0.0
    _check_all_definitions(y, s, s.astype(np.float32).astype(np.float64), precision="float32")


@pytest.mark.parametrize("shape", [(1, 1), (1, 3), (3, 1), (7, 5), (480, 640)])
def test_image_sizes(shape: tuple[int, int], rng: np.random.Generator) -> None:
    y = rng.choice(np.array([0, 1, 255], np.uint8), size=shape, p=[0.5, 0.4, 0.1])
    y.flat[0], y.flat[-1] = 1, 0
    s = (rng.random(shape) + 0.3 * y).astype(np.float16)
    if y.size < 2:  # a 1×1 image cannot hold both classes: alone it is undefined, pooled with another it is not
        with pytest.warns(UndefinedMetricWarning):
            assert np.isnan(anomaly_metrics(s, y).auroc)
        y2, s2 = np.array([[1]], np.uint8), np.array([[0.2]], np.float16)
        result = anomaly_metrics([s, s2], [y, y2])
        assert result.num_images == 2
        assert result.auroc == (1.0 if s[0, 0] < s2[0, 0] else 0.0)
        return
    _check_all_definitions(y, s, s.astype(np.float64))


def test_pooled_list_of_images_matches_concatenation(rng: np.random.Generator) -> None:
    ys = [rng.choice(np.array([0, 1, 255], np.uint8), size=(h, 9)) for h in (3, 11, 5)]
    ss = [(rng.standard_normal(y.shape) * 4).astype(np.float16) for y in ys]
    y_all = np.concatenate([y.ravel() for y in ys])
    s_all = np.concatenate([s.ravel() for s in ss]).astype(np.float64)
    keep = y_all != 255
    want = sk_metrics(y_all[keep], s_all[keep])
    got = anomaly_metrics(ss, ys)
    assert (got.auprc, got.auroc, got.fpr95) == pytest.approx((want["auprc"], want["auroc"], want["fpr95"]), abs=TOL)


def test_float64_cast_to_float16_changes_ranking_like_sklearn_on_cast(rng: np.random.Generator) -> None:
    y = rng.integers(0, 2, 2000).astype(np.uint8)
    s = 0.5 + rng.random(2000) * 1e-3 + y * 1e-4  # many values collide at float16
    got = anomaly_metrics(s, y)
    assert got.auroc == pytest.approx(sk_metrics(y, s.astype(np.float16))["auroc"], abs=TOL)
    assert got.auroc != pytest.approx(sk_metrics(y, s)["auroc"], abs=1e-3)


@pytest.mark.parametrize("labels", [[0, 0, 255], [1, 1, 255], [255, 255, 255], []])
def test_undefined_is_nan_with_warning(labels: list[int]) -> None:
    y = np.array(labels, np.uint8)
    s = np.linspace(0, 1, len(labels))
    with pytest.warns(UndefinedMetricWarning, match="undefined"):
        result = anomaly_metrics(s, y)
    assert np.isnan(result.auprc) and np.isnan(result.fpr95) and np.isnan(result.auroc)
    assert result.to_dict()["auprc"] is None and not result.defined


def test_empty_condition_warning_names_it() -> None:
    acc = MetricAccumulator()
    acc.update("a", np.array([[0.9, 0.1]]), np.array([[1, 0]], np.uint8), {"weather": "fog"})
    acc.update("b", np.array([[0.9, 0.1]]), np.array([[0, 0]], np.uint8), {"weather": "rain"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = acc.compute()
    named = {str(w.message).split("'")[1] for w in caught if issubclass(w.category, UndefinedMetricWarning)}
    assert named == {"weather=rain"}  # only the undefined condition (fog makes split=adverse defined), named
    assert np.isnan(result.condition("weather", "rain").auprc)
    assert result.condition("weather", "rain").to_dict()["fpr95"] is None
    assert result.condition("weather", "fog").auprc == 1.0
    assert result.overall.auprc == pytest.approx(0.5)  # defined: a tie at 0.9
