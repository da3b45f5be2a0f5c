"""Benchmark of the evaluator on the spec's reference workload (spec/metrics.md, "Performance").

Generates, in a temporary folder, a benchmark-shaped dataset (default 468 label maps of 1920x1080, ~13 % anomaly
pixels, some void) and a float16 ``.npy`` prediction archive for it, plus a quarter-size copy, then measures in one
run:

* the floor: reading and decoding every score map and label and nothing else (dataset labels loaded the same way,
  the same number of worker processes, each opening the archive itself);
* ``comsamy-eval`` end to end (``comsamy.cli.eval.main`` in a fresh process): wall time, peak RSS of the main
  process and of the largest worker, at two archive sizes (default 468 and 120 images; memory must not grow with
  the number of images), each against the floor of the same archive, so one run prints both ratios;
* the extras on the full archive: ``--bootstrap 1000`` and ``--components --bootstrap 1000`` (target: at most
  15 % more than plain ``comsamy-eval``);
* scikit-learn ``average_precision_score`` + ``roc_auc_score`` on the pixels of as many images as fit in
  ``--sklearn-pixels``, timed on exactly those pixels against ``comsamy.metrics`` on the same pixels, and also
  extrapolated linearly to the whole workload (a lower bound: sorting grows as n log n).

Usage::

    python scripts/bench_metrics.py                          # the full reference workload
    python scripts/bench_metrics.py --images 40 --size 960x540
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

DRIVER = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from comsamy.cli.eval import main
rc = main(sys.argv[1:])
wall = time.perf_counter() - t0
use = resource.getrusage
print("BENCH " + json.dumps({"rc": rc, "wall": wall, "self_kb": use(resource.RUSAGE_SELF).ru_maxrss,
                              "children_kb": use(resource.RUSAGE_CHILDREN).ru_maxrss}), file=sys.stderr)
"""


