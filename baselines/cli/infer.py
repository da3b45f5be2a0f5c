"""``comsamy-infer``: score a benchmark split with a trained checkpoint and write a prediction archive.

Example::

    comsamy-infer runs/rpl_eel/last.pt preds.zip --data sample --config all --split test --score eel
    comsamy-eval preds.zip --data sample

Exit codes: 0 written; 2 bad arguments or checkpoint; 4 data not available.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from comsamy.cli.common import size_argument
from comsamy.errors import ComsamyError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="comsamy-infer", description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", help="checkpoint written by comsamy-train (last.pt)")
    p.add_argument("out", help="archive to write: a folder, or a path ending with .zip")
    p.add_argument("--data", default="sample", help="dataset for comsamy.load_dataset (default: sample)")
    p.add_argument("--config", default="all", help="dataset config (default: all)")
    p.add_argument("--split", default="test", help="split (default: test)")
    p.add_argument("--score", default="eel", choices=["msp", "max_logit", "entropy", "energy", "eel"])
    p.add_argument("--device", default="auto", help="auto, cpu or cuda[:i]")
    p.add_argument("--input-size", type=size_argument, default=None, help="resize images to WIDTHxHEIGHT before the model")
    blur = p.add_mutually_exclusive_group()
    blur.add_argument("--blur", dest="blur", action="store_true", default=None, help="7x7 Gaussian blur (sigma 1)")
    blur.add_argument("--no-blur", dest="blur", action="store_false", help="no blur")
    p.add_argument("--method", default=None, help="method name written to manifest.json")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        from baselines.inference import predict_archive

        result = predict_archive(
            args.checkpoint,
            args.out,
            data=args.data,
            config=args.config,
            split=args.split,
            score=args.score,
            device=args.device,
            input_size=args.input_size,
            blur=args.blur,
            method=args.method,
            progress=not args.quiet,
        )
    except ComsamyError as exc:
        if args.debug:
            raise
        print(f"comsamy-infer: error: {exc.report()}", file=sys.stderr)
        return exc.exit_code
    print(json.dumps({"archive": result.archive, "num_images": result.num_images, "seconds": round(result.seconds, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
