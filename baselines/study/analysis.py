"""From per-image histograms to the study's numbers: validation selection, method rows, paired differences, claims.

Selection reads only validation histograms; test histograms are computed after it, for the selected runs only.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from baselines.study.stats import METRICS, image_resamples, interval_summary, seed_interval

__all__ = ["CLAIMS", "COMPARISONS", "SPLITS", "Row", "assess_claims", "compare", "select", "split_ids", "summarise_row"]

SPLITS = ("whole", "clear", "adverse")
"""Reported splits: every test image, the clear-weather ones and the adverse-weather ones."""


@dataclass(frozen=True)
class Row:
    """One reported method: which run (per seed) and which score.

    Attributes:
        name: Key in ``summary["methods"]``.
        description: One line for tables.
        run: Run key without the seed suffix (``inlier``, ``rpl_eel-harmonized-lam0.25``).
        score: Score the run is read with.
        smoke: True for rows whose numbers only show that the path runs (tiny random diffusion objects).
    """

    name: str
    description: str
    run: str
    score: str
    loss: str | None = None
    composition: str | None = None
    lam: float | None = None
    smoke: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "run": self.run,
            "score": self.score,
            "loss": self.loss,
            "composition": self.composition,
            "lam": self.lam,
            "smoke": self.smoke,
        }


COMPARISONS: tuple[tuple[str, str, str, str], ...] = (
    (
        "synthesis_harmonized_vs_copy_paste",
        "table5_harmonized_energy",
        "table5_copy_paste",
        "Table V step 1: harmonised vs copy-paste training anomalies (RPL energy loss, energy score)",
    ),
    (
        "score_eel_vs_energy_on_energy_loss_weights",
        "table5_eel_score",
        "table5_harmonized_energy",
        "Table V step 2: EEL score vs energy score, same weights (energy loss)",
    ),
    (
        "loss_eel_vs_energy_eel_score",
        "table5_eel_loss",
        "table5_eel_score",
        "Table V step 3: EEL loss vs RPL's energy loss (both EEL score)",
    ),
    (
        "score_eel_vs_energy_on_eel_loss_weights",
        "table5_eel_loss",
        "rpl_eel_energy_score",
        "EEL score vs energy score, same weights (EEL loss)",
    ),
    (
        "loss_eel_vs_energy_each_tuned",
        "rpl_eel_tuned",
        "rpl_energy_tuned",
        "EEL loss vs energy loss, each with its own lambda and score chosen on validation",
    ),
    ("rpl_diffeel_vs_msp", "table5_eel_loss", "msp", "RPL + DiffEEL vs the inlier model's MSP (Table II)"),
    ("rpl_diffeel_vs_energy", "table5_eel_loss", "energy", "RPL + DiffEEL vs the inlier model's energy (Table II)"),
)
"""``(name, A, B, question)``: every reported paired difference A − B."""

CLAIMS: tuple[tuple[str, str], ...] = (
    ("harmonised synthesis beats copy-paste (Table V)", "synthesis_harmonized_vs_copy_paste"),
    (
        "the EEL score beats the energy score on the same weights (Table V)",
        "score_eel_vs_energy_on_energy_loss_weights",
    ),
    ("the EEL loss beats RPL's energy loss (Table V)", "loss_eel_vs_energy_eel_score"),
    ("the EEL loss beats RPL's energy loss, each tuned on validation", "loss_eel_vs_energy_each_tuned"),
    ("RPL + DiffEEL beats MSP (Table II)", "rpl_diffeel_vs_msp"),
    ("RPL + DiffEEL beats energy (Table II)", "rpl_diffeel_vs_energy"),
)
"""The paper's claims the study tests, each with the comparison that tests it."""


def split_ids(rows: Sequence[Any]) -> dict[str, list[str]]:
    """Image ids of each of :data:`SPLITS`, in row order."""
    return {
        "whole": [r.id for r in rows],
        "clear": [r.id for r in rows if r.weather == "clear"],
        "adverse": [r.id for r in rows if r.weather != "clear"],
    }


def _metrics_of(acc: Any, ids: Sequence[str]) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = acc.subset(ids).compute().overall.to_dict()
    return {k: float(m[k]) for k in METRICS}


