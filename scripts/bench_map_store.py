"""What resumability costs ``comsamy-infer``: maps stored one by one (``baselines.map_store.MapStore``, then packed
into the zip) against streaming them straight into ``ArchiveWriter``, in the same run, interleaved.

    python scripts/bench_map_store.py --maps 20 --height 540 --width 960 --repeats 3
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def _direct(out: Path, maps: dict[str, np.ndarray]) -> float:
    from comsamy.submission.writer import ArchiveWriter

    t0 = time.perf_counter()
    with ArchiveWriter(out, data={k: v.shape for k, v in maps.items()}, method="bench") as writer:
        for key, value in maps.items():
            writer.add(key, value)
    return time.perf_counter() - t0


def _stored(out: Path, maps: dict[str, np.ndarray]) -> float:
    from baselines.map_store import MapStore

    t0 = time.perf_counter()
    store = MapStore(out, settings={"bench": 1}, shapes={k: v.shape for k, v in maps.items()})
    for key, value in maps.items():
        store.put(key, value)
    store.finish({"method": "bench"})
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--maps", type=int, default=20)
    p.add_argument("--height", type=int, default=540)
    p.add_argument("--width", type=int, default=960)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    maps = {f"img{i}": rng.random((args.height, args.width), dtype=np.float32) for i in range(args.maps)}
    direct, stored = [], []
    root = Path(tempfile.mkdtemp())
    try:
        for r in range(args.repeats):
            direct.append(_direct(root / f"direct{r}.zip", maps))
            stored.append(_stored(root / f"stored{r}.zip", maps))
    finally:
        shutil.rmtree(root)
    d, s = float(np.median(direct)), float(np.median(stored))
    print(
        f"{args.maps} maps of {args.height}x{args.width}: ArchiveWriter {d:.3f} s, MapStore + pack {s:.3f} s, "
        f"ratio {s / d:.2f} (medians of {args.repeats})"
    )


if __name__ == "__main__":
    main()
