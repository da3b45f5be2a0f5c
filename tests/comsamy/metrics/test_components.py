"""Component-level metrics (SMIYC): hand-worked masks, a slow oracle from the definition, invariants."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest

from comsamy.errors import MetricInputError, UsageError
from comsamy.metrics import components, image_histogram, sum_histograms
from comsamy.metrics.components import (
    LABELLERS,
    SIOU_THRESHOLDS,
    ComponentStats,
    best_f1_threshold,
    binarize,
    binarize_bits,
    check_threshold,
    component_result,
    component_stats,
)

V = 255  # void


@pytest.fixture(params=LABELLERS, autouse=True)
def each_labeller(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with OpenCV's labelling (when cv2 is installed) and with scipy's."""
    pytest.importorskip("cv2" if request.param == "opencv" else "scipy")
    monkeypatch.setattr(components, "_labeller", [request.param])
    return request.param


def _stats(pred: np.ndarray, lab: np.ndarray, min_pred: int = 1, min_gt: int = 1) -> ComponentStats:
    return component_stats(pred.astype(bool), lab.astype(np.uint8), min_pred_size=min_pred, min_gt_size=min_gt)


def _result(*stats: ComponentStats):
    return component_result(stats, threshold=0.5)


# --- hand-built masks, answers worked out on paper -------------------------------------------------------------
def test_perfect_blob() -> None:
    # GT: one 3x3 blob; prediction: the same 9 pixels. sIoU = 9 / 9 = 1, PPV = 9 / 9 = 1.
    # Every τ: TP 1, FN 0, FP 0 -> F1 1, mean F1 1.
    lab = np.zeros((8, 8), np.uint8)
    lab[2:5, 2:5] = 1
    s = _stats(lab == 1, lab)
    assert (s.num_gt, s.num_pred, s.siou, s.ppv) == (1, 1, (1.0,), (1.0,))
    r = _result(s)
    assert (r.siou, r.ppv, r.mean_f1) == (1.0, 1.0, 1.0)


def test_half_covered_blob() -> None:
    # GT: 2x4 = 8 pixels; prediction: its left 2x2 = 4 pixels. sIoU = 4 / |8 ∪ 4| = 4 / 8 = 0.5; PPV = 4 / 4 = 1.
    # τ = 0.25 .. 0.50 (6 values): TP 1 -> F1 1. τ = 0.55 .. 0.75 (5 values): TP 0, FN 1, FP 0 -> F1 0.
    # mean F1 = 6 / 11.
    lab = np.zeros((6, 8), np.uint8)
    lab[2:4, 2:6] = 1
    pred = np.zeros_like(lab, bool)
    pred[2:4, 2:4] = True
    s = _stats(pred, lab)
    assert s.siou == (0.5,) and s.ppv == (1.0,)
    r = _result(s)
    assert r.f1 == (1.0,) * 6 + (0.0,) * 5
    assert r.mean_f1 == pytest.approx(6 / 11, abs=1e-15)


def test_false_blob() -> None:
    # No GT anomaly; a 2x2 prediction on inliers. No GT component (sIoU undefined), one prediction with PPV 0.
    # Every τ: TP 0, FN 0, FP 1 -> F1 0; mean F1 0.
    lab = np.zeros((6, 6), np.uint8)
    pred = np.zeros_like(lab, bool)
    pred[1:3, 1:3] = True
    s = _stats(pred, lab)
    assert (s.num_gt, s.num_pred, s.ppv) == (0, 1, (0.0,))
    r = _result(s)
    assert math.isnan(r.siou) and r.ppv == 0.0 and r.mean_f1 == 0.0
    assert r.to_dict()["siou"] is None


