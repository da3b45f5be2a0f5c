"""Figures of one evaluation (``comsamy-eval --plots DIR``): PR and ROC curves, per-weather bars, robustness.

Every figure is written as a PNG together with the CSV of the numbers drawn in it, so a figure can be redrawn or
checked without the archive. matplotlib is imported only here and only when a figure is drawn (the ``plots``
extra).

- ``pr_curves.png`` / ``roc_curves.png``: one panel per condition group (split, weather, landform), one line per
  condition plus the whole dataset (dashed), from the pooled histograms (exact curves, downsampled for drawing).
- ``weather_bars.png``: AUPRC and FPR95 per weather, with the bootstrap intervals (``--bootstrap``) as error bars
  when the report has them.
- ``robustness.png``: AUPRC and FPR95 against severity, one line per weather; only for data with a ``severity``
  column (weather × severity data).
"""

from __future__ import annotations

import csv
import logging
import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from comsamy.constants import WEATHERS
from comsamy.errors import UsageError

__all__ = ["CURVE_GROUPS", "write_plots"]

log = logging.getLogger(__name__)

CURVE_GROUPS = ("split", "weather", "landform")
"""Condition groups drawn as panels of the PR and ROC figures."""
_MAX_POINTS = 400
_DPI = 110


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(["" if isinstance(v, float) and math.isnan(v) else v for v in row] for row in rows)
    return path


def _pct(value: Any) -> float:
    return math.nan if value is None else 100.0 * float(value)


def _curve_sets(report: Any) -> list[tuple[str, list[tuple[str, Any]]]]:
    """``[(group, [(condition, pooled histogram), ...]), ...]`` for the drawn groups, ``all`` first in each."""
    from comsamy.evaluation.component_pass import condition_members

    members = condition_members(report.accumulator)
    overall = report.histogram()
    out = []
    for group in CURVE_GROUPS:
        values = list(report.by_condition.get(group, {}))
        if values:
            out.append((group, [("all", overall)] + [(v, report.histogram(members[(group, v)])) for v in values]))
    if not out:
        out.append(("all", [("all", overall)]))
    return out


def _defined(hist: Any) -> bool:
    return hist.num_anomaly_pixels > 0 and hist.num_inlier_pixels > 0


def _plot_curves(sets: list[tuple[str, list[tuple[str, Any]]]], out_dir: Path, kind: str) -> list[Path]:
    from comsamy.metrics import compute_metrics, pr_curve, roc_curve
    from comsamy.metrics.ranking import UndefinedMetricWarning

    plt = _pyplot()
    fig, axes = plt.subplots(1, len(sets), figsize=(5.2 * len(sets), 4.6), squeeze=False)
    rows: list[list[Any]] = []
    for ax, (group, conditions) in zip(axes[0], sets, strict=True):
        colours = plt.get_cmap("tab10")
        for k, (name, hist) in enumerate(conditions):
            if not _defined(hist):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UndefinedMetricWarning)
                m = compute_metrics(hist)
            style = (
                {"color": "black", "linestyle": "--", "linewidth": 1.6}
                if name == "all"
                else {"color": colours((k - 1) % 10), "linewidth": 1.3}
            )
            if kind == "pr":
                y, x, thr = pr_curve(hist, max_points=_MAX_POINTS)
                label = f"{name} (AUPRC {100 * m.auprc:.1f})"
            else:
                x, y, thr = roc_curve(hist, max_points=_MAX_POINTS)
                label = f"{name} (FPR95 {100 * m.fpr95:.1f})"
            ax.plot(x, y, label=label, **style)
            rows += [[group, name, float(a), float(b), float(t)] for a, b, t in zip(x, y, thr, strict=True)]
        if kind == "pr":
            ax.set(xlabel="recall", ylabel="precision", title=f"precision-recall by {group}")
        else:
            ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8, linestyle=":")
            ax.axhline(0.95, color="grey", linewidth=0.8, linestyle=":")
            ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title=f"ROC by {group}")
        ax.set(xlim=(0, 1), ylim=(0, 1.02))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left" if kind == "pr" else "lower right")
    fig.tight_layout()
    png = out_dir / f"{kind}_curves.png"
    fig.savefig(png, dpi=_DPI)
    plt.close(fig)
    header = (
        ["group", "condition", "recall", "precision", "threshold"]
        if kind == "pr"
        else ["group", "condition", "fpr", "tpr", "threshold"]
    )
    return [png, _write_csv(out_dir / f"{kind}_curves.csv", header, rows)]


def _interval(metrics: dict[str, Any], name: str) -> tuple[float, float]:
    ci = (metrics.get("ci") or {}).get(name)
    if not ci or ci[0] is None or ci[1] is None:
        return math.nan, math.nan
    return _pct(ci[0]), _pct(ci[1])


