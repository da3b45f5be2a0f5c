"""What may be shown about one submission, to anyone (its owner included): the leak-safe view of its results.

A score archive is chosen by the submitter, so anything computed from it at the submitter's own thresholds can
read the hidden labels back (a tile-coded archive turns a PR curve into per-tile anomaly counts). What is
published is therefore a small fixed set of numbers per condition:

- ``auprc``, ``fpr95``, ``auroc`` (and ``tpr_at_5fpr`` when the scorer reports it), rounded to
  :data:`METRIC_DECIMALS` decimals, plus the condition's number of images;
- only for conditions with at least ``min_images`` images (setting ``min_condition_images``, default 5);
- no pixel counts of the hidden data (anomaly / inlier / void), no per-image anything;
- curves only at the scorer's fixed levels: precision at :data:`RECALL_LEVELS` and TPR at :data:`FPR_LEVELS`,
  rounded to :data:`CURVE_DECIMALS` decimals, whatever the number of distinct scores in the archive.

The stored results document keeps everything the scorer returned (the operator's copy); every page reads
through :func:`public_results` and :func:`public_curves`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "CURVE_DECIMALS",
    "CURVE_GROUPS",
    "FPR_LEVELS",
    "METRIC_DECIMALS",
    "PUBLIC_METRICS",
    "RECALL_LEVELS",
    "public_curves",
    "public_results",
    "restrict",
    "sample_curves",
]

PUBLIC_METRICS = ("auprc", "fpr95", "auroc", "tpr_at_5fpr")
"""Per-condition metrics that may be published (each one number per condition)."""
METRIC_DECIMALS = 4
"""Fractions are published to 0.01 percentage point: the table's two decimals in percent."""
CURVE_DECIMALS = 3
RECALL_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
"""Recall levels at which precision is published (interpolated: the best precision at that recall or above)."""
FPR_LEVELS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7)
"""FPR levels at which the TPR is published (the best TPR at that FPR or below)."""
PUBLIC_VIEW = "public"
"""The ``view`` key of :func:`public_results` documents (stored with each result as ``public_json``)."""
CURVE_GROUPS = {"overall": None, "clear": ("split", "clear"), "adverse": ("split", "adverse")}
"""Curve key -> condition of the pooled histogram it is sampled from (None: every image)."""


_ABSENT = object()


def _round(value: Any, decimals: int) -> float | None:
    if type(value) is float:  # the common case, fast
        return round(value, decimals) if value == value else None
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, decimals) if number == number else None


def _public_condition(metrics: Mapping[str, Any] | None, min_images: int) -> dict[str, Any] | None:
    if not isinstance(metrics, Mapping):
        return None
    images = metrics.get("num_images")
    if not isinstance(images, int) or images < min_images:
        return None
    out: dict[str, Any] = {"num_images": images}
    for key in PUBLIC_METRICS:
        value = metrics.get(key, _ABSENT)
        if value is not _ABSENT:
            out[key] = _round(value, METRIC_DECIMALS)
    return out


def public_results(results: Mapping[str, Any], *, min_images: int) -> dict[str, Any]:
    """The publishable part of a results document (``comsamy-eval`` JSON): same shape, fewer numbers.

    Args:
        results: the scorer's document (``overall``, ``by_condition``, ``dataset``, ``settings``, ``version``).
        min_images: conditions with fewer images are left out (the whole set too).

    Returns:
        ``{"overall": {...} | None, "by_condition": {group: {value: {...}}}, "dataset": {...}, "settings": {...},
        "version": str}`` with only :data:`PUBLIC_METRICS` and ``num_images`` per condition.

    >>> doc = {"overall": {"auprc": 0.123456, "num_images": 9, "num_anomaly_pixels": 77},
    ...        "by_condition": {"weather": {"fog": {"auprc": 0.5, "num_images": 1}}}}
    >>> pub = public_results(doc, min_images=5)
    >>> pub["overall"], pub["by_condition"]
    ({'num_images': 9, 'auprc': 0.1235}, {})
    """
    by_condition: dict[str, dict[str, Any]] = {}
    for group, values in (results.get("by_condition") or {}).items():
        kept = {str(v): m for v, raw in (values or {}).items() if (m := _public_condition(raw, min_images))}
        if kept:
            by_condition[str(group)] = kept
    dataset = results.get("dataset") or {}
    settings = results.get("settings") or {}
    return {
        "view": PUBLIC_VIEW,
        "overall": _public_condition(results.get("overall"), min_images),
        "by_condition": by_condition,
        "dataset": {k: dataset[k] for k in ("name", "revision", "config", "split", "num_images") if k in dataset},
        "settings": {k: settings[k] for k in ("precision", "fpr95", "auprc") if k in settings},
        "version": str(results.get("version") or ""),
    }


