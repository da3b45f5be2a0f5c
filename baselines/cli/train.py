"""``comsamy-train``: train any baseline from a YAML config plus ``key=value`` overrides.

Examples::

    comsamy-train configs/rpl_eel.yaml out_dir=runs/rpl_eel model_config.pretrained=runs/inlier/last.pt
    comsamy-train --config configs/rpl_eel.yaml steps=100
    torchrun --nproc_per_node 4 -m baselines.cli.train configs/rpl_eel.yaml   # DDP, same script

Exit codes: 0 trained; 2 bad config or arguments; 3 invalid data; 4 data not available.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

from comsamy.errors import ComsamyError, UsageError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="comsamy-train", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "items", nargs="*", metavar="CONFIG|KEY=VALUE",
        help="a YAML training config (see configs/), then key=value overrides (dotted keys: data.crop_size=64)",
    )
    p.add_argument("-c", "--config", default=None, help="the YAML config (instead of the first positional item)")
    p.add_argument("--resume", default=None, help="checkpoint to resume, or 'auto' for <out_dir>/last.pt")
    p.add_argument("--quiet", action="store_true", help="no progress bar, warnings only")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    rank = int(os.environ.get("RANK", "0"))
    logging.basicConfig(
        level=logging.WARNING if (args.quiet or rank != 0) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        from baselines.train_config import TrainConfig
        from baselines.training import train

        config_path = args.config
        overrides = list(args.items)
        if overrides and "=" not in overrides[0]:
            if config_path is not None:
                raise UsageError(f"expected one config file, got --config {config_path} and {overrides[0]}")
            config_path = overrides.pop(0)
        if args.resume:
            overrides.append(f"resume={args.resume}")
        if args.quiet:
            overrides.append("progress=false")
        config = TrainConfig.from_file(config_path, overrides)
        result = train(config)
    except ComsamyError as exc:
        if args.debug:
            raise
        print(f"comsamy-train: error: {exc.report()}", file=sys.stderr)
        return exc.exit_code
    finally:
        try:
            import torch.distributed as dist

            if dist.is_available() and dist.is_initialized():
                dist.destroy_process_group()
        except ImportError:  # pragma: no cover - torch is a dependency of the baselines
            pass
    if rank == 0:
        print(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
