"""``comsamy-infer``: score a benchmark split or an image folder with any model and write a prediction archive.

Examples::

    comsamy-infer runs/rpl_eel/last.pt preds.zip --data sample --score eel          # a comsamy-train checkpoint
    comsamy-infer --model nvidia/segformer-b0-finetuned-cityscapes-1024-1024 --score msp --data sample preds.zip
    comsamy-infer --model rpl_release.pth --score eel --images photos/ maps/         # released RPL weights, any images
    comsamy-eval preds.zip --data sample

``--model`` (or the first positional argument) is a ``comsamy-train`` checkpoint, released RPL / DeepLabV3+
weights (``.pth``), a ``save_pretrained`` baseline folder, or any ``transformers`` semantic-segmentation model
(Hub id or folder) scored zero-shot. An interrupted run continues when started again with the same arguments.

Exit codes: 0 written; 2 bad arguments, model or resume settings; 3 invalid maps; 4 data not available.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from comsamy.cli.common import positive_int, run_cli, size_argument
from comsamy.errors import UsageError

PROG = "comsamy-infer"
SCORES = ("msp", "maxlogit", "max_logit", "entropy", "energy", "eel")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.split("\n\n")[0].split(": ", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="MODEL OUT, or OUT alone with --model; OUT is a .zip archive or a folder of score maps",
    )
    p.add_argument(
        "--model",
        default=None,
        help="checkpoint / weights file, save_pretrained folder, or transformers Hub id / folder",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--data", default=None, help="dataset for comsamy.load_dataset (default: sample)")
    source.add_argument("--images", default=None, help="a folder of images to score instead of a dataset")
    p.add_argument("--config", default="all", help="dataset config (default: all)")
    p.add_argument("--split", default="test", help="split (default: test)")
    p.add_argument("--score", default="eel", choices=SCORES, help="anomaly score (default: eel)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:i (default: auto)")
    p.add_argument(
        "--dtype",
        default="float32",
        choices=["float32", "float16", "bfloat16"],
        help="model parameter dtype (default: float32); scores are computed in float32",
    )
    p.add_argument("--batch-size", type=positive_int, default=1, help="images per forward pass (default: 1)")
    p.add_argument(
        "--input-size",
        type=size_argument,
        default=None,
        help="resize images to WIDTHxHEIGHT before the model (maps are resized back)",
    )
    blur = p.add_mutually_exclusive_group()
    blur.add_argument("--blur", dest="blur", action="store_true", default=None, help="7x7 Gaussian blur (sigma 1)")
    blur.add_argument("--no-blur", dest="blur", action="store_false", help="no blur")
    p.add_argument("--method", default=None, help="method name written to manifest.json")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _run(args: argparse.Namespace) -> int:
    from baselines.inference import predict_archive

    if len(args.paths) > 2:
        raise UsageError(f"expected [MODEL] OUT, got {len(args.paths)} paths: {args.paths}")
    if len(args.paths) == 2 and args.model is not None:
        raise UsageError(
            f"expected the model either as --model or as the first path, got both ({args.model!r} and "
            f"{args.paths[0]!r})"
        )
    if len(args.paths) == 1 and args.model is None:
        raise UsageError(f"expected a model (--model or a first path) and an output, got only {args.paths[0]!r}")
    model = args.model if args.model is not None else args.paths[0]
    result = predict_archive(
        model,
        args.paths[-1],
        data=args.data if args.data is not None else "sample",
        config=args.config,
        split=args.split,
        images=args.images,
        score=args.score,
        device=args.device,
        dtype=args.dtype,
        batch_size=args.batch_size,
        input_size=args.input_size,
        blur=args.blur,
        method=args.method,
        progress=not args.quiet,
    )
    print(
        json.dumps(
            {
                "archive": result.archive,
                "num_images": result.num_images,
                "resumed": result.resumed,
                "seconds": round(result.seconds, 2),
            }
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(PROG, build_parser(), _run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
