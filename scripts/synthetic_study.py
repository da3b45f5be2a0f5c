"""The synthetic study of the paper's claims: seeds, intervals, a validation split, unseen anomaly kinds.

Trains the tiny inlier segmenter and RPL's residual block (energy loss and EEL loss, harmonised and copy-paste
training anomalies, a lambda grid per loss) on procedural scenes whose training objects come from the ``train``
object split, chooses lambda and the score per method on validation images with ``val``-split anomalies, then
measures the selected runs on test images with ``test``-split anomalies (kinds, hues and textures never seen in
training). Writes ``OUT/summary.json`` and ``OUT/results.md`` (see docs/baselines.md, "Synthetic study").

    python scripts/synthetic_study.py --out runs/study --quick    # 3 seeds, small images (CI-sized)
    python scripts/synthetic_study.py --out runs/study            # the full protocol, 5 seeds
    python scripts/synthetic_study.py --out runs/smoke --smoke    # 1 seed, a handful of steps (pipeline check)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from comsamy.cli.common import positive_int, run_cli

PROG = "synthetic_study"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="output folder (data, runs, summary.json, results.md)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="the quick protocol (3 seeds, smaller images)")
    size.add_argument("--smoke", action="store_true", help="1 seed, a handful of steps: structure only")
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="override the preset's training seeds")
    p.add_argument("--threads", type=positive_int, default=None, help="torch threads (default: the preset's, 1)")
    p.add_argument("--no-diffusion", action="store_true", help="skip the tiny-diffusion smoke row")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="reuse checkpoints in --out whose whole training config (hash) matches this run's",
    )
    return p


def _run(args: argparse.Namespace) -> int:
    from baselines.study.config import PRESETS
    from baselines.study.protocol import run_study
    from baselines.study.report import results_markdown

    config = PRESETS["quick" if args.quick else "smoke" if args.smoke else "full"]
    changes: dict[str, object] = {}
    if args.seeds is not None:
        changes["seeds"] = tuple(args.seeds)
    if args.threads is not None:
        changes["threads"] = args.threads
    if args.no_diffusion:
        changes["diffusion_row"] = False
    if changes:
        config = config.replace(**changes)
    summary = run_study(config, args.out, reuse=args.reuse, say=lambda line: print(line, flush=True))
    text = results_markdown(summary)
    (args.out / "results.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {args.out / 'summary.json'} in {summary['run_info']['total_s']:.0f}s")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_cli(PROG, build_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