def _plot_weather_bars(doc: dict[str, Any], out_dir: Path) -> list[Path]:
    weather = doc["by_condition"].get("weather", {})
    names = [w for w in WEATHERS if w in weather] + sorted(w for w in weather if w not in WEATHERS)
    if not names:
        return []
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    rows = []
    for w in names:
        m = weather[w]
        rows.append(
            [w, _pct(m["auprc"]), *_interval(m, "auprc"), _pct(m["fpr95"]), *_interval(m, "fpr95"), m["num_images"]]
        )
    has_ci = any(not math.isnan(r[2]) for r in rows)
    for ax, (col, title) in zip(axes, ((1, "AUPRC (higher is better)"), (4, "FPR95 (lower is better)")), strict=True):
        values = [r[col] for r in rows]
        lower = [max(0.0, r[col] - r[col + 1]) if not math.isnan(r[col + 1]) else 0.0 for r in rows]
        upper = [max(0.0, r[col + 2] - r[col]) if not math.isnan(r[col + 2]) else 0.0 for r in rows]
        colour = "tab:blue" if col == 1 else "tab:red"
        bars = ax.bar(
            names,
            [0.0 if math.isnan(v) else v for v in values],
            color=colour,
            alpha=0.8,
            yerr=[lower, upper] if has_ci else None,
            capsize=4 if has_ci else 0,
        )
        for bar, v, up in zip(bars, values, upper, strict=True):  # the value sits above its error bar
            ax.annotate(
                "n/a" if math.isnan(v) else f"{v:.1f}",
                (bar.get_x() + bar.get_width() / 2, bar.get_height() + (up if has_ci else 0.0)),
                ha="center",
                va="bottom",
                fontsize=8,
                xytext=(0, 3),
                textcoords="offset points",
            )
        overall = _pct(doc["overall"]["auprc" if col == 1 else "fpr95"])
        if not math.isnan(overall):
            ax.axhline(overall, color="black", linestyle="--", linewidth=1, label=f"all images: {overall:.1f}")
            ax.legend(fontsize=8, loc="upper right")
        ax.set(title=title + (", bootstrap intervals" if has_ci else ""), ylabel="percent", ylim=(0, 108))
        ax.tick_params(axis="x", labelrotation=30)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    png = out_dir / "weather_bars.png"
    fig.savefig(png, dpi=_DPI)
    plt.close(fig)
    header = ["weather", "auprc", "auprc_lo", "auprc_hi", "fpr95", "fpr95_lo", "fpr95_hi", "num_images"]
    return [png, _write_csv(out_dir / "weather_bars.csv", header, rows)]


def _severity(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def robustness_table(report: Any) -> list[list[Any]]:
    """``[weather, severity, auprc, fpr95, num_images]`` per (weather, severity) of images with a ``severity``."""
    from comsamy.metrics import compute_metrics
    from comsamy.metrics.conditions import conditions_of
    from comsamy.metrics.ranking import UndefinedMetricWarning

    acc = report.accumulator
    cells: dict[tuple[str, float], list[str]] = {}
    for image_id in acc.image_ids:
        meta = acc.metadata(image_id)
        severity = _severity(meta.get("severity"))
        weathers = [v for g, v in conditions_of(image_id, meta) if g == "weather"]
        if severity is not None and weathers:
            cells.setdefault((weathers[0], severity), []).append(image_id)
    rows = []
    order = {w: k for k, w in enumerate(WEATHERS)}
    for (weather, severity), ids in sorted(cells.items(), key=lambda c: (order.get(c[0][0], 99), c[0])):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            m = compute_metrics(acc.histogram(ids))
        rows.append([weather, severity, _pct(m.auprc), _pct(m.fpr95), len(ids)])
    return rows


def _plot_robustness(report: Any, out_dir: Path) -> list[Path]:
    rows = robustness_table(report)
    if len({(r[0], r[1]) for r in rows}) < 2:
        return []
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    weathers = list(dict.fromkeys(r[0] for r in rows))
    colours = plt.get_cmap("tab10")
    for ax, (col, title) in zip(axes, ((2, "AUPRC vs severity"), (3, "FPR95 vs severity")), strict=True):
        for k, w in enumerate(weathers):
            mine = [r for r in rows if r[0] == w]
            ax.plot([r[1] for r in mine], [r[col] for r in mine], marker="o", label=w, color=colours(k % 10))
        ax.set(title=title, xlabel="severity", ylabel="percent", ylim=(0, 105))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    png = out_dir / "robustness.png"
    fig.savefig(png, dpi=_DPI)
    plt.close(fig)
    return [png, _write_csv(out_dir / "robustness.csv", ["weather", "severity", "auprc", "fpr95", "num_images"], rows)]


def write_plots(report: Any, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Draw every figure of an :class:`~comsamy.evaluation.EvaluationReport` into ``out_dir`` (PNG + CSV each).

    Args:
        report: the evaluation report (its accumulator keeps the per-image histograms the curves are pooled from).
        out_dir: folder to write into (created if missing).

    Returns:
        The paths written, PNG then CSV for each figure.

    Raises:
        UsageError: ``out_dir`` cannot be created or written.
        ImportError: matplotlib is missing (the CLI turns it into a MissingDependencyError: the ``plots`` extra).
    """
    import matplotlib  # noqa: F401  (fail before any file is written when the extra is missing)

    path = Path(out_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".comsamy-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"--plots {path}: expected a writable folder, got {exc.strerror or exc}") from exc
    doc = report.to_dict()
    sets = _curve_sets(report)  # pooled once for both figures
    written = _plot_curves(sets, path, "pr") + _plot_curves(sets, path, "roc")
    written += _plot_weather_bars(doc, path)
    written += _plot_robustness(report, path)
    log.info("wrote %d plot files to %s", len(written), path)
    return written
