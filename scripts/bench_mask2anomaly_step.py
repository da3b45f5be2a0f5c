"""Time one Mask2Anomaly training step (forward, Eq. 10 loss, backward, AdamW) on this machine's CPU.

Prints the median wall-clock and process-CPU step time of the model with global masked attention and, as the reference measured in the same
run, of the same model with Mask2Former's plain masked attention, and their ratio (the cost of the background
branch). The two models' steps are interleaved after one warm-up step each; on a machine shared with other
jobs the CPU time (``time.process_time``) is the steadier of the two measures. Example::

    python scripts/bench_mask2anomaly_step.py --size tiny --batch 2 --height 64 --width 64 --steps 5
    python scripts/bench_mask2anomaly_step.py --size paper --batch 1 --height 256 --width 512 --steps 1
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable


def _make_step(size: str, global_attention: bool, args: argparse.Namespace) -> Callable[[], None]:
    import torch

    from baselines.mask2anomaly import build_mask2anomaly

    torch.manual_seed(0)
    model = build_mask2anomaly(
        size=size,
        variant="mask2anomaly_diffeel",
        global_masked_attention=global_attention,
        freeze_backbone=args.freeze_backbone,
    ).train()
    optimizer = torch.optim.AdamW(model.param_groups(1e-5))
    images = torch.randn(args.batch, 3, args.height, args.width)
    labels = torch.randint(0, 19, (args.batch, args.height, args.width))
    labels[:, args.height // 2 : args.height // 2 + args.height // 8, args.width // 3 : args.width // 2] = 254

    def step() -> None:
        loss, _ = model.training_loss(images, labels, anomaly_id=254)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def _timed(step: Callable[[], None]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one step."""
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=("tiny", "paper"), default="tiny")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--height", type=int, default=64)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument(
        "--freeze-backbone",
        action="store_true",
        help="freeze the backbone (the official default); the table in docs/mask2anomaly.md trains it",
    )
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    global_step = _make_step(args.size, True, args)
    plain_step = _make_step(args.size, False, args)
    global_step()  # warm-up (allocations, lazy initialisation)
    plain_step()
    global_times, plain_times = [], []
    for _ in range(args.steps):  # interleaved, so that a change in machine load hits both alike
        global_times.append(_timed(global_step))
        plain_times.append(_timed(plain_step))
    global_wall, global_cpu = (statistics.median(t) for t in zip(*global_times, strict=True))
    plain_wall, plain_cpu = (statistics.median(t) for t in zip(*plain_times, strict=True))
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"size={args.size} batch={args.batch} input={args.height}x{args.width} threads={torch.get_num_threads()} "
        f"steps={args.steps}"
    )
    print(f"global masked attention (Mask2Anomaly): {global_wall:.3f} s/step wall, {global_cpu:.3f} s/step CPU")
    print(f"plain masked attention (Mask2Former, reference): {plain_wall:.3f} s/step wall, {plain_cpu:.3f} s/step CPU")
    print(f"ratio global / plain: {global_wall / plain_wall:.2f} wall, {global_cpu / plain_cpu:.2f} CPU")
    print(f"peak resident memory of this process: {peak_gib:.2f} GiB")


if __name__ == "__main__":
    main()
