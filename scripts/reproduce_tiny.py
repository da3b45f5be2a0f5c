"""Reproduce the DiffEEL comparison on the bundled synthetic sample, on CPU, in minutes.

Pipeline (every step through the package's own library functions, as the commands would run it):

1. write a procedural object bank (``comsamy.synthetic.write_object_bank``);
2. train a tiny DeepLabV3+ / WiderResNet38 inlier segmenter on ``load_dataset("sample", "inliers", "train")``
   (images downscaled to 240x135, 128x128 crops);
3. from it, train RPL's residual block twice on the same data with objects pasted on the fly (Eq. 1): with
   RPL's plain energy loss (``rpl_energy``) and with the EEL loss (``rpl_eel``, RPL + DiffEEL);
4. score the sample's test set (``all`` / ``test``) with MSP, energy and EEL, write prediction archives
   (``baselines.inference.predict_archive``) and evaluate each with ``comsamy.evaluation.evaluate_archive``;
5. write ``DIR/summary.json``: method -> whole / clear / adverse AUPRC and FPR95 (fractions), plus timings.

Usage::

    python scripts/reproduce_tiny.py --out runs/tiny            # about 10 minutes on 2 CPU cores
    python scripts/reproduce_tiny.py --out runs/tiny --quick    # a smoke run (seconds; numbers meaningless)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

METHODS: dict[str, tuple[str, str]] = {
    # method name -> (trained model, score); the first three are the "same model" scores of the inlier net
    "msp": ("inlier_segmenter", "msp"),
    "energy": ("inlier_segmenter", "energy"),
    "eel_score_only": ("inlier_segmenter", "eel"),
    "rpl_energy": ("rpl_energy", "energy"),
    "rpl_energy_eelscore": ("rpl_energy", "eel"),
    "rpl_eel_energyscore": ("rpl_eel", "energy"),
    "rpl_eel": ("rpl_eel", "eel"),
}


def _metrics(report: Any) -> dict[str, Any]:
    def pick(m: Any) -> dict[str, Any]:
        d = m.to_dict()
        return {"auprc": d["auprc"], "fpr95": d["fpr95"]}

    out = {"whole": pick(report.overall)}
    splits = report.by_condition.get("split", {})
    for name in ("clear", "adverse"):
        out[name] = pick(splits[name]) if name in splits else {"auprc": None, "fpr95": None}
    return out


def _evaluate(archive: Path) -> dict[str, Any]:
    try:
        from comsamy.evaluation import evaluate_archive
    except ImportError:  # fall back to the command line tool
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "r.json"
            subprocess.run(["comsamy-eval", str(archive), "--data", "sample", "--out", str(out)], check=True)
            doc = json.loads(out.read_text())
        res = {"whole": {k: doc["overall"][k] for k in ("auprc", "fpr95")}}
        for name in ("clear", "adverse"):
            res[name] = {k: doc["by_condition"]["split"][name][k] for k in ("auprc", "fpr95")}
        return res
    return _metrics(evaluate_archive(archive, "sample", config="all", split="test", workers=1, progress=False))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="output folder (checkpoints, archives, summary.json)")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--inlier-steps", type=int, default=300)
    p.add_argument("--rpl-steps", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--width", type=float, default=0.0625, help="channel multiplier of DeepLabV3+/WRN38")
    p.add_argument("--lam", type=float, default=0.5,
                   help="weight of the anomaly loss for both RPL variants (paper: 0.05, too weak for 300 steps)")
    p.add_argument("--rpl-lr", type=float, default=1e-3, help="residual block lr (its last conv: 10x)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reuse", action="store_true", help="reuse checkpoints in --out that reached their step count")
    p.add_argument("--quick", action="store_true", help="a few steps only (smoke test of the pipeline)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    import torch

    from baselines.inference import predict_archive
    from baselines.train_config import TrainConfig
    from baselines.training import TrainResult, train
    from comsamy.synthetic import write_object_bank

    torch.set_num_threads(args.threads)
    if args.quick:
        args.inlier_steps, args.rpl_steps = 4, 3
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    timings: dict[str, float] = {}

    t = time.perf_counter()
    bank = write_object_bank(out / "object_bank", count=48, seed=args.seed + 1000, size=96)
    timings["object_bank"] = time.perf_counter() - t

    model_cfg = {"width": args.width, "structure": [1, 1, 1, 1, 1, 1]}
    data = {"dataset": "sample", "config": "inliers", "split": "train", "resize": [240, 135], "crop_size": 128,
            "scale_range": [0.75, 1.25], "seed": args.seed}
    common = {"batch_size": args.batch_size, "device": "cpu", "progress": False, "seed": args.seed,
              "log_every": 25, "threads": args.threads}

    def run(cfg: dict[str, Any]) -> Any:
        """Train, or with --reuse return the finished checkpoint already in the output folder."""
        ckpt = Path(cfg["out_dir"]) / "last.pt"
        if args.reuse and ckpt.is_file():
            done = torch.load(ckpt, map_location="cpu", weights_only=True)
            if done["step"] == cfg["steps"] and done["model_config"] == cfg["model_config"]:
                nan = float("nan")
                return TrainResult(checkpoint=str(ckpt), steps=done["step"], first_loss=nan, last_loss=nan, seconds=0.0)
        return train(TrainConfig.from_mapping(cfg))

    t = time.perf_counter()
    inlier = run({
        **common, "model": "inlier_segmenter", "model_config": model_cfg, "out_dir": str(out / "inlier_segmenter"),
        "steps": args.inlier_steps, "ckpt_every": args.inlier_steps, "lr": 2e-3, "optimizer": "adam",
        "data": {**data, "object_bank": None},
    })
    timings["train_inlier_segmenter"] = time.perf_counter() - t
    print(f"inlier segmenter: loss {inlier.first_loss:.3f} -> {inlier.last_loss:.3f} in {inlier.seconds:.0f}s",
          flush=True)

    checkpoints = {"inlier_segmenter": inlier.checkpoint}
    for name in ("rpl_energy", "rpl_eel"):
        t = time.perf_counter()
        res = run({
            **common, "model": name,
            "model_config": {**model_cfg, "pretrained": inlier.checkpoint, "lam": args.lam},
            "out_dir": str(out / name), "steps": args.rpl_steps, "ckpt_every": args.rpl_steps, "lr": args.rpl_lr,
            "data": {**data, "object_bank": str(bank), "paste_prob": 1.0, "max_objects": 2},
        })
        timings[f"train_{name}"] = time.perf_counter() - t
        checkpoints[name] = res.checkpoint
        print(f"{name}: loss {res.first_loss:.3f} -> {res.last_loss:.3f} in {res.seconds:.0f}s", flush=True)

    results: dict[str, Any] = {}
    for method, (model, score) in METHODS.items():
        t = time.perf_counter()
        archive = predict_archive(checkpoints[model], out / "archives" / f"{method}.zip", data="sample",
                                  config="all", split="test", score=score, device="cpu", input_size=(240, 135),
                                  method=method, progress=False)
        results[method] = {"model": model, "score": score, **_evaluate(Path(archive.archive))}
        timings[f"infer_eval_{method}"] = time.perf_counter() - t
        w = results[method]["whole"]
        print(f"{method:>22}: AUPRC {100 * w['auprc']:.2f}  FPR95 {100 * w['fpr95']:.2f}", flush=True)

    eel, ok = results["rpl_eel"]["whole"], True
    for rival in ("msp", "energy", "rpl_energy"):
        r = results[rival]["whole"]
        beats = eel["auprc"] > r["auprc"] and eel["fpr95"] < r["fpr95"]
        ok &= beats if rival != "rpl_energy" else True
        print(f"rpl_eel vs {rival}: {'beats' if beats else 'does NOT beat'} it on both AUPRC and FPR95")
    summary = {
        "methods": results,
        "settings": {**vars(args), "out": str(out), "model_config": model_cfg, "data": data},
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
        "total_s": round(time.perf_counter() - t_start, 1),
        "rpl_eel_beats_msp_and_energy": ok,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"wrote {out / 'summary.json'} in {summary['total_s']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