def test_two_gt_blobs_under_one_prediction() -> None:
    # Row 2: GT A = cols 1-3, inlier col 4, GT B = cols 5-7; prediction = cols 1-7 (7 pixels, one component).
    # sIoU(A): |A ∩ K̂| = 3, |A ∪ K̂| = 7, A(k) = B's 3 pixels inside K̂ -> 3 / (7 - 3) = 0.75; the same for B.
    # PPV = 6 / 7. τ <= 0.75 everywhere: TP 2, FN 0; PPV 0.857 >= τ: FP 0 -> F1 1 at every τ.
    lab = np.zeros((5, 9), np.uint8)
    lab[2, 1:4] = 1
    lab[2, 5:8] = 1
    pred = np.zeros_like(lab, bool)
    pred[2, 1:8] = True
    s = _stats(pred, lab)
    assert s.siou == (0.75, 0.75) and s.ppv == (6 / 7,)
    r = _result(s)
    assert (r.siou, r.mean_f1, r.num_gt_components, r.num_pred_components) == (0.75, 1.0, 2, 1)


def test_blob_split_by_void() -> None:
    # Row 2, cols 1-7 is one anomaly blob but col 4 is void: two GT components of 3 pixels. The prediction covers
    # cols 1-7; inside the non-void region it is two components (the void column separates them, 8-connectivity
    # has nothing diagonal to join). Each: sIoU 3 / 3 = 1, PPV 3 / 3 = 1; mean F1 1.
    lab = np.zeros((5, 9), np.uint8)
    lab[2, 1:8] = 1
    lab[2, 4] = V
    pred = np.zeros_like(lab, bool)
    pred[2, 1:8] = True
    s = _stats(pred, lab)
    assert (s.num_gt, s.num_pred, s.siou, s.ppv) == (2, 2, (1.0, 1.0), (1.0, 1.0))


def test_diagonal_pixels_are_one_component() -> None:
    # Two GT pixels touching only at a corner are one 8-connected component of 2; prediction = the first pixel:
    # sIoU = 1 / 2, PPV = 1.
    lab = np.zeros((4, 4), np.uint8)
    lab[1, 1] = lab[2, 2] = 1
    pred = np.zeros_like(lab, bool)
    pred[1, 1] = True
    s = _stats(pred, lab)
    assert (s.num_gt, s.siou, s.ppv) == (1, (0.5,), (1.0,))


def test_size_filters() -> None:
    # GT: a 2-pixel blob (row 1) and a 6-pixel blob (rows 4-5, cols 1-3). min_gt 3 turns the small one void.
    # Prediction: exactly the small blob (2 px) plus a 4-pixel square half on the big blob (rows 3-4, cols 1-2).
    # min_pred 3: the 2-pixel prediction is dropped anyway; the square (4 px) stays: on the big blob it has
    # rows 4 cols 1-2 = 2 pixels -> PPV 2/4; sIoU(big) = 2 / (6 + 4 - 2) = 0.25.
    lab = np.zeros((7, 6), np.uint8)
    lab[1, 1:3] = 1
    lab[4:6, 1:4] = 1
    pred = np.zeros_like(lab, bool)
    pred[1, 1:3] = True
    pred[3:5, 1:3] = True
    s = _stats(pred, lab, min_pred=3, min_gt=3)
    assert (s.num_gt, s.num_pred, s.siou, s.ppv) == (1, 1, (0.25,), (0.5,))
    # a prediction that lies only on a voided small GT blob leaves the region entirely (SMIYC: ROI restriction)
    pred2 = np.zeros_like(lab, bool)
    pred2[1, 1:3] = True
    s2 = _stats(pred2, lab, min_pred=1, min_gt=3)
    assert (s2.num_gt, s2.num_pred, s2.siou) == (1, 0, (0.0,))
    # a prediction of 4 pixels under min_pred 5 is dropped: the big blob is missed (sIoU 0), no FP
    s3 = _stats(pred & (np.arange(7)[:, None] >= 3), lab, min_pred=5, min_gt=3)
    assert (s3.num_pred, s3.siou) == (0, (0.0,))


def test_prediction_in_void_is_ignored_and_sizes_count_non_void_pixels() -> None:
    # A 4-pixel prediction with 2 pixels in void has 2 non-void pixels: dropped at min_pred 3, kept at min_pred 2.
    lab = np.zeros((4, 6), np.uint8)
    lab[:, 3:] = V
    pred = np.zeros_like(lab, bool)
    pred[1, 1:5] = True
    assert _stats(pred, lab, min_pred=3).num_pred == 0
    assert _stats(pred, lab, min_pred=2).ppv == (0.0,)