# --- workload --------------------------------------------------------------------------------------------------
def _label(rng: np.random.Generator, h: int, w: int, anomaly: float, void: float) -> np.ndarray:
    """Blobs of anomaly covering about ``anomaly`` of the image, a void strip at the bottom and void specks."""
    lo_h, lo_w = max(1, h // 8), max(1, w // 8)
    yy, xx = np.mgrid[0:lo_h, 0:lo_w]
    lab = np.zeros((lo_h, lo_w), np.uint8)
    target = anomaly * lo_h * lo_w
    while (lab == 1).sum() < target:
        cy, cx = rng.uniform(0.3, 1.0) * lo_h, rng.uniform(0, 1) * lo_w
        ry, rx = rng.uniform(0.03, 0.15) * lo_h, rng.uniform(0.03, 0.12) * lo_w
        lab[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1] = 1
    strip = max(1, int(void * 0.7 * lo_h))
    lab[-strip:] = 255
    lab[rng.random((lo_h, lo_w)) < void * 0.3] = 255
    full = np.repeat(np.repeat(lab, 8, 0), 8, 1)
    out = np.zeros((h, w), np.uint8)
    out[: full.shape[0], : full.shape[1]] = full[:h, :w]
    return out


def _scores(rng: np.random.Generator, label: np.ndarray) -> np.ndarray:
    """Upsampled-looking float16 scores: coarse noise, a signal on anomaly pixels, a little fine noise."""
    h, w = label.shape
    coarse = rng.standard_normal((h // 4 + 1, w // 4 + 1)).astype(np.float32)
    s = np.repeat(np.repeat(coarse, 4, 0), 4, 1)[:h, :w] * 0.6
    s += (label == 1) * np.float32(1.5)
    s += rng.standard_normal((h, w), dtype=np.float32) * 0.05
    return s.astype(np.float16)


def _png(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr, mode="L").save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _dataset_folder(root: Path, ids: list[str], labels: list[bytes], weathers: list[str]) -> Path:
    import datasets

    from comsamy.constants import LANDFORMS
    from comsamy.data.features import benchmark_features

    feats = benchmark_features()
    tiny = _png(np.zeros((1, 1), np.uint8))  # the evaluator never reads the RGB image
    rows = {
        "id": ids,
        "image": [{"bytes": tiny, "path": None}] * len(ids),
        "label": [{"bytes": b, "path": None} for b in labels],
        "weather": [feats["weather"].str2int(w) for w in weathers],
        "landform": [k % len(LANDFORMS) for k in range(len(ids))],
        "anomaly_types": [["object"] for _ in ids],
    }
    (root / "data").mkdir(parents=True)
    datasets.Dataset.from_dict(rows, features=feats).to_parquet(str(root / "data" / "test-00000-of-00001.parquet"))
    (root / "README.md").write_text(
        "---\nconfigs:\n- config_name: all\n  data_files:\n  - split: test\n"
        "    path: data/test-*.parquet\n---\n# bench\n",
        encoding="utf-8",
    )
    return root


def generate(
    root: Path, n: int, h: int, w: int, *, anomaly: float, void: float, small: int, compression: int, seed: int
) -> dict[str, object]:
    """Write ``full`` and ``small`` (first ``small`` images) dataset folders and archives under ``root``."""
    from comsamy.constants import WEATHERS

    rng = np.random.default_rng(seed)
    ids = [f"bench_{k:04d}" for k in range(n)]
    weathers = [WEATHERS[k % len(WEATHERS)] for k in range(n)]
    labels: list[bytes] = []
    counts = np.zeros(3, np.int64)
    with (
        zipfile.ZipFile(root / "full.zip", "w", compression, compresslevel=1) as zf_full,
        zipfile.ZipFile(root / "small.zip", "w", compression, compresslevel=1) as zf_small,
    ):
        for k, image_id in enumerate(ids):
            lab = _label(rng, h, w, anomaly, void)
            counts += [(lab == 0).sum(), (lab == 1).sum(), (lab == 255).sum()]
            labels.append(_png(lab))
            data = _npy(_scores(rng, lab))
            zf_full.writestr(f"{image_id}.npy", data)
            if k < small:
                zf_small.writestr(f"{image_id}.npy", data)
    _dataset_folder(root / "ds-full", ids, labels, weathers)
    _dataset_folder(root / "ds-small", ids[:small], labels[:small], weathers[:small])
    total = counts.sum()
    return {
        "pixels": int(total),
        "anomaly": counts[1] / total,
        "void": counts[2] / total,
        "zip_bytes": (root / "full.zip").stat().st_size,
    }


# --- the floor: read + decode, nothing else ----------------------------------------------------------------------
_FLOOR: dict[str, object] = {}


def _floor_init(path: str) -> None:
    _FLOOR["zf"] = zipfile.ZipFile(path)


def _floor_batch(tasks: list[tuple[str, bytes]]) -> int:
    from PIL import Image

    zf = _FLOOR["zf"]
    n = 0
    for name, label_png in tasks:
        raw = zf.read(name)  # type: ignore[attr-defined]
        version = np.lib.format.read_magic(io.BytesIO(raw))
        buf = io.BytesIO(raw)
        np.lib.format.read_magic(buf)
        shape, _, dtype = (
            np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        )(buf)
        scores = np.frombuffer(raw, dtype, int(np.prod(shape)), buf.tell()).reshape(shape)
        with Image.open(io.BytesIO(label_png)) as img:
            labels = np.asarray(img)
        n += scores.size + labels.size * 0
    return n


def run_floor(zip_path: Path, ds_folder: Path, workers: int) -> float:
    """Seconds to load the labels and read + decode every member and label with ``workers`` processes."""
    import multiprocessing

    from comsamy.evaluation import load_view

    t0 = time.perf_counter()
    view = load_view(str(ds_folder))
    tasks = [(f"{r.image_id}.npy", r.label_png) for r in view.records]
    size = max(1, min(8, len(tasks) // (workers * 4) or 1))
    batches = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    if workers == 1:
        _floor_init(str(zip_path))
        sum(_floor_batch(b) for b in batches)
    else:
        with ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_floor_init, initargs=(str(zip_path),)
        ) as pool:
            sum(pool.map(_floor_batch, batches))
    return time.perf_counter() - t0


# --- comsamy-eval end to end, in a fresh process -----------------------------------------------------------------
def run_eval(zip_path: Path, ds_folder: Path, workers: int, out: Path, *extra: str) -> dict[str, float]:
    """Run ``comsamy-eval`` (its ``main``) in a fresh interpreter; wall time and peak RSS (KB)."""
    argv = [
        "--preds",
        str(zip_path),
        "--data",
        str(ds_folder),
        "--workers",
        str(workers),
        "--out",
        str(out),
        "--format",
        "csv",
        *extra,
    ]
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", DRIVER, *argv], capture_output=True, text=True, check=False)
    outer = time.perf_counter() - t0
    line = [x for x in proc.stderr.splitlines() if x.startswith("BENCH ")]
    if proc.returncode != 0 or not line:
        raise SystemExit(f"comsamy-eval failed:\n{proc.stderr[-3000:]}")
    stats = json.loads(line[-1][6:])
    if stats["rc"] != 0:
        raise SystemExit(f"comsamy-eval exited {stats['rc']}:\n{proc.stderr[-3000:]}")
    stats["outer"] = outer
    return stats


# --- scikit-learn on the largest subset that fits -----------------------------------------------------------------
def run_sklearn(zip_path: Path, ds_folder: Path, max_pixels: int) -> dict[str, float]:
    """scikit-learn vs comsamy.metrics (one process) on exactly the same non-void pixels of the first images."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from comsamy.evaluation import load_view
    from comsamy.metrics import MetricAccumulator

    view = load_view(str(ds_folder))
    per_image = view.records[0].shape[0] * view.records[0].shape[1]
    k = max(1, min(len(view.records), max_pixels // per_image))
    from PIL import Image

    ys, ss, maps = [], [], []
    with zipfile.ZipFile(zip_path) as zf:
        for rec in view.records[:k]:
            scores = np.load(io.BytesIO(zf.read(f"{rec.image_id}.npy")), allow_pickle=False)
            with Image.open(io.BytesIO(rec.label_png)) as img:
                labels = np.asarray(img)
            maps.append((rec.image_id, scores, labels))
            keep = labels != 255
            ys.append(labels[keep])
            ss.append(scores[keep].astype(np.float32))
    y, s = np.concatenate(ys), np.concatenate(ss)
    del ys, ss
    t0 = time.perf_counter()
    ap = average_precision_score(y, s)
    auc = roc_auc_score(y, s)
    t_sk = time.perf_counter() - t0
    del y, s
    t0 = time.perf_counter()
    acc = MetricAccumulator()
    for image_id, scores, labels in maps:
        acc.update(image_id, scores, labels)
    res = acc.compute().overall
    t_ours = time.perf_counter() - t0
    return {
        "images": k,
        "pixels": k * per_image,
        "sklearn_s": t_sk,
        "ours_s": t_ours,
        "ap_diff": abs(res.auprc - ap),
        "auc_diff": abs(res.auroc - auc),
    }


def _mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=int, default=468)
    p.add_argument("--small", type=int, default=120, help="images of the second, smaller archive (default 120)")
    p.add_argument("--no-extras", action="store_true", help="skip the --bootstrap / --components runs")
    p.add_argument("--size", default="1920x1080", help="WxH (default 1920x1080)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--anomaly", type=float, default=0.13)
    p.add_argument("--void", type=float, default=0.05)
    p.add_argument("--compression", choices=("deflated", "stored"), default="deflated")
    p.add_argument(
        "--sklearn-pixels",
        type=int,
        default=40_000_000,
        help="pixels scikit-learn is run on (the largest subset that fits comfortably)",
    )
    p.add_argument("--repeats", type=int, default=2, help="floor / evaluator runs, best of (shared machines)")
    p.add_argument("--keep", type=Path, default=None, help="generate here and keep it (default: a temp folder)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    small = max(1, min(args.small, args.images))
    root = Path(tempfile.mkdtemp(prefix="comsamy-bench-")) if args.keep is None else args.keep
    root.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        comp = zipfile.ZIP_DEFLATED if args.compression == "deflated" else zipfile.ZIP_STORED
        info = generate(
            root, args.images, h, w, anomaly=args.anomaly, void=args.void, small=small, compression=comp, seed=args.seed
        )
        gen_s = time.perf_counter() - t0
        from comsamy.evaluation import load_view

        load_view(str(root / "ds-full"))  # build the datasets cache once, outside every timing
        load_view(str(root / "ds-small"))
        floors, evals = [], []
        for _ in range(args.repeats):
            floors.append(run_floor(root / "full.zip", root / "ds-full", args.workers))
            evals.append(run_eval(root / "full.zip", root / "ds-full", args.workers, root / "r.json"))
        ev = min(evals, key=lambda e: e["wall"])
        floors_small, evals_small = [], []
        for _ in range(args.repeats):
            floors_small.append(run_floor(root / "small.zip", root / "ds-small", args.workers))
            evals_small.append(run_eval(root / "small.zip", root / "ds-small", args.workers, root / "r-small.json"))
        ev_small = min(evals_small, key=lambda e: e["wall"])
        floor_small = min(floors_small)
        extras = {}
        if not args.no_extras:
            for name, flags in (
                ("--bootstrap 1000", ("--bootstrap", "1000")),
                ("--components --bootstrap 1000", ("--components", "--bootstrap", "1000")),
            ):
                extras[name] = run_eval(root / "full.zip", root / "ds-full", args.workers, root / "r-x.json", *flags)
        floor = min(floors)
        sk = run_sklearn(root / "full.zip", root / "ds-full", args.sklearn_pixels)
        load = os.getloadavg()
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)

    px = info["pixels"]
    px_small = px * small // args.images
    sk_full = sk["sklearn_s"] * px / sk["pixels"]
    rows = [
        ("floor: read + decode scores and labels", floor, px / floor / 1e6, "1.00x (reference)"),
        (
            "comsamy-eval end to end (in-process wall)",
            ev["wall"],
            px / ev["wall"] / 1e6,
            f"{ev['wall'] / floor:.2f}x the floor",
        ),
        (
            "comsamy-eval incl. interpreter start",
            ev["outer"],
            px / ev["outer"] / 1e6,
            f"{ev['outer'] / floor:.2f}x the floor",
        ),
        (f"floor, {small} images", floor_small, px_small / floor_small / 1e6, "1.00x (reference)"),
        (
            f"comsamy-eval, {small} images (in-process wall)",
            ev_small["wall"],
            px_small / ev_small["wall"] / 1e6,
            f"{ev_small['wall'] / floor_small:.2f}x the floor",
        ),
        *(
            (
                f"comsamy-eval {name}",
                e["wall"],
                px / e["wall"] / 1e6,
                f"{e['wall'] / floor:.2f}x the floor, +{100 * (e['wall'] / ev['wall'] - 1):.0f} % over plain",
            )
            for name, e in extras.items()
        ),
        (
            f"scikit-learn AP + AUROC, {sk['images']} images ({sk['pixels'] / 1e6:.0f} Mpx), measured",
            sk["sklearn_s"],
            sk["pixels"] / sk["sklearn_s"] / 1e6,
            f"{sk['sklearn_s'] / sk['ours_s']:.1f}x slower than comsamy.metrics "
            f"on the same pixels ({sk['ours_s']:.2f} s, 1 process)",
        ),
        (
            "scikit-learn extrapolated linearly to the workload",
            sk_full,
            px / sk_full / 1e6,
            f"{sk_full / ev['wall']:.1f}x slower than comsamy-eval",
        ),
    ]
    print(
        f"workload: {args.images} images {w}x{h} ({px / 1e6:.1f} Mpx), {info['anomaly']:.1%} anomaly, "
        f"{info['void']:.1%} void, float16 .npy in a {args.compression} zip of {info['zip_bytes'] / 1e9:.2f} GB "
        f"(generated in {gen_s:.0f} s)"
    )
    print(
        f"machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), {args.workers} workers, "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} (shared machine: other jobs were running)"
    )
    floor_runs = ", ".join(f"{f:.1f}" for f in floors)
    eval_runs = ", ".join(f"{e['wall']:.1f}" for e in evals)
    print(f"best of {args.repeats}: floor runs {floor_runs} s; evaluator runs {eval_runs} s")
    print()
    print("| measurement | wall s | Mpx/s | ratio |")
    print("|---|---:|---:|---|")
    for name, sec, rate, ratio in rows:
        print(f"| {name} | {sec:.2f} | {rate:.1f} | {ratio} |")
    print()
    print("| peak memory (RSS) | main process | largest worker | main + workers (upper bound) |")
    print("|---|---:|---:|---:|")
    for label, e in (
        (f"{args.images} images", ev),
        (f"{small} images", ev_small),
        *((f"{args.images} images {name}", e) for name, e in extras.items()),
    ):
        print(
            f"| comsamy-eval, {label} | {_mb(e['self_kb'])} | {_mb(e['children_kb'])} | "
            f"{_mb(e['self_kb'] + args.workers * e['children_kb'])} |"
        )
    print()
    print(f"agreement with scikit-learn on the subset: |dAP| = {sk['ap_diff']:.1e}, |dAUROC| = {sk['auc_diff']:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
