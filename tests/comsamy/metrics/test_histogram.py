"""Keys, sparse / dense histograms, results and curves."""

from __future__ import annotations

import json
import math
import pickle
import subprocess
import sys

import numpy as np
import pytest

from comsamy.metrics import (
    AUPRC_DEFINITIONS,
    FPR95_DEFINITIONS,
    PRECISIONS,
    EvaluationResult,
    Histogram,
    MetricResult,
    SparseHistogram,
    compute_metrics,
    image_histogram,
    pr_curve,
    roc_curve,
    sum_histograms,
)
from comsamy.metrics.keys import float16_bits_to_keys, float16_keys_to_values, float32_keys_to_values, float32_to_keys


def test_definition_names() -> None:
    assert FPR95_DEFINITIONS == ("first", "closest", "strict", "interp")
    assert AUPRC_DEFINITIONS == ("step", "trapezoid")
    assert PRECISIONS == ("float16", "float32")


def test_float16_keys_are_monotone_over_every_bit_pattern() -> None:
    bits = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    values = bits.view(np.float16)
    finite = np.isfinite(values)
    keys = float16_bits_to_keys(bits[finite])
    v = values[finite].astype(np.float64)
    order = np.argsort(keys, kind="stable")
    assert np.all(np.diff(v[order]) >= 0)  # key order is value order
    assert len(np.unique(keys)) == finite.sum() - 1  # only -0 and +0 share a key
    assert np.array_equal(float16_keys_to_values(keys), v + 0.0)


def test_float32_keys_are_monotone(rng: np.random.Generator) -> None:
    x = np.concatenate([rng.standard_normal(5000) * 10.0 ** rng.integers(-30, 30, 5000), [0.0, -0.0, 1e-45, -1e-45]])
    x = x.astype(np.float32)
    keys = float32_to_keys(x)
    assert np.all(np.diff(x[np.argsort(keys, kind="stable")].astype(np.float64)) >= 0)
    assert keys[-4] == keys[-3]  # ±0 share a key
    assert np.array_equal(float32_keys_to_values(keys), x.astype(np.float64))


def test_negative_zero_joins_positive_zero() -> None:
    y = np.array([1, 0, 1, 0], np.uint8)
    h = image_histogram(np.array([-0.0, 0.0, 0.0, -0.0], np.float16), y)
    assert len(h.keys) == 1 and h.pos.tolist() == [2] and h.neg.tolist() == [2]
    h32 = image_histogram(np.array([-0.0, 0.0, 0.0, -0.0]), y, precision="float32")
    assert len(h32.keys) == 1 and h32.pos.tolist() == [2]


def test_sparse_histogram_by_hand() -> None:
    s = np.array([[0.5, 0.25, 0.5], [-1.0, 9.0, 3.0]], np.float16)
    y = np.array([[1, 0, 0], [0, 255, 1]], np.uint8)
    h = image_histogram(s, y)
    assert float16_keys_to_values(h.keys).tolist() == [-1.0, 0.25, 0.5, 3.0]  # the void pixel's 9.0 is gone
    assert h.pos.tolist() == [0, 0, 1, 1] and h.neg.tolist() == [1, 1, 1, 0]
    assert (h.num_void, h.num_images, h.kind) == (1, 1, "float16")
    assert (h.num_anomaly_pixels, h.num_inlier_pixels) == (2, 3)


def test_dense_round_trip_and_addition(rng: np.random.Generator) -> None:
    a = image_histogram(rng.random((9, 9)).astype(np.float16), rng.integers(0, 2, (9, 9)).astype(np.uint8))
    b = image_histogram(rng.random((5, 9)).astype(np.float16), rng.integers(0, 2, (5, 9)).astype(np.uint8))
    dense = a.to_dense()
    assert isinstance(dense, Histogram) and dense.pos.shape == (65536,)
    back = dense.to_sparse()
    assert np.array_equal(back.keys, a.keys) and np.array_equal(back.pos, a.pos)
    for total in (
        a + b,
        a.to_dense() + b,
        a + b.to_dense(),
        sum_histograms([a, b]),
        sum_histograms([a, b], dense=False),
    ):
        assert total.num_images == 2 and total.num_anomaly_pixels == a.num_anomaly_pixels + b.num_anomaly_pixels
        assert compute_metrics(total) == compute_metrics(a + b)
    assert isinstance(a + b, SparseHistogram) and isinstance(dense + b, Histogram)


