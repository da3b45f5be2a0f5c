"""Benchmark the dataset machinery: generate, export and load the synthetic benchmark.

Full size by default (468 images, 1920x1080, as the paper's benchmark); ``--images``/``--size`` run smaller.
Each step is printed with a reference measured in the same run, as a ratio:

- generate: seconds per image (no reference: the generator is its own baseline);
- export (validate + write parquet) vs copying the raw release's files (``shutil.copytree``) and vs decoding
  every raw image and label once with PIL (the floor of a complete validation);
- first load (``comsamy.load_dataset``: parquet -> Arrow cache) vs reading the same parquet files with pyarrow;
- cached load (second call) vs the same pyarrow read;
- streaming: first row and all rows (decoded) vs decoding every image and label from the raw files with PIL.

With ``--importers``, it measures instead every benchmark importer (``comsamy-data import``) on releases in the
benchmarks' real layouts at their real image sizes (built by ``tests/comsamy/data/benchfixtures.py`` from smooth
synthetic pictures), against plain PIL decoding (``Image.open(f).load()``) of the same image and label files
(target: at most 1.3x), and ``corrupt``'s images per second per core.

Usage::

    python scripts/bench_data.py                        # full size (slow: minutes)
    python scripts/bench_data.py --images 49 --size 480x270
    python scripts/bench_data.py --importers --images 20
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from comsamy.cli.common import size_argument


def _timed(fn):
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
    parser.add_argument("--importers", action="store_true", help="measure the benchmark importers and corrupt")
    args = parser.parse_args()
    if args.importers:
        bench_importers(args.images if args.images != 468 else 20, args.workdir)
        return

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
        raw, t_gen = _timed(
            lambda: write_raw_release(
                work / "raw", images=args.images, size=args.size, seed=args.seed, inliers=args.inliers
            )
        )
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
    print(
        f"export:   {t_export:8.2f} s  vs copytree {t_copy:.2f} s -> ratio {t_export / t_copy:.1f}x; "
        f"vs PIL decode of every raw file {t_pil:.2f} s -> ratio {t_export / t_pil:.2f}x "
        f"(folder {out_bytes / 2**20:.1f} MiB)"
    )

    shards = sorted(out.glob("data/*.parquet"))
    _, t_arrow = _timed(lambda: [pq.read_table(s) for s in shards])
    ds, t_load = _timed(lambda: comsamy.load_dataset(out, config="all", split="test"))
    print(
        f"load:     {t_load:8.2f} s  vs pyarrow read {t_arrow:.2f} s  -> ratio {t_load / t_arrow:.1f}x "
        f"({len(ds)} rows, first call builds the Arrow cache)"
    )
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
    print(
        f"stream:   {t_stream:8.2f} s  vs PIL decode of the raw files {t_pil:.2f} s  -> ratio "
        f"{t_stream / t_pil:.2f}x (first row after {t_first:.2f} s)"
    )
    print(f"datasets {datasets.__version__}; files in {work}")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


SIZES = {
    "roadanomaly": (1280, 720),
    "roadanomaly21": (1920, 1080),
    "roadobstacle21": (1920, 1080),
    "lostandfound": (2048, 1024),
    "fishyscapes_laf": (2048, 1024),
    "fishyscapes_static": (2048, 1024),
    "generic": (1920, 1080),
}


def bench_importers(n: int, workdir: Path | None) -> None:
    """Each importer vs PIL decoding of the same files, then corrupt's throughput (see the module docstring)."""
    import os
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root, for tests/
    import numpy as np
    from PIL import Image

    from comsamy.data import ImportOptions, import_benchmark
    from comsamy.data.benchmarks import parse_label_map
    from comsamy.data.corrupt import corrupt_dataset
    from tests.comsamy.data import benchfixtures as bf

    work = Path(workdir or tempfile.mkdtemp(prefix="comsamy-bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["HF_DATASETS_CACHE"] = str(work / "hf-cache")
    warm, _ = bf.generic(work / "warm-up")  # import datasets, pyarrow and the card code once, outside the timings
    import_benchmark("generic", warm, work / "warm-up-out", options=ImportOptions(label_map=parse_label_map("*=0")))
    print(
        f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; about {n} images per benchmark "
        "(Fishyscapes: the fixture's 3 and 2)"
    )
    for name, size in SIZES.items():
        picture = _picture(size)
        bf._rgb = lambda seed, size=size, picture=picture: Image.fromarray(np.roll(picture, seed * 7, axis=1))
        original_values = bf.__dict__.setdefault("_orig_values", bf._values)
        bf._values = lambda seed, values, size=size, f=original_values: f(seed, values, size)
        root = work / name
        shutil.rmtree(root, ignore_errors=True)
        raw, options = _release(bf, name, root, n)
        files = [f for f in raw.rglob("*") if f.suffix in (".png", ".jpg", ".webp")]
        if name == "fishyscapes_laf":
            files += (root / "laf" / "leftImg8bit").rglob("*.png")
        if name == "fishyscapes_static":
            files += (root / "cs" / "leftImg8bit").rglob("*.png")
        files = [f for f in files if not f.name.endswith(("_color.png", "_instanceIds.png", "labels_instance.png"))]
        if name != "fishyscapes_laf":
            files = [f for f in files if "leftImg8bit" in f.parts or name != "lostandfound" or "labelIds" in f.name]

        def decode(paths: list[Path] = files) -> None:
            for f in paths:
                with Image.open(f) as im:
                    im.load()

        _, t_pil = _timed(decode)
        start = time.perf_counter()
        import_benchmark(name, raw, root / "out", options=options, force=True)
        t_imp = time.perf_counter() - start
        print(
            f"import {name:19s} {t_imp:7.2f} s  vs PIL decode of its {len(files)} files {t_pil:6.2f} s  -> "
            f"ratio {t_imp / t_pil:.2f}x"
        )
    src = work / "roadanomaly" / "out"
    for workers in sorted({1, os.cpu_count() or 1}):
        summary = corrupt_dataset(
            src, work / f"corrupt-{workers}", weathers=["rain", "fog"], levels=[1, 5], workers=workers, force=True
        )
        print(
            f"corrupt roadanomaly x 2 weathers x 2 levels, {workers} worker(s): "
            f"{summary.images_per_second_per_core:.2f} images/s per core"
        )
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; files in {work}")
    if workdir is None:
        shutil.rmtree(work, ignore_errors=True)


def _picture(size: tuple[int, int]):
    """A smooth road-like picture (gradients and a little noise) of ``size``: realistic compression ratios."""
    import numpy as np

    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rng = np.random.default_rng(0)
    rgb = np.stack([120 + 80 * np.sin(xx / 97), 110 + 60 * np.cos(yy / 53), 100 + 50 * np.sin((xx + yy) / 71)], -1)
    rgb += rng.normal(0, 4, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _release(bf, name: str, root: Path, n: int):
    """A release of ``name`` with about ``n`` images (copies of the fixture's frames under new names)."""
    from comsamy.data import ImportOptions
    from comsamy.data.benchmarks import parse_label_map

    if name == "roadanomaly":
        raw, _ = bf.roadanomaly(root / "raw", n=n)
    elif name in ("roadanomaly21", "roadobstacle21"):
        raw, _ = bf.smiyc(
            root / "raw", track="anomaly" if name == "roadanomaly21" else "obstacle", labelled=n, held_out=0
        )
        return raw, ImportOptions()
    elif name == "lostandfound":
        raw, _ = bf.lostandfound(root / "raw", extra=max(0, n - 3))
    elif name == "fishyscapes_laf":
        raw, _ = bf.fishyscapes_laf(root / "raw", root / "laf")
        return raw, ImportOptions(base=root / "laf")
    elif name == "fishyscapes_static":
        raw, _, _ = bf.fishyscapes_static(root / "raw", root / "cs")
        return raw, ImportOptions(base=root / "cs")
    else:
        raw, _ = bf.generic(root / "raw", n=n)
        return raw, ImportOptions(label_map=parse_label_map("2=1,0=0,*=255"))
    return raw, ImportOptions()


if __name__ == "__main__":
    main()
