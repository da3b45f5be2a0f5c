"""Shared data of the metric tests: the spec's numeric anchors and scikit-learn oracles (imported by the tests)."""

from __future__ import annotations

import numpy as np

# id: (labels, scores, AP, AUROC, FPR95 first, closest, interp, trapezoid AUPRC), from spec/metrics.md
# (T12 / T13: the closest-rule anchors of issue 11; their AP / AUROC / trapezoid are scikit-learn's numbers)
ANCHORS = {
    "T1": ([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1], 1.0, 1.0, 0.0, 0.0, 0.0, 0.5),
    "T2": (
        [0, 0, 0, 0, 0, 1, 1, 0, 1],
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        29 / 36,
        0.888889,
        1 / 6,
        1 / 6,
        1 / 6,
        0.430556,
    ),
    "T3": ([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5], 0.5, 0.5, 1.0, 1.0, 0.95, 0.0),
    "T4": ([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9], 0.416667, 0.0, 1.0, 1.0, 1.0, 0.291667),
    "T5": (
        [1] * 18 + [0, 1] + [0] * 5 + [1] + [0] * 14,
        [i / 40 for i in range(40, 0, -1)],
        0.985962,
        0.9825,
        0.05,
        0.30,
        0.30,
        0.935665,
    ),
    "T6": (
        [1] * 9 + [0] * 3 + [1] + [0] * 7,
        [i / 20 for i in range(20, 0, -1)],
        0.976923,
        0.97,
        0.30,
        0.30,
        0.30,
        0.875962,
    ),
    "T7": ([1, 0] * 20, [i / 20 for i in range(20, 0, -1) for _ in (0, 1)], 0.5, 0.5, 0.95, 0.95, 0.95, 0.475),
    "T9": (
        [[0, 0, 1, 255], [0, 1, 1, 255], [255, 0, 0, 1]],
        [[0.1, 0.4, 0.8, 0.99], [0.3, 0.7, 0.35, 0.0], [0.95, 0.2, 0.6, 0.9]],
        0.916667,
        0.9,
        0.4,
        0.4,
        0.4,
        0.658333,
    ),
    # 20 positives, the only negative, one positive; scores 22, 21, ..., 1: TPR 20/21 twice, lowest threshold wins
    "T12": ([1] * 20 + [0, 1], list(range(22, 0, -1)), 0.997835, 0.952381, 0.0, 1.0, 0.0, 0.950165),
    # 47 positives, one positive tied with the only negative, 2 positives: TPR 0.94 and 0.96 equally near 0.95
    "T13": (
        [1] * 47 + [1, 0, 1, 1],
        [*list(range(100, 53, -1)), 10, 10, 5, 4],
        0.998800,
        0.95,
        1.0,
        1.0,
        0.5,
        0.978996,
    ),
}

# T10: three images with conditions (void dropped inside each image)
T10_IMAGES = {
    "fog_0": ([0, 0, 1, 1, 0, 255], [0.2, 0.6, 0.7, 0.5, 0.1, 0.9], "fog"),
    "fog_1": ([0, 1, 0, 0, 0, 0], [0.3, 0.8, 0.85, 0.1, 0.2, 0.4], "fog"),
    "night_0": ([1, 1, 0, 0, 255, 0], [0.55, 0.45, 0.5, 0.3, 0.99, 0.6], "night"),
}

T11 = ([1, 0, 1, 0, 0, 1], [0.50001, 0.50002, 0.7, 0.69995, 0.1, 0.2])


def sk_metrics(y: np.ndarray, s: np.ndarray) -> dict[str, float]:
    """Every metric written out with scikit-learn on already-ranked (e.g. float16-cast) non-void pixels."""
    from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    y = np.asarray(y).ravel()
    s = np.asarray(s, dtype=np.float64).ravel()
    fpr_full, tpr_full, _ = roc_curve(y, s, drop_intermediate=False)
    fpr_drop, tpr_drop, _ = roc_curve(y, s)  # the ood-metrics and RbA call (thinned curve)
    precision, recall, _ = precision_recall_curve(y, s)
    return {
        "auprc": average_precision_score(y, s),
        "auroc": roc_auc_score(y, s),
        "fpr95": fpr_full[np.argmax(tpr_full >= 0.95)],
        "closest": hendrycks_fpr_at_recall(y, s),
        "strict": float(fpr_drop[np.flatnonzero(tpr_drop > 0.95)[0]]),
        "interp": float(np.interp(0.95, tpr_drop, fpr_drop)),
        "tpr_at_5fpr": float(tpr_full[fpr_full <= 0.05].max()),
        # without scikit-learn's appended (R=0, P=1) point; a single point has no area
        "trapezoid": auc(recall[:-1], precision[:-1]) if len(recall) > 2 else 0.0,
    }


def hendrycks_fpr_at_recall(y: np.ndarray, s: np.ndarray, recall_level: float = 0.95) -> float:
    """Hendrycks' ``fpr_and_fdr_at_recall`` (the RPL / PEBAL code), written out step by step from its definition.

    Thresholds from high to low; the curve is cut at the first threshold with every positive found, walked from
    there back to the highest threshold, and the first point of that walk nearest the recall level wins.
    """
    order = np.argsort(s, kind="mergesort")[::-1]
    s_sorted, y_sorted = s[order], y[order]
    ends = np.r_[np.flatnonzero(np.diff(s_sorted)), y_sorted.size - 1]  # last index of each distinct score
    tps = np.cumsum(y_sorted)[ends]
    fps = 1 + ends - tps
    recall = tps / tps[-1]
    last = int(np.searchsorted(tps, tps[-1]))
    walk = slice(last, None, -1)
    recall_walk, fps_walk = np.r_[recall[walk], 1], np.r_[fps[walk], 0]
    cutoff = int(np.argmin(np.abs(recall_walk - recall_level)))
    return float(fps_walk[cutoff] / np.sum(y == 0))