def test_histogram_memory_is_fixed(rng: np.random.Generator) -> None:
    hists = [
        image_histogram(rng.standard_normal((50, 50)).astype(np.float16), rng.integers(0, 2, (50, 50)).astype(np.uint8))
        for _ in range(20)
    ]
    total = sum_histograms(hists)
    assert isinstance(total, Histogram) and total.pos.nbytes + total.neg.nbytes == 2 * 8 * 65536
    assert hists[0].pos.dtype == np.int32  # per-image counts are compact
    assert sum_histograms([]).num_images == 0


def test_histograms_pickle(rng: np.random.Generator) -> None:
    h = image_histogram(rng.random((8, 8)).astype(np.float16), rng.integers(0, 2, (8, 8)).astype(np.uint8))
    h2 = pickle.loads(pickle.dumps(h))
    assert np.array_equal(h.keys, h2.keys) and h2.kind == h.kind and compute_metrics(h2) == compute_metrics(h)


def test_float32_histograms_stay_sparse(rng: np.random.Generator) -> None:
    s = rng.random((6, 6)).astype(np.float32)
    y = rng.integers(0, 2, (6, 6)).astype(np.uint8)
    h = image_histogram(s, y, precision="float32")
    assert h.kind == "float32" and h.keys.dtype == np.uint32 and len(h.keys) == 36
    assert isinstance(h + h, SparseHistogram) and (h + h).num_anomaly_pixels == 2 * h.num_anomaly_pixels
    with pytest.raises(Exception, match="16-bit kind"):
        h.to_dense()


def test_metric_result_to_dict() -> None:
    r = MetricResult(
        auprc=math.nan,
        fpr95=0.25,
        auroc=math.nan,
        num_images=2,
        num_anomaly_pixels=0,
        num_inlier_pixels=5,
        num_void_pixels=1,
    )
    d = r.to_dict()
    assert d == {
        "auprc": None,
        "fpr95": 0.25,
        "auroc": None,
        "tpr_at_5fpr": None,
        "num_images": 2,
        "num_anomaly_pixels": 0,
        "num_inlier_pixels": 5,
        "num_void_pixels": 1,
    }
    json.dumps(d, allow_nan=False)
    e = EvaluationResult(overall=r, by_condition={"weather": {"fog": r}}).to_dict()
    assert e["by_condition"]["weather"]["fog"]["auprc"] is None
    assert e["definitions"] == {"auprc": "step", "fpr95": "first", "precision": "float16", "score_kind": "float"}
    json.dumps(e, allow_nan=False)


def test_curves_match_sklearn_and_downsample(rng: np.random.Generator) -> None:
    from sklearn.metrics import precision_recall_curve
    from sklearn.metrics import roc_curve as sk_roc

    y = rng.integers(0, 2, 5000).astype(np.uint8)
    s = (rng.standard_normal(5000) + y).astype(np.float16)
    h = image_histogram(s, y)
    fpr, tpr, thr = roc_curve(h, max_points=10**6)
    sk_fpr, sk_tpr, sk_thr = sk_roc(y, s.astype(np.float64), drop_intermediate=False)
    assert np.allclose(fpr, sk_fpr, atol=1e-12) and np.allclose(tpr, sk_tpr, atol=1e-12)
    assert np.array_equal(thr[1:], sk_thr[1:]) and thr[0] == np.inf
    precision, recall, pthr = pr_curve(h, max_points=10**6)
    sk_p, sk_r, sk_t = precision_recall_curve(y, s.astype(np.float64))
    assert np.allclose(precision[1:], sk_p[:-1][::-1], atol=1e-12) and np.allclose(recall[1:], sk_r[:-1][::-1])
    assert np.array_equal(pthr[1:], sk_t[::-1]) and (precision[0], recall[0]) == (1.0, 0.0)
    small = roc_curve(h, max_points=50)
    assert len(small[0]) <= 50 and (small[0][0], small[1][0], small[0][-1], small[1][-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(small[0]) >= 0) and np.all(np.diff(small[2][1:]) < 0)
    p_small = pr_curve(h, max_points=40)
    assert len(p_small[0]) <= 40 and p_small[1][-1] == 1.0


def test_curves_need_both_classes() -> None:
    h = image_histogram(np.array([0.1, 0.2]), np.array([0, 0], np.uint8))
    with pytest.raises(Exception, match="expected anomaly and inlier pixels"):
        roc_curve(h)


def test_library_does_not_import_sklearn() -> None:
    code = (
        "import sys, comsamy.metrics; import numpy; sys.exit(int('sklearn' in sys.modules or 'scipy' in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