def restrict(public: Mapping[str, Any], *, min_images: int) -> dict[str, Any]:
    """A stored public view (``view == "public"``) with the conditions under ``min_images`` taken out (fast: no
    rounding again); any other document goes through :func:`public_results`."""
    if public.get("view") != PUBLIC_VIEW:
        return public_results(public, min_images=min_images)

    def kept(m: Any) -> bool:
        return isinstance(m, Mapping) and isinstance(m.get("num_images"), int) and m["num_images"] >= min_images

    by_condition = {}
    for group, values in (public.get("by_condition") or {}).items():
        shown = {v: m for v, m in values.items() if kept(m)}
        if shown:
            by_condition[group] = shown
    overall = public.get("overall")
    return {**public, "overall": overall if kept(overall) else None, "by_condition": by_condition}


def sample_curves(hist: Any) -> dict[str, list[float]]:
    """Precision at :data:`RECALL_LEVELS` and TPR at :data:`FPR_LEVELS` of one pooled histogram.

    The full curves come from :func:`comsamy.metrics.pr_curve` / :func:`comsamy.metrics.roc_curve`; only their
    values at the fixed levels are kept, so the output has the same length for any archive.

    Raises:
        MetricInputError: the histogram has no anomaly or no inlier pixel.
    """
    import numpy as np

    from comsamy.metrics import pr_curve, roc_curve

    big = 1 << 30  # every point: no downsampling before sampling
    precision, recall, _ = pr_curve(hist, max_points=big)
    fpr, tpr, _ = roc_curve(hist, max_points=big)
    prec_at = [float(np.max(precision[recall >= r], initial=0.0)) for r in RECALL_LEVELS]
    tpr_at = [float(np.max(tpr[fpr <= f], initial=0.0)) for f in FPR_LEVELS]
    return {
        "recall": list(RECALL_LEVELS),
        "precision": [round(v, CURVE_DECIMALS) for v in prec_at],
        "fpr": list(FPR_LEVELS),
        "tpr": [round(v, CURVE_DECIMALS) for v in tpr_at],
    }


def _valid_curve(curve: Any) -> bool:
    if not isinstance(curve, Mapping):
        return False
    if list(curve.get("recall") or []) != list(RECALL_LEVELS) or list(curve.get("fpr") or []) != list(FPR_LEVELS):
        return False
    ys = [*(curve.get("precision") or []), *(curve.get("tpr") or [])]
    return len(ys) == len(RECALL_LEVELS) + len(FPR_LEVELS) and all(isinstance(v, int | float) for v in ys)


def public_curves(
    curves: Mapping[str, Any] | None, results: Mapping[str, Any], *, min_images: int
) -> dict[str, dict[str, list[float]]]:
    """The stored curves that may be shown: fixed levels only, for conditions that are themselves published.

    Curves in any other form (an old worker's points at the submitter's thresholds) are dropped.
    """
    pub = public_results(results, min_images=min_images)
    out: dict[str, dict[str, list[float]]] = {}
    for key, condition in CURVE_GROUPS.items():
        curve = (curves or {}).get(key)
        shown = pub["overall"] if condition is None else pub["by_condition"].get(condition[0], {}).get(condition[1])
        if shown and _valid_curve(curve):
            out[key] = {
                "recall": list(RECALL_LEVELS),
                "fpr": list(FPR_LEVELS),
                "precision": [_round(v, CURVE_DECIMALS) or 0.0 for v in curve["precision"]],
                "tpr": [_round(v, CURVE_DECIMALS) or 0.0 for v in curve["tpr"]],
            }
    return out