# --- the slow oracle: the definition written out with sets of pixels and a BFS ---------------------------------
def _components(mask: np.ndarray) -> list[set[tuple[int, int]]]:
    h, w = mask.shape
    seen = np.zeros_like(mask, bool)
    out = []
    for y in range(h):
        for x in range(w):
            if mask[y, x] and not seen[y, x]:
                comp, queue = set(), deque([(y, x)])
                seen[y, x] = True
                while queue:
                    cy, cx = queue.popleft()
                    comp.add((cy, cx))
                    for dy in (-1, 0, 1):
                        for dx in (-1, 0, 1):
                            ny, nx = cy + dy, cx + dx
                            if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                                seen[ny, nx] = True
                                queue.append((ny, nx))
                out.append(comp)
    return out


def _oracle(pred: np.ndarray, lab: np.ndarray, min_pred: int, min_gt: int) -> tuple[list[float], list[float]]:
    gts = _components(lab == 1)
    kept_gt = [k for k in gts if len(k) >= min_gt]
    voided = set().union(*[k for k in gts if len(k) < min_gt]) if gts else set()
    preds = [p for p in _components(pred & (lab != V)) if len(p) >= min_pred]
    preds = [p - voided for p in preds]
    preds = [p for p in preds if p]
    all_gt = set().union(*kept_gt) if kept_gt else set()
    siou = []
    for k in kept_gt:
        k_hat = set().union(*[p for p in preds if p & k]) if any(p & k for p in preds) else set()
        adjustment = k_hat & (all_gt - k)
        siou.append(len(k & k_hat) / len((k | k_hat) - adjustment))
    ppv = [len(p & all_gt) / len(p) for p in preds]
    return siou, ppv


@pytest.mark.parametrize("seed", range(40))
def test_matches_oracle_on_random_masks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = rng.integers(1, 16, size=2)
    lab = rng.choice(np.array([0, 1, V], np.uint8), size=(h, w), p=[0.55, 0.35, 0.10])
    pred = rng.random((h, w)) < rng.uniform(0.1, 0.6)
    min_pred, min_gt = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    got = component_stats(pred, lab, min_pred_size=min_pred, min_gt_size=min_gt)
    siou, ppv = _oracle(pred, lab, min_pred, min_gt)
    assert sorted(got.siou) == pytest.approx(sorted(siou), abs=1e-12)
    assert sorted(got.ppv) == pytest.approx(sorted(ppv), abs=1e-12)
    assert (got.num_gt, got.num_pred) == (len(siou), len(ppv))


# --- invariants ------------------------------------------------------------------------------------------------
def _random_image(rng: np.random.Generator, h: int = 24, w: int = 24) -> tuple[np.ndarray, np.ndarray]:
    lab = np.zeros((h, w), np.uint8)
    pred = np.zeros((h, w), bool)
    for _ in range(3):
        y, x, dy, dx = rng.integers(0, h - 4), rng.integers(0, w - 4), rng.integers(1, 6), rng.integers(1, 6)
        lab[y : y + dy, x : x + dx] = 1
        oy, ox = rng.integers(-2, 3, size=2)
        pred[max(0, y + oy) : y + oy + dy, max(0, x + ox) : x + ox + dx] = True
    return pred, lab


def test_void_changes_nothing_outside_and_scores_in_void_do_not_count() -> None:
    rng = np.random.default_rng(7)
    pred, lab = _random_image(rng)
    big = np.zeros((40, 40), np.uint8)
    big[:24, :24] = lab
    big[30:, 30:] = V  # void far from every component
    big_pred = np.zeros((40, 40), bool)
    big_pred[:24, :24] = pred
    base = _stats(big_pred, big)
    noisy = big_pred.copy()
    noisy[30:, 30:] = rng.random((10, 10)) < 0.5  # predictions inside void
    assert _stats(noisy, big) == base == _stats(pred, lab)


