"""Objects per second of the classical synthesis path, against plain copy-paste measured in the same run.

    python scripts/bench_synthesis.py [--count 240] [--workers 2]

Both runs compose ``--count`` samples (one object each) from the bundled sample's inliers and the procedural
object bank, through ``compose_dataset`` end to end (placement, blending, PNG encoding, chunk files, parquet
assembly), with ``--workers`` processes. The ratio harmonised / copy-paste is the cost of harmonisation.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=240)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()

    import comsamy
    from baselines.synthesis.compose import ComposeConfig, compose_dataset
    from comsamy.synthetic import write_object_bank

    inliers = comsamy.load_dataset("sample", config="inliers", split="train")
    print(
        f"cpu cores visible: {os.cpu_count()}, workers: {args.workers}, samples per run: {args.count}, "
        f"inlier size: {inliers[0]['image'].size}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        bank = write_object_bank(Path(tmp) / "bank", count=64, seed=0)
        best: dict[str, float] = {}
        for rep in range(args.repeats):
            for mode in ("copy-paste", "harmonized"):
                out = Path(tmp) / f"{mode}-{rep}"
                t0 = time.perf_counter()
                compose_dataset(
                    inliers,
                    [bank],
                    out,
                    ComposeConfig(count=args.count, seed=rep, mode=mode),
                    workers=args.workers,
                    progress=False,
                )
                dt = time.perf_counter() - t0
                rate = args.count / dt
                best[mode] = max(best.get(mode, 0.0), rate)
                print(f"  run {rep} {mode:>11}: {dt:6.2f} s  {rate:7.1f} objects/s")
    print(f"copy-paste (reference): {best['copy-paste']:.1f} objects/s")
    print(f"harmonized:             {best['harmonized']:.1f} objects/s")
    print(f"ratio harmonized / copy-paste: {best['harmonized'] / best['copy-paste']:.2f}")


if __name__ == "__main__":
    main()
