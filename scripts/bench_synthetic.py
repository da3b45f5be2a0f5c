"""Seconds per image of the synthetic generator, at 480x270 and 1920x1080.

Usage::

    python scripts/bench_synthetic.py [--images 14] [--sizes 480x270,1920x1080] [--full]

For each size it renders a planned mix of weathers and landforms (scene + anomalies + weather) and
reports wall and CPU seconds per image, next to the reference measured in the same run: the time to
encode the same image and label to JPEG/PNG, i.e. the floor any writer pays. ``--full`` also writes the
full-size benchmark (468 images at 1920x1080, 40 inliers) with ``write_raw_release`` and reports its time.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time

import numpy as np
from PIL import Image

from comsamy.synthetic import plan_release, render_benchmark_image, write_raw_release


def bench(size: tuple[int, int], images: int) -> None:
    plan = plan_release(images, seed=0)
    wall = cpu = enc = 0.0
    for i, item in enumerate(plan):
        t0, c0 = time.perf_counter(), time.process_time()
        ex = render_benchmark_image(item.landform, item.weather, np.random.default_rng([0, i, 1]), size)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        t1 = time.perf_counter()
        Image.fromarray(ex.image).save(io.BytesIO(), format="JPEG", quality=90)
        Image.fromarray(ex.label).save(io.BytesIO(), format="PNG")
        enc += time.perf_counter() - t1
    n = len(plan)
    print(
        f"{size[0]}x{size[1]}: {n} images, render {wall / n:.3f} s/image wall, {cpu / n:.3f} s/image CPU; "
        f"encode (reference) {enc / n:.3f} s/image; render/encode ratio {wall / max(enc, 1e-9):.1f}x"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=14)
    ap.add_argument("--sizes", default="480x270,1920x1080")
    ap.add_argument("--full", action="store_true", help="also write the 468-image 1920x1080 release")
    args = ap.parse_args(argv)
    for spec in args.sizes.split(","):
        w, h = (int(v) for v in spec.lower().split("x"))
        bench((w, h), args.images)
    if args.full:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            write_raw_release(tmp, images=468, size=(1920, 1080), seed=0, inliers=40)
            dt = time.perf_counter() - t0
            print(f"full benchmark 468 + 40 inliers at 1920x1080: {dt:.0f} s ({dt / 508:.2f} s/image)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