def select(
    val_accs: Mapping[tuple[str, int], Mapping[str, Any]],
    candidates: Sequence[tuple[str, str]],
    seeds: Sequence[int],
    ids: Sequence[str],
) -> dict[str, Any]:
    """Choose the ``(run, score)`` candidate with the highest seed-mean validation AUPRC (whole split).

    Ties go to the earlier candidate (grids are listed smallest lambda first, energy score first).

    Returns:
        ``{"candidates": [{run, score, auprc, fpr95}], "chosen": {run, score, auprc, fpr95}}``.
    """
    table = []
    for run, score in candidates:
        per_seed = [_metrics_of(val_accs[(run, s)][score], ids) for s in seeds]
        table.append(
            {
                "run": run,
                "score": score,
                "auprc": float(np.mean([m["auprc"] for m in per_seed])),
                "fpr95": float(np.mean([m["fpr95"] for m in per_seed])),
            }
        )
    best = max(range(len(table)), key=lambda i: (table[i]["auprc"], -i))
    return {"candidates": table, "chosen": dict(table[best])}


def _hists(acc: Any, ids: Sequence[str]) -> list[Any]:
    return [acc.image_histogram(i) for i in ids]


def summarise_row(
    per_seed_accs: Sequence[Any], ids: Mapping[str, Sequence[str]], *, n: int, seed: int, level: float
) -> tuple[dict[str, Any], dict[str, dict[str, np.ndarray]]]:
    """Per split and metric: seed mean, per-seed values, seed interval, image interval.

    Returns:
        ``(summary, resamples)``; ``resamples[split][metric]`` are the bootstrap values (kept for the paired
        differences, which reuse the same draws).
    """
    out: dict[str, Any] = {}
    resamples: dict[str, dict[str, np.ndarray]] = {}
    for split in SPLITS:
        per_seed = [_metrics_of(acc, ids[split]) for acc in per_seed_accs]
        res = image_resamples(
            [_hists(acc, ids[split]) for acc in per_seed_accs], n=n, seed=seed, stream=f"split={split}"
        )
        resamples[split] = res
        out[split] = {m: interval_summary([p[m] for p in per_seed], res[m], level=level) for m in METRICS}
    return out, resamples


def compare(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    res_a: Mapping[str, Mapping[str, np.ndarray]],
    res_b: Mapping[str, Mapping[str, np.ndarray]],
    *,
    level: float,
    paired_seeds: bool,
) -> dict[str, Any]:
    """Paired differences A − B per split and metric: mean, per-seed differences, seed and image intervals.

    ``paired_seeds`` is False when A or B has fewer seeds (a smoke row): then only the image interval is given.
    ``a_better_fraction`` is the share of image resamples in which A is better (higher AUPRC, lower FPR95).
    """
    from comsamy.metrics.bootstrap import percentile_interval, two_sided_p_value

    out: dict[str, Any] = {}
    for split in SPLITS:
        out[split] = {}
        for m in METRICS:
            d = np.asarray(res_a[split][m]) - np.asarray(res_b[split][m])
            pa, pb = a[split][m]["per_seed"], b[split][m]["per_seed"]
            per_seed = [x - y for x, y in zip(pa, pb, strict=True)] if paired_seeds else []
            better = d > 0 if m == "auprc" else d < 0
            out[split][m] = {
                "mean_diff": float(a[split][m]["mean"] - b[split][m]["mean"]),
                "per_seed": per_seed,
                "seed_interval": list(seed_interval(per_seed, level=level)) if per_seed else [None, None],
                "image_interval": list(percentile_interval(d, level)),
                "image_p_value": two_sided_p_value(d),
                "a_better_fraction": float(np.mean(better[~np.isnan(d)])) if np.any(~np.isnan(d)) else None,
            }
    return out


def _side(interval: Sequence[float | None], favour_positive: bool) -> int:
    """+1 if the interval lies on the paper's side of 0, -1 on the other side, 0 if it contains 0 or is missing."""
    lo, hi = interval
    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)):
        return 0
    if lo > 0:
        return 1 if favour_positive else -1
    if hi < 0:
        return -1 if favour_positive else 1
    return 0


def assess_claims(comparisons: Mapping[str, Any]) -> list[dict[str, Any]]:
    """For each claim and metric (whole test set): ``supported`` when the seed interval and the image interval
    of the difference both exclude 0 in the paper's direction, ``contradicted`` when both exclude it the other
    way, ``not resolved`` otherwise (with one seed there is no seed interval: the image interval alone decides)."""
    out = []
    for claim, name in CLAIMS:
        comp = comparisons[name]["whole"]
        verdicts = {}
        for m in METRICS:
            favour_positive = m == "auprc"
            sides = [_side(comp[m]["image_interval"], favour_positive)]
            if None not in comp[m]["seed_interval"]:
                sides.append(_side(comp[m]["seed_interval"], favour_positive))
            verdicts[m] = (
                "supported"
                if all(s == 1 for s in sides)
                else "contradicted"
                if all(s == -1 for s in sides)
                else "not resolved"
            )
        out.append({"claim": claim, "comparison": name, **verdicts})
    return out
