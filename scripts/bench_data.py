"""Benchmark the dataset machinery: generate, export and load the synthetic benchmark.

Full size by default (468 images, 1920x1080, as the paper's benchmark); ``--images``/``--size`` run smaller.
Each step is printed with a reference measured in the same run, as a ratio:

- generate: seconds per image (no reference: the generator is its own baseline);
- export (validate + write parquet) vs copying the raw release's files (``shutil.copytree``) and vs decoding
  every raw image and label once with PIL (the floor of a complete validation);
- first load (``comsamy.load_dataset``: parquet -> Arrow cache) vs reading the same parquet files with pyarrow;
- cached load (second call) vs the same pyarrow read;
- streaming: first row and all rows (decoded) vs decoding every image and label from the raw files with PIL.

Usage::

    python scripts/bench_data.py                        # full size (slow: minutes)
    python scripts/bench_data.py --images 49 --size 480x270
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from comsamy.cli.common import size_argument


def _timed(fn):  # noqa: ANN001, ANN202
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=468)
    parser.add_argument("--size", type=size_argument, default=(1920, 1080))
    parser.add_argument("--inliers", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the files here (default: a temp folder)")
    parser.add_argument("--raw", type=Path, default=None, help="reuse this raw release instead of generating one")
    args = parser.parse_args()

    import os

    from comsamy.synthetic import write_raw_release

    work = Path(args.workdir or tempfile.mkdtemp(prefix="comsamy-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["HF_DATASETS_CACHE"] = str(work / "hf-cache")  # before datasets is imported
    import datasets
    import pyarrow.parquet as pq
    from PIL import Image

    import comsamy
    from comsamy.data import export_release

    w, h = args.size
    print(f"synthetic benchmark: {args.images} images {w}x{h}, {args.inliers} inliers, seed {args.seed}")
    print(f"cpus: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}")
    if args.raw is not None:
        raw = args.raw
        print(f"generate: skipped, reusing {raw}")
    else:
        raw, t_gen = _timed(lambda: write_raw_release(work / "raw", images=args.images, size=args.size,
                                                      seed=args.seed, inliers=args.inliers))
        print(f"generate: {t_gen:8.2f} s  ({t_gen / args.images:.3f} s/image)")
    raw_bytes = sum(p.stat().st_size for p in Path(raw).rglob("*") if p.is_file())
    print(f"raw release: {raw_bytes / 2**20:.1f} MiB")

    def decode_raw() -> int:
        n = 0
        for p in sorted(Path(raw, "images").iterdir()):
            with Image.open(p) as im:
                im.load()
            with Image.open(Path(raw, "labels", p.stem + ".png")) as lab:
                lab.load()
            n += 1
        return n

    shutil.rmtree(work / "raw-copy", ignore_errors=True)
    _, t_copy = _timed(lambda: shutil.copytree(raw, work / "raw-copy"))
    _, t_pil = _timed(decode_raw)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    _, t_export = _timed(lambda: export_release(raw, out))
    out_bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"export:   {t_export:8.2f} s  vs copytree {t_copy:.2f} s -> ratio {t_export / t_copy:.1f}x; "
          f"vs PIL decode of every raw file {t_pil:.2f} s -> ratio {t_export / t_pil:.2f}x "
          f"(folder {out_bytes / 2**20:.1f} MiB)")

    shards = sorted(out.glob("data/*.parquet"))
    _, t_arrow = _timed(lambda: [pq.read_table(s) for s in shards])
    ds, t_load = _timed(lambda: comsamy.load_dataset(out, config="all", split="test"))
    print(f"load:     {t_load:8.2f} s  vs pyarrow read {t_arrow:.2f} s  -> ratio {t_load / t_arrow:.1f}x "
          f"({len(ds)} rows, first call builds the Arrow cache)")
    _, t_cached = _timed(lambda: comsamy.load_dataset(out, config="all", split="test"))
    print(f"cached:   {t_cached:8.2f} s  vs pyarrow read {t_arrow:.2f} s  -> ratio {t_cached / t_arrow:.1f}x")

    stream = comsamy.load_dataset(out, config="all", split="test", streaming=True)
    _, t_first = _timed(lambda: next(iter(stream)))
    def decode_stream() -> int:
        n = 0
        for row in stream:
            row["image"].load()
            row["label"].load()
            n += 1
        return n

    _, t_stream = _timed(decode_stream)
    print(f"stream:   {t_stream:8.2f} s  vs PIL decode of the raw files {t_pil:.2f} s  -> ratio "
          f"{t_stream / t_pil:.2f}x (first row after {t_first:.2f} s)")
    print(f"datasets {datasets.__version__}; files in {work}")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
