"""``comsamy-train``: train any baseline from a YAML config (a file or a packaged name) plus ``key=value`` overrides.

Examples::

    comsamy-train inlier_segmenter out_dir=runs/inlier                  # packaged config, by name
    comsamy-train rpl_eel out_dir=runs/rpl_eel model_config.pretrained=runs/inlier/last.pt
    comsamy-train --config my_run.yaml steps=100                        # any YAML file
    torchrun --nproc_per_node 4 -m baselines.cli.train rpl_eel          # DDP, same script

Packaged configs: ``baselines/configs/*.yaml`` (``comsamy-train --list``). Exit codes: 0 trained; 2 bad config
or arguments; 3 invalid data; 4 data not available; 5 a missing extra; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from comsamy.cli.common import run_cli
from comsamy.errors import UsageError

PROG = "comsamy-train"


class _IntermixedParser(argparse.ArgumentParser):
    """Options may come between the overrides: ``comsamy-train tiny_cpu --resume auto steps=400``."""

    def parse_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def,override]
        return self.parse_intermixed_args(args, namespace)


def build_parser() -> argparse.ArgumentParser:
    """The ``comsamy-train`` argument parser."""
    p = _IntermixedParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument(
        "items",
        nargs="*",
        metavar="CONFIG|KEY=VALUE",
        help="a YAML training config (a file, or a packaged name such as tiny_cpu), then key=value overrides "
        "(dotted keys: data.crop_size=64)",
    )
    p.add_argument("-c", "--config", default=None, help="the YAML config (instead of the first positional item)")
    p.add_argument("--resume", default=None, help="checkpoint to resume, or 'auto' for <out_dir>/last.pt")
    p.add_argument("--list", action="store_true", help="print the packaged config names and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar, warnings only")
    return p


def _run(args: argparse.Namespace) -> int:
    from baselines.configs import available_configs
    from baselines.distributed import dist_env

    if args.list:
        print("\n".join(available_configs()))
        return 0
    env = dist_env()
    if not (args.quiet or args.debug or not env.is_main):
        logging.getLogger().setLevel(logging.INFO)
    config_path = args.config
    overrides = list(args.items)
    if overrides and "=" not in overrides[0]:
        if config_path is not None:
            raise UsageError(f"expected one config file, got --config {config_path} and {overrides[0]}")
        config_path = overrides.pop(0)
    stray = [item for item in overrides if "=" not in item]
    if stray:
        raise UsageError(f"expected key=value overrides after the config, got {stray}")
    if args.resume:
        overrides.append(f"resume={args.resume}")
    if args.quiet:
        overrides.append("progress=false")

    from baselines.train_config import TrainConfig
    from baselines.training import train

    config = TrainConfig.from_file(config_path, overrides)
    try:
        result = train(config)
    finally:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    if env.is_main:
        print(json.dumps(result.to_dict()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    return run_cli(PROG, build_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
