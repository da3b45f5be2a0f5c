"""``comsamy-synth``: generate object banks and compose synthesized training sets.

    comsamy-synth objects --generator PATH_OR_ID --out BANK --count N --seed S [--batch-size B] [--steps K]
    comsamy-synth compose --inliers NAME_OR_PATH --objects BANK [--objects BANK2 ...] --out OUT --count N
                          --seed S [--mode harmonized|copy-paste] [--anomaly-id 254] [--workers W]

Exit codes: 0 ok, 1 synthesis error, 2 bad usage, 3 invalid input data, 4 data or weights not available.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from comsamy.constants import ANOMALY_TRAIN_ID
from comsamy.errors import ComsamyError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="comsamy-synth", description="DiffEEL anomaly data synthesizer.")
    sub = p.add_subparsers(dest="command", required=True)

    o = sub.add_parser("objects", help="generate an object bank with a Stable Diffusion pipeline")
    o.add_argument("--generator", required=True, help="diffusers Stable Diffusion folder or Hub id")
    o.add_argument("--out", required=True, help="bank folder (images/, masks/, provenance.jsonl)")
    o.add_argument("--count", type=int, required=True)
    o.add_argument("--seed", type=int, default=0)
    o.add_argument("--batch-size", type=int, default=4)
    o.add_argument("--steps", type=int, default=25)
    o.add_argument("--guidance", type=float, default=7.5)
    o.add_argument("--size", type=int, default=512, help="generated image side (multiple of 8)")
    o.add_argument("--device", default=None, help="torch device (default: cuda:LOCAL_RANK if available, else cpu)")
    o.add_argument("--dtype", default=None, choices=("float16", "bfloat16", "float32"))
    o.add_argument("--u2net", default=None, help="U2-Net state dict (else cross-attention + GrabCut)")
    o.add_argument("--max-retries", type=int, default=2)
    o.add_argument("--no-progress", action="store_true")

    c = sub.add_parser("compose", help="paste bank objects into inlier images (Eq. 1)")
    c.add_argument("--inliers", required=True, help="what comsamy.load_dataset takes, e.g. 'sample' or a folder")
    c.add_argument("--inliers-config", default="inliers")
    c.add_argument("--inliers-split", default="train")
    c.add_argument("--objects", action="append", required=True, help="object bank folder (repeatable)")
    c.add_argument("--out", required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--mode", default="harmonized", choices=("harmonized", "copy-paste"))
    c.add_argument("--anomaly-id", type=int, default=ANOMALY_TRAIN_ID, help="254 (default) or the paper's 20")
    c.add_argument("--objects-per-image", default="1", help="N or MIN-MAX")
    c.add_argument("--edges", default="feather", choices=("feather", "poisson", "hard"))
    c.add_argument("--dovenet", default=None, help="DoveNet-style state dict (harmonized mode)")
    c.add_argument("--workers", type=int, default=1)
    c.add_argument("--chunk-size", type=int, default=16)
    c.add_argument("--no-progress", action="store_true")
    return p


def _range(text: str) -> tuple[int, int]:
    from comsamy.errors import UsageError

    try:
        parts = [int(x) for x in text.split("-")]
    except ValueError as exc:
        raise UsageError(f"--objects-per-image: expected N or MIN-MAX, got {text!r}") from exc
    if len(parts) == 1:
        return parts[0], parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise UsageError(f"--objects-per-image: expected N or MIN-MAX, got {text!r}")


def _default_device() -> str:
    import os

    import torch

    if torch.cuda.is_available():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return "cpu"


def _objects(a: argparse.Namespace) -> int:
    from baselines.synthesis.extractor import SalientExtractor
    from baselines.synthesis.generator import GenerationConfig, ObjectGenerator
    from baselines.synthesis.objects import generate_bank

    device = a.device or _default_device()
    cfg = GenerationConfig(steps=a.steps, guidance_scale=a.guidance, height=a.size, width=a.size)
    gen = ObjectGenerator.from_pretrained(a.generator, device=device, dtype=a.dtype)
    ext = SalientExtractor.from_weights(a.u2net, device=device)
    s = generate_bank(gen, ext, a.out, count=a.count, seed=a.seed, batch_size=a.batch_size, config=cfg,
                      max_retries=a.max_retries, progress=not a.no_progress)
    sys.stdout.write(json.dumps(s.to_dict()) + "\n")
    return 0 if s.failed == 0 else 1


def _compose(a: argparse.Namespace) -> int:
    from baselines.synthesis.blender import BlendConfig
    from baselines.synthesis.compose import ComposeConfig, compose_dataset

    cfg = ComposeConfig(count=a.count, seed=a.seed, mode=a.mode, anomaly_id=a.anomaly_id,
                        objects_per_image=_range(a.objects_per_image), chunk_size=a.chunk_size,
                        blend=BlendConfig(edges=a.edges))
    s = compose_dataset(a.inliers, a.objects, a.out, cfg, inliers_config=a.inliers_config,
                        inliers_split=a.inliers_split, workers=a.workers, dovenet=a.dovenet,
                        progress=not a.no_progress)
    sys.stdout.write(json.dumps(s.to_dict()) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        return _objects(args) if args.command == "objects" else _compose(args)
    except ComsamyError as exc:
        sys.stderr.write(f"comsamy-synth: error: {exc.report()}\n")
        return exc.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
