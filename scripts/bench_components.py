"""What ``--components`` (and ``--bootstrap``) add to an evaluation, measured in one run.

Generates the reference-shaped workload of ``scripts/bench_metrics.py`` (1920x1080 float16 maps, ~13 % anomaly,
some void; fewer images by default), then times ``comsamy-eval`` in fresh processes, interleaved, best of
``--repeats``: plain; ``--components`` (best-F1 threshold: cached maps and a second pass); ``--components`` at a
fixed threshold (one pass); and each with ``--bootstrap N`` when the evaluator has it. Then the CPU time of each
variant evaluated in this process with one worker (the steadiest number on a shared machine), and one image's
component work alone (binarise + two labellings + counts).

Usage::

    python scripts/bench_components.py --images 60 --repeats 3
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np


def _bench_metrics():  # the workload generator of the evaluator benchmark (same folder, not a package)
    spec = importlib.util.spec_from_file_location("bench_metrics", Path(__file__).with_name("bench_metrics.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _time_eval(bm, zip_path: Path, ds: Path, workers: int, extra: list[str], out: Path) -> float:
    """Wall seconds of one ``comsamy-eval`` run, measured inside its process (interpreter start excluded)."""
    argv = ["--preds", str(zip_path), "--data", str(ds), "--workers", str(workers), "--out", str(out), *extra]
    proc = subprocess.run([sys.executable, "-c", bm.DRIVER, *argv], capture_output=True, text=True, check=False)
    line = next((x for x in proc.stderr.splitlines() if x.startswith("BENCH ")), None)
    if line is None or json.loads(line[6:])["rc"] != 0:
        raise SystemExit(f"comsamy-eval {' '.join(extra)} failed:\n{proc.stderr[-2000:]}")
    return float(json.loads(line[6:])["wall"])


def _serial_cpu(zip_path: Path, ds: Path, variants: dict[str, list[str]], repeats: int) -> dict[str, float]:
    """CPU seconds of one in-process evaluation (``workers=1``) per variant, best of ``repeats``, interleaved.

    The steadiest measure on a shared machine: other jobs stretch wall time but hardly the CPU time it takes.
    """
    from comsamy.evaluation import evaluate_archive

    def options(extra: list[str]) -> dict[str, object]:
        out: dict[str, object] = {"components": "--components" in extra}
        if "--component-threshold" in extra:
            out["component_threshold"] = float(extra[extra.index("--component-threshold") + 1])
        return out

    best: dict[str, float] = {}
    for _ in range(repeats):
        for name, extra in variants.items():
            if "--bootstrap" in extra:
                continue
            start = time.process_time()
            evaluate_archive(zip_path, ds, workers=1, progress=False, **options(extra))  # type: ignore[arg-type]
            best[name] = min(best.get(name, float("inf")), time.process_time() - start)
    return best


def _one_image(bm, h: int, w: int, repeats: int) -> dict[str, float]:
    from scipy import ndimage

    from comsamy.metrics import image_histogram_from_bits
    from comsamy.metrics.components import binarize, component_stats

    rng = np.random.default_rng(1)
    lab = bm._label(rng, h, w, 0.13, 0.05)
    s = bm._scores(rng, lab)
    bits = s.view(np.uint16)
    times: dict[str, list[float]] = {"histogram": [], "components": [], "label_full_image": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        image_histogram_from_bits(bits, lab)
        t1 = time.perf_counter()
        component_stats(binarize(s, 0.9), lab)
        t2 = time.perf_counter()
        ndimage.label(s >= np.float16(0.9), np.ones((3, 3), bool))
        t3 = time.perf_counter()
        for k, v in zip(times, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            times[k].append(v)
    return {k: 1000 * min(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=60)
    p.add_argument("--size", default="1920x1080", help="WxH")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--bootstrap", type=int, default=0, help="also time --bootstrap N (default 0: not timed)")
    args = p.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))
    bm = _bench_metrics()
    with tempfile.TemporaryDirectory(prefix="comsamy-bench-comp-") as tmp:
        root = Path(tmp)
        bm.generate(root, args.images, h, w, anomaly=0.13, void=0.05, small=1, compression=zipfile.ZIP_DEFLATED, seed=0)
        zip_path, ds = root / "full.zip", root / "ds-full"
        has_bootstrap = (
            "--bootstrap"
            in subprocess.run(
                [sys.executable, "-m", "comsamy.cli.eval", "--help"], capture_output=True, text=True, check=False
            ).stdout
        )
        variants = {
            "plain": [],
            "components best-f1": ["--components"],
            "components fixed 0.9": ["--components", "--component-threshold", "0.9"],
        }
        if has_bootstrap and args.bootstrap:
            boot = ["--bootstrap", str(args.bootstrap)]
            variants |= {"bootstrap": boot, "components best-f1 + bootstrap": ["--components", *boot]}
        walls: dict[str, list[float]] = {k: [] for k in variants}
        for _ in range(args.repeats):  # interleaved: load changes hit every variant alike
            for name, extra in variants.items():
                walls[name].append(_time_eval(bm, zip_path, ds, args.workers, extra, root / "out.json"))
        doc = json.loads((root / "out.json").read_text())
        cpu = _serial_cpu(zip_path, ds, variants, args.repeats)
        single = _one_image(bm, h, w, args.repeats)
    base = min(walls["plain"])
    print(
        f"workload: {args.images} images {w}x{h}, {args.workers} workers, best of {args.repeats}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print("| variant | wall s (best) | wall runs | wall ratio |\n|---|---:|---|---:|")
    for name, ws in walls.items():
        print(f"| {name} | {min(ws):.2f} | {', '.join(f'{x:.2f}' for x in ws)} | {min(ws) / base:.3f}x |")
    print("\n| variant | CPU s, in-process, workers=1 (best) | ratio to plain |\n|---|---:|---:|")
    for name, c in cpu.items():
        print(f"| {name} | {c:.2f} | {c / cpu['plain']:.3f}x |")
    print(
        f"one {w}x{h} image, one process: histogram {single['histogram']:.1f} ms, component work "
        f"{single['components']:.1f} ms (scipy.ndimage.label of the whole thresholded map alone: "
        f"{single['label_full_image']:.1f} ms)"
    )
    comp = doc["overall"].get("components")
    if comp:
        print(f"last run's components: {comp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
