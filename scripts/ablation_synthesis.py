"""Ablation: RPL + EEL trained on copy-paste anomalies vs on harmonised anomalies (same objects, same placements).

On the bundled synthetic sample (CPU, minutes):

1. write the procedural object bank (``comsamy.synthetic.write_object_bank``; no diffusion weights exist here);
2. train the tiny inlier segmenter once (or reuse ``--inlier-checkpoint``), as ``scripts/reproduce_tiny.py`` does;
3. compose two training sets with ``compose_dataset`` from the sample's inliers and that bank, with the same
   seed, so they hold the same inlier images, objects and placements and differ only in the blending:
   ``--mode copy-paste`` and ``--mode harmonized``;
4. train ``rpl_eel`` from the inlier segmenter on each set (labels already carry the anomaly id, no on-the-fly
   pasting), for each of ``--seeds``;
5. score the sample's test set with the EEL score, write prediction archives and evaluate them with
   ``comsamy.evaluation.evaluate_archive`` (what ``comsamy-eval`` runs); write ``DIR/ablation.json``.

    python scripts/ablation_synthesis.py --out runs/ablation
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def _metrics(report: Any) -> dict[str, Any]:
    out = {"whole": {k: report.overall.to_dict()[k] for k in ("auprc", "fpr95")}}
    for name, m in report.by_condition.get("split", {}).items():
        out[name] = {k: m.to_dict()[k] for k in ("auprc", "fpr95")}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--inlier-steps", type=int, default=300)
    p.add_argument("--inlier-checkpoint", default=None, help="reuse a trained inlier segmenter checkpoint")
    p.add_argument("--rpl-steps", type=int, default=150)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--width", type=float, default=0.125)
    p.add_argument("--count", type=int, default=160, help="composed training images per mode")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--modes", nargs="+", default=["copy-paste", "harmonized"], choices=("copy-paste", "harmonized"))
    p.add_argument("--color-strength", type=float, default=None, help="override BlendConfig.color_strength")
    p.add_argument("--light-strength", type=float, default=None, help="override BlendConfig.light_strength")
    p.add_argument("--no-blur-match", action="store_true", help="BlendConfig.match_blur=False")
    p.add_argument("--quick", action="store_true", help="a few steps only (smoke run; numbers meaningless)")
    args = p.parse_args(argv)

    import torch

    from baselines.inference import predict_archive
    from baselines.synthesis.blender import BlendConfig
    from baselines.synthesis.compose import ComposeConfig, compose_dataset
    from baselines.train_config import TrainConfig
    from baselines.training import train
    from comsamy.evaluation import evaluate_archive
    from comsamy.synthetic import write_object_bank

    torch.set_num_threads(args.threads)
    if args.quick:
        args.inlier_steps, args.rpl_steps, args.count = 4, 3, 16
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    bank = write_object_bank(out / "object_bank", count=48, seed=1000, size=96)
    model_cfg = {"width": args.width, "structure": [1, 1, 1, 1, 1, 1]}
    common = {"batch_size": args.batch_size, "device": "cpu", "progress": False, "log_every": 25,
              "threads": args.threads}
    data = {"resize": [240, 135], "crop_size": 128, "scale_range": [0.75, 1.25], "object_bank": None}

    inlier_ckpt = args.inlier_checkpoint
    if inlier_ckpt is None:
        res = train(TrainConfig.from_mapping({
            **common, "seed": 0, "model": "inlier_segmenter", "model_config": model_cfg,
            "out_dir": str(out / "inlier_segmenter"), "steps": args.inlier_steps, "ckpt_every": args.inlier_steps,
            "lr": 2e-3, "optimizer": "adam",
            "data": {**data, "dataset": "sample", "config": "inliers", "split": "train", "seed": 0}}))
        inlier_ckpt = res.checkpoint
        print(f"inlier segmenter: loss {res.first_loss:.3f} -> {res.last_loss:.3f} in {res.seconds:.0f}s", flush=True)

    results: dict[str, dict[str, Any]] = {mode: {} for mode in args.modes}
    overrides = {k: v for k, v in (("color_strength", args.color_strength), ("light_strength", args.light_strength))
                 if v is not None}
    if args.no_blur_match:
        overrides["match_blur"] = False
    blend = BlendConfig(**overrides)
    compose_s: dict[str, float] = {}
    for mode in results:
        t = time.perf_counter()
        compose_dataset("sample", [bank], out / f"set-{mode}",
                        ComposeConfig(count=args.count, seed=0, mode=mode, objects_per_image=(1, 2), blend=blend),
                        workers=args.workers, progress=False)
        compose_s[mode] = round(time.perf_counter() - t, 1)
    for seed in args.seeds:
        for mode in results:
            name = f"rpl_eel-{mode}-s{seed}"
            res = train(TrainConfig.from_mapping({
                **common, "seed": seed, "model": "rpl_eel", "model_config": {**model_cfg, "pretrained": inlier_ckpt},
                "out_dir": str(out / name), "steps": args.rpl_steps, "ckpt_every": args.rpl_steps, "lr": 1e-3,
                "data": {**data, "dataset": str(out / f"set-{mode}"), "config": "default", "split": "train",
                         "seed": seed}}))
            archive = predict_archive(res.checkpoint, out / "archives" / f"{name}.zip", data="sample", config="all",
                                      split="test", score="eel", device="cpu", input_size=(240, 135), method=name,
                                      progress=False)
            report = evaluate_archive(Path(archive.archive), "sample", config="all", split="test", workers=1,
                                      progress=False)
            results[mode][f"seed{seed}"] = _metrics(report)
            w = results[mode][f"seed{seed}"]["whole"]
            print(f"{name:>28}: loss {res.first_loss:.3f} -> {res.last_loss:.3f}  AUPRC {100 * w['auprc']:.2f}  "
                  f"FPR95 {100 * w['fpr95']:.2f}", flush=True)
    mean = {mode: {k: statistics.mean(r["whole"][k] for r in runs.values()) for k in ("auprc", "fpr95")}
            for mode, runs in results.items()}
    for mode, m in mean.items():
        print(f"mean over seeds {args.seeds} {mode:>11}: AUPRC {100 * m['auprc']:.2f}  FPR95 {100 * m['fpr95']:.2f}")
    summary = {"results": results, "mean_whole": mean, "compose_s": compose_s, "blend": blend.to_dict(),
               "settings": {**vars(args), "out": str(out), "inlier_checkpoint": inlier_ckpt},
               "total_s": round(time.perf_counter() - t_start, 1)}
    (out / "ablation.json").write_text(json.dumps(summary, indent=2, default=str))
    print(f"wrote {out / 'ablation.json'} in {summary['total_s']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