def test_order_of_images_is_irrelevant() -> None:
    rng = np.random.default_rng(3)
    stats = [_stats(*_random_image(rng)) for _ in range(12)]
    a = component_result(stats, threshold=0.5)
    b = component_result(stats[::-1], threshold=0.5)
    c = component_result([stats[i] for i in rng.permutation(12)], threshold=0.5)
    assert a == b == c
    assert a.num_gt_components == sum(s.num_gt for s in stats) > 0


def test_f1_is_pooled_counts_not_mean_of_images() -> None:
    # image 1: perfect (TP 1); image 2: one false blob (FP 1) -> F1 = 2 / (2 + 0 + 1) = 2/3 at every τ
    perfect = ComponentStats(1, 1, (1.0,), (1.0,))
    false = ComponentStats(0, 1, (), (0.0,))
    r = component_result([perfect, false], threshold=0.5)
    assert r.mean_f1 == pytest.approx(2 / 3) and r.ppv == 0.5 and r.siou == 1.0
    assert math.isnan(component_result([], threshold=0.5).mean_f1)


# --- thresholds ------------------------------------------------------------------------------------------------
def test_best_f1_threshold_matches_brute_force() -> None:
    from sklearn.metrics import precision_recall_curve

    rng = np.random.default_rng(11)
    hists, ys, ss = [], [], []
    for _ in range(3):
        s = rng.normal(size=(20, 30)).astype(np.float16)
        y = (rng.random((20, 30)) < 0.2).astype(np.uint8)
        s[y == 1] += np.float16(1.0)
        hists.append(image_histogram(s, y))
        ys.append(y.ravel())
        ss.append(s.ravel().astype(np.float64))
    prec, rec, thr = precision_recall_curve(np.concatenate(ys), np.concatenate(ss))
    with np.errstate(invalid="ignore"):
        f1 = 2 * prec * rec / (prec + rec)
    expected = float(thr[int(np.nanargmax(f1[:-1]))])  # SMIYC: nanargmax over ascending thresholds
    assert best_f1_threshold(sum_histograms(hists)) == expected


def test_binarize_is_exact_at_the_threshold() -> None:
    s = np.array([[-1.0, -0.0, 0.0, 0.0999, 0.1, 0.5, 65504.0]], np.float16)
    for t in (-1.0, -0.5, 0.0, 0.1, float(np.float16(0.1)), 0.5, 1e-9, 65504.0):
        expected = s.astype(np.float64) >= t
        assert binarize(s, t).tolist() == expected.tolist(), t
        assert binarize_bits(s.view(np.uint16).astype(">u2"), t).tolist() == expected.tolist(), t
    ints = np.array([[0, 3, 4, 255]], np.uint8)
    assert binarize(ints, 3.5).tolist() == [[False, False, True, True]]
    f32 = np.array([[0.1, np.nextafter(np.float32(0.1), np.float32(1))]], np.float32)
    assert binarize(f32, 0.1).tolist() == (f32.astype(np.float64) >= 0.1).tolist()


def test_bad_inputs() -> None:
    lab = np.zeros((3, 3), np.uint8)
    with pytest.raises(MetricInputError, match=r"image 'x': expected a 2-D prediction of the label's shape"):
        component_stats(np.zeros((3, 4), bool), lab, image_id="x")
    with pytest.raises(UsageError, match="min_pred_size: expected a non-negative integer, got -1"):
        component_stats(lab == 1, lab, min_pred_size=-1)
    with pytest.raises(UsageError, match="expected 'best-f1' or a number, got 'best'"):
        check_threshold("best")
    with pytest.raises(UsageError, match="expected a finite number"):
        check_threshold("nan")
    assert check_threshold("best-f1") is None and check_threshold("0.25") == 0.25
    assert SIOU_THRESHOLDS[0] == 0.25 and SIOU_THRESHOLDS[-1] == 0.75 and len(SIOU_THRESHOLDS) == 11
