"""Validation selection, paired differences and the claims verdicts on hand-made accumulators."""

from __future__ import annotations

import numpy as np

from baselines.study.analysis import CLAIMS, assess_claims, compare, select, summarise_row
from comsamy.metrics import MetricAccumulator


def _acc(separation: float, seed: int, n: int = 10) -> MetricAccumulator:
    rng = np.random.default_rng(seed)
    acc = MetricAccumulator()
    for i in range(n):
        labels = (rng.random((8, 8)) < 0.25).astype(np.uint8)
        labels[0, 0], labels[0, 1] = 1, 0
        scores = (rng.random((8, 8)) + separation * labels).astype(np.float16)
        acc.update(f"img{i}", scores, labels, {"weather": "clear" if i % 2 else "fog"})
    return acc


IDS = [f"img{i}" for i in range(10)]
SPLIT_IDS = {"whole": IDS, "clear": IDS[1::2], "adverse": IDS[::2]}


def test_select_takes_the_best_validation_auprc_and_ties_go_first() -> None:
    val = {("lam0.1", s): {"energy": _acc(0.2, s), "eel": _acc(0.9, s)} for s in (0, 1)}
    val.update({("lam1", s): {"energy": _acc(0.5, s), "eel": _acc(0.9, s)} for s in (0, 1)})
    out = select(val, [("lam0.1", "energy"), ("lam0.1", "eel"), ("lam1", "energy"), ("lam1", "eel")], (0, 1), IDS)
    assert len(out["candidates"]) == 4
    assert out["chosen"]["run"] == "lam0.1" and out["chosen"]["score"] == "eel"  # tie with lam1/eel: first wins
    only_energy = select(val, [("lam0.1", "energy"), ("lam1", "energy")], (0, 1), IDS)
    assert only_energy["chosen"]["run"] == "lam1"


def test_paired_differences_of_a_method_with_itself_are_zero_and_a_better_method_wins() -> None:
    good = [_acc(0.9, s) for s in (0, 1, 2)]
    bad = [_acc(0.1, s + 10) for s in (0, 1, 2)]
    sg, rg = summarise_row(good, SPLIT_IDS, n=60, seed=0, level=0.95)
    sb, rb = summarise_row(bad, SPLIT_IDS, n=60, seed=0, level=0.95)
    self_diff = compare(sg, sg, rg, rg, level=0.95, paired_seeds=True)
    assert self_diff["whole"]["auprc"]["image_interval"] == [0.0, 0.0]
    assert self_diff["whole"]["auprc"]["per_seed"] == [0.0, 0.0, 0.0]
    d = compare(sg, sb, rg, rb, level=0.95, paired_seeds=True)
    assert d["whole"]["auprc"]["mean_diff"] > 0 and d["whole"]["auprc"]["image_interval"][0] > 0
    assert d["whole"]["auprc"]["a_better_fraction"] == 1.0
    assert d["whole"]["fpr95"]["a_better_fraction"] > 0.9


def _comparison(auprc: tuple[float, float], fpr95: tuple[float, float], seeds: bool = True) -> dict:
    def one(iv: tuple[float, float]) -> dict:
        return {
            "image_interval": list(iv),
            "seed_interval": list(iv) if seeds else [None, None],
            "per_seed": [sum(iv) / 2] * (3 if seeds else 1),
        }

    return {"whole": {"auprc": one(auprc), "fpr95": one(fpr95)}}


def test_claims_need_both_intervals_on_one_side_of_zero() -> None:
    comps = {name: _comparison((0.01, 0.05), (-0.05, -0.01)) for _, name in CLAIMS}
    comps["loss_eel_vs_energy_eel_score"] = _comparison((-0.05, -0.01), (0.01, 0.03))  # against the paper
    comps["rpl_diffeel_vs_msp"] = _comparison((-0.01, 0.05), (-0.05, -0.01), seeds=False)
    out = {c["comparison"]: c for c in assess_claims(comps)}
    assert out["synthesis_harmonized_vs_copy_paste"]["auprc"] == "supported"
    assert out["synthesis_harmonized_vs_copy_paste"]["fpr95"] == "supported"  # lower FPR95 is better
    assert out["loss_eel_vs_energy_eel_score"]["auprc"] == "contradicted"
    assert out["loss_eel_vs_energy_eel_score"]["fpr95"] == "contradicted"
    assert out["rpl_diffeel_vs_msp"]["auprc"] == "not resolved"
    assert out["rpl_diffeel_vs_msp"]["fpr95"] == "supported"  # one seed: the image interval decides
