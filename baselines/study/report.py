"""Markdown tables of a study summary (what the README's results section shows), in percent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["results_markdown"]


def _pct(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None or x != x else f"{100 * x:.{digits}f}"


def _interval(iv: Sequence[float | None]) -> str:
    lo, hi = iv
    return "" if lo is None or hi is None else f"[{_pct(lo)}, {_pct(hi)}]"


def _cell(stat: Mapping[str, Any]) -> str:
    return f"{_pct(stat['mean'])} {_interval(stat['seed_interval'])}".strip()


def _diff_cell(stat: Mapping[str, Any]) -> str:
    seed, image = _interval(stat["seed_interval"]), _interval(stat["image_interval"])
    return f"{100 * stat['mean_diff']:+.1f} seeds {seed or 'n/a'} images {image or 'n/a'}"


def results_markdown(summary: Mapping[str, Any]) -> str:
    """The method table (test split, seed means with 95 % seed intervals, image intervals of the whole set), the
    paired differences and the claims, as Markdown."""
    p = summary["protocol"]
    lines = [
        f"Protocol `{p['name']}`: {len(p['seeds'])} seeds, {summary['data']['num_images']['test']} test images "
        f"({summary['data']['num_images']['test_clear']} clear), {p['image_size'][0]}x{p['image_size'][1]}; "
        f"percent; `mean [95 % interval over seeds]`, image interval = percentile bootstrap over test images "
        f"({p['bootstrap']} resamples) of the seed mean.",
        "",
        "| method | λ | score | whole AUPRC ↑ | whole FPR95 ↓ | AUPRC image interval | FPR95 image interval "
        "| clear AUPRC | clear FPR95 | adverse AUPRC | adverse FPR95 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in summary["methods"].items():
        t = m["test"]
        lam = "" if m["lam"] is None else f"{m['lam']:g}"
        label = f"`{name}`" + (" (smoke, 1 seed)" if m["smoke"] else "")
        lines.append(
            f"| {label} | {lam} | {m['score']} | {_cell(t['whole']['auprc'])} | {_cell(t['whole']['fpr95'])} "
            f"| {_interval(t['whole']['auprc']['image_interval'])} "
            f"| {_interval(t['whole']['fpr95']['image_interval'])} "
            f"| {_cell(t['clear']['auprc'])} | {_cell(t['clear']['fpr95'])} "
            f"| {_cell(t['adverse']['auprc'])} | {_cell(t['adverse']['fpr95'])} |"
        )
    lines += ["", "| paired difference A − B (whole test set) | Δ AUPRC (points) | Δ FPR95 (points) |", "|---|---|---|"]
    for c in summary["comparisons"].values():
        w = c["whole"]
        lines.append(
            f"| {c['question']} (`{c['a']}` − `{c['b']}`) | {_diff_cell(w['auprc'])} | {_diff_cell(w['fpr95'])} |"
        )
    lines += ["", "| claim of the paper | AUPRC | FPR95 |", "|---|---|---|"]
    for claim in summary["claims"]:
        lines.append(f"| {claim['claim']} | {claim['auprc']} | {claim['fpr95']} |")
    return "\n".join(lines) + "\n"
