"""``comsamy-synth``: generate object banks (diffusion or COCO) and compose synthesized training sets.

    comsamy-synth objects --generator PATH_OR_ID --out BANK --count N --seed S [--batch-size B] [--steps K]
    comsamy-synth bank-from-coco --images DIR --annotations instances_train2017.json --out BANK
    comsamy-synth compose --inliers NAME_OR_PATH --objects BANK [--objects BANK2 ...] --out OUT --count N
                          --seed S [--mode harmonized|copy-paste] [--placement drivable|rpl] [--workers W]

Exit codes: 0 ok, 1 synthesis error, 2 bad usage, 3 invalid input data, 4 data or weights not available,
5 a missing extra, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from comsamy.cli.common import positive_int, run_cli
from comsamy.constants import ANOMALY_TRAIN_ID

PROG = "comsamy-synth"


def build_parser() -> argparse.ArgumentParser:
    """The ``comsamy-synth`` argument parser (sub-commands ``objects``, ``bank-from-coco``, ``compose``)."""
    from baselines.anomaly_paste import PLACEMENTS
    from baselines.synthesis.coco import COCO_EXCLUDED_CLASSES

    p = argparse.ArgumentParser(prog=PROG, description="DiffEEL anomaly data synthesizer.")
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

    b = sub.add_parser("bank-from-coco", help="cut COCO instances into an object bank (RPL / PEBAL's outliers)")
    b.add_argument("--images", required=True, help="folder of the COCO images (e.g. train2017/)")
    b.add_argument("--annotations", required=True, help="COCO instances JSON (e.g. instances_train2017.json)")
    b.add_argument("--out", required=True, help="bank folder (images/, masks/, provenance.jsonl)")
    b.add_argument("--min-area", type=int, default=1000, help="drop instances with fewer mask pixels (default 1000)")
    b.add_argument(
        "--min-image-side",
        type=int,
        default=480,
        help="skip images smaller than this on either side (Meta-OoD / PEBAL: 480)",
    )
    b.add_argument("--keep-truncated", action="store_true", help="keep instances whose mask touches the border")
    b.add_argument(
        "--exclude",
        action="append",
        default=None,
        metavar="CLASS",
        help=f"COCO class whose images are skipped (repeatable; default: {', '.join(COCO_EXCLUDED_CLASSES)})",
    )
    b.add_argument("--limit", type=positive_int, default=None, help="stop after this many objects")
    b.add_argument("--no-progress", action="store_true")

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
    c.add_argument(
        "--placement",
        default="drivable",
        choices=PLACEMENTS,
        help="drivable: ours (drivable ground, perspective size); rpl: RPL's uniform random position",
    )
    c.add_argument(
        "--harmonizer",
        default=None,
        help="state dict of our DoveNet-style U-Net harmonizer (harmonized mode; else Reinhard transfer)",
    )
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
    import torch

    from baselines.distributed import dist_env

    if torch.cuda.is_available():
        return f"cuda:{dist_env().local_rank}"
    return "cpu"


def _objects(a: argparse.Namespace) -> int:
    from baselines.synthesis.extractor import SalientExtractor
    from baselines.synthesis.generator import GenerationConfig, ObjectGenerator
    from baselines.synthesis.objects import generate_bank

    device = a.device or _default_device()
    cfg = GenerationConfig(steps=a.steps, guidance_scale=a.guidance, height=a.size, width=a.size)
    gen = ObjectGenerator.from_pretrained(a.generator, device=device, dtype=a.dtype)
    ext = SalientExtractor.from_weights(a.u2net, device=device)
    s = generate_bank(
        gen,
        ext,
        a.out,
        count=a.count,
        seed=a.seed,
        batch_size=a.batch_size,
        config=cfg,
        max_retries=a.max_retries,
        progress=not a.no_progress,
    )
    sys.stdout.write(json.dumps(s.to_dict()) + "\n")
    return 0 if s.failed == 0 else 1


def _bank_from_coco(a: argparse.Namespace) -> int:
    from baselines.synthesis.coco import COCO_EXCLUDED_CLASSES, build_coco_bank

    s = build_coco_bank(
        a.images,
        a.annotations,
        a.out,
        excluded_classes=tuple(a.exclude or COCO_EXCLUDED_CLASSES),
        min_image_side=a.min_image_side,
        min_area=a.min_area,
        keep_truncated=a.keep_truncated,
        limit=a.limit,
        progress=not a.no_progress,
    )
    sys.stdout.write(json.dumps(s.to_dict()) + "\n")
    return 0


def _compose(a: argparse.Namespace) -> int:
    from baselines.synthesis.blender import BlendConfig
    from baselines.synthesis.compose import ComposeConfig, compose_dataset

    cfg = ComposeConfig(
        count=a.count,
        seed=a.seed,
        mode=a.mode,
        anomaly_id=a.anomaly_id,
        objects_per_image=_range(a.objects_per_image),
        chunk_size=a.chunk_size,
        blend=BlendConfig(edges=a.edges),
        placement_mode=a.placement,
    )
    s = compose_dataset(
        a.inliers,
        a.objects,
        a.out,
        cfg,
        inliers_config=a.inliers_config,
        inliers_split=a.inliers_split,
        workers=a.workers,
        harmonizer=a.harmonizer,
        progress=not a.no_progress,
    )
    sys.stdout.write(json.dumps(s.to_dict()) + "\n")
    return 0


def _run(args: argparse.Namespace) -> int:
    commands = {"objects": _objects, "bank-from-coco": _bank_from_coco, "compose": _compose}
    return commands[args.command](args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    return run_cli(PROG, build_parser(), _run, argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
