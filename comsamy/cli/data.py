"""``comsamy-data``: export, import, corrupt, validate, fetch and generate ComsAmy dataset folders.

A thin layer over :mod:`comsamy.data`: parse arguments, call the library, print a short result. The shared
runner (:func:`comsamy.cli.common.run_cli`) maps every :class:`~comsamy.errors.ComsamyError` to its exit code
(usage 2, invalid data 3, data not available 4) with one paragraph on stderr and no traceback (unless ``--debug``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from comsamy.cli.common import positive_int, run_cli, size_argument
from comsamy.errors import DataNotAvailableError, UsageError

PROG = "comsamy-data"

SAMPLE_PURPOSE = (
    "This is the small sample bundled with the `comsamy` Python package "
    '(`comsamy.load_dataset("sample")`). It exists for tests, the README\'s first commands and demos; '
    "it needs no download."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("export", help="raw release -> Hub layout (README card + parquet shards)")
    p.add_argument("raw", type=Path, help="raw release folder (images/, labels/, metadata.csv, optional inliers/)")
    p.add_argument("out", type=Path, help="folder to create (must not exist or be empty, unless --force)")
    p.add_argument("--convert-palette", action="store_true", help="convert palette (mode P) masks to L by index")
    p.add_argument("--synthetic", action="store_true", help="the card states that the data is synthetic")
    p.add_argument("--title", default="ComsAmy", help="title of the dataset card")
    p.add_argument("--force", action="store_true", help="replace a non-empty OUT")

    from comsamy.data.benchmarks import BENCHMARKS

    p = sub.add_parser("import", help="a benchmark release as its authors distribute it -> Hub layout")
    p.add_argument("benchmark", choices=sorted(BENCHMARKS), help="which release layout RAW has")
    p.add_argument("raw", type=Path, help="the release folder")
    p.add_argument("out", type=Path, help="folder to create (must not exist or be empty, unless --force)")
    p.add_argument(
        "--base",
        type=Path,
        default=None,
        help="Fishyscapes: the Lost & Found (fishyscapes_laf) or Cityscapes (fishyscapes_static) root",
    )
    p.add_argument(
        "--map",
        dest="label_map",
        default=None,
        help="label value map, e.g. 2=1,0=0,*=255 or 0=255,1=0,2-200=1 (required for generic)",
    )
    p.add_argument("--images", default="images", help="generic: image folder inside RAW (default images)")
    p.add_argument("--labels", default="labels", help="generic: label folder inside RAW (default labels)")
    p.add_argument("--label-suffix", default="", help="generic: what a label file adds to its image's stem")
    p.add_argument("--name", default=None, help="benchmark name written to the card (default: BENCHMARK)")
    p.add_argument("--title", default=None, help="title of the dataset card")
    p.add_argument("--force", action="store_true", help="replace a non-empty OUT")

    p = sub.add_parser("corrupt", help="adverse-weather variants of a dataset folder (weather x severity)")
    p.add_argument("source", type=Path, help="a dataset folder (an export or an import)")
    p.add_argument("out", type=Path, help="folder to create, or an interrupted run of the same command to finish")
    p.add_argument(
        "--weathers",
        default="rain,night,frost,fog,blizzard,sandstorm",
        help="comma-separated adverse weathers (default: all six)",
    )
    p.add_argument("--severities", default="1,2,3,4,5", help="comma-separated levels in 1..5 (default 1,2,3,4,5)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: every core)")
    p.add_argument("--force", action="store_true", help="replace an OUT that holds something else")

    p = sub.add_parser("validate", help="check a raw release or an exported dataset folder")
    p.add_argument("dir", type=Path)
    p.add_argument("--convert-palette", action="store_true", help="accept palette masks (raw release)")

    p = sub.add_parser("fetch", help="download the dataset from the Hub (snapshot_download)")
    p.add_argument("--to", type=Path, default=None, help="folder to download into (default: the Hub cache)")
    p.add_argument("--repo", default=None, help="Hub dataset repo id (default: $COMSAMY_HUB_REPO or comsamy/comsamy)")
    p.add_argument("--revision", default=None, help="branch, tag or commit")

    p = sub.add_parser("sample", help="generate a synthetic benchmark and export it")
    p.add_argument("out", type=Path)
    p.add_argument("--images", type=int, default=49, help="number of test images (default 49)")
    p.add_argument("--size", type=size_argument, default=(480, 270), help="WIDTHxHEIGHT (default 480x270)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--inliers", type=int, default=40, help="number of inlier training images (default 40)")
    p.add_argument("--force", action="store_true", help="replace a non-empty OUT")
    return parser


def _export(args: argparse.Namespace) -> int:
    from comsamy.data.export import export_release

    summary = export_release(
        args.raw,
        args.out,
        convert_palette=args.convert_palette,
        synthetic=args.synthetic,
        title=args.title,
        force=args.force,
        progress=not args.quiet,
    )
    print(f"exported {summary.num_test} test and {summary.num_inliers} inlier examples to {summary.out}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from comsamy.data.benchmarks import ImportOptions, import_benchmark, parse_label_map

    options = ImportOptions(
        base=args.base,
        label_map=parse_label_map(args.label_map) if args.label_map else None,
        images=args.images,
        labels=args.labels,
        label_suffix=args.label_suffix,
    )
    summary = import_benchmark(
        args.benchmark,
        args.raw,
        args.out,
        options=options,
        name=args.name,
        title=args.title,
        force=args.force,
        progress=not args.quiet,
    )
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"imported {summary.num_images} images of {summary.benchmark} to {summary.out}")
    return 0


def _levels(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"--severities: expected comma-separated integers in 1..5, got {text!r}") from None


def _corrupt(args: argparse.Namespace) -> int:
    from comsamy.data.corrupt import corrupt_dataset

    weathers = [w.strip() for w in args.weathers.split(",") if w.strip()]
    summary = corrupt_dataset(
        args.source,
        args.out,
        weathers=weathers,
        levels=_levels(args.severities),
        seed=args.seed,
        workers=args.workers,
        force=args.force,
        progress=not args.quiet,
    )
    skipped = f" ({summary.shards_skipped} finished shards kept)" if summary.shards_skipped else ""
    print(
        f"wrote {summary.num_images} images ({summary.num_source} source images x {len(weathers)} weathers x "
        f"{len(_levels(args.severities))} severities + severity 0) to {summary.out}{skipped}; "
        f"{summary.images_per_second_per_core:.2f} images/s per core on {summary.workers} worker(s)"
    )
    return 0


def _validate(args: argparse.Namespace) -> int:
    from comsamy.data.check import validate_dataset_folder
    from comsamy.data.loading import is_dataset_folder
    from comsamy.data.raw import validate_raw_release

    if (args.dir / "metadata.csv").exists() or (args.dir / "images").is_dir():
        release = validate_raw_release(args.dir, convert_palette=args.convert_palette, progress=not args.quiet)
        print(f"valid raw release: {len(release.test)} test and {len(release.inliers)} inlier examples")
    elif is_dataset_folder(args.dir) or (args.dir / "README.md").exists():
        summary = validate_dataset_folder(args.dir)
        print(f"valid dataset folder: {summary.num_test} test and {summary.num_inliers} inlier examples")
    else:
        raise UsageError(
            f"expected a raw release (metadata.csv, images/, labels/) or a dataset folder (README.md, data/), "
            f"got {args.dir}"
        )
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from comsamy.data.fetch import fetch

    path = fetch(to=args.to, repo_id=args.repo, revision=args.revision)
    print(f"downloaded to {path}\nuse it with: export COMSAMY_DATA={path}")
    return 0


def _sample(args: argparse.Namespace) -> int:
    from comsamy.data.export import export_release

    try:
        from comsamy.synthetic import write_raw_release
    except ImportError as exc:
        raise DataNotAvailableError(f"expected comsamy.synthetic.write_raw_release, got {exc}") from exc
    if args.images < 1 or args.inliers < 0:
        raise UsageError(f"expected --images >= 1 and --inliers >= 0, got {args.images} and {args.inliers}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    (w, h), n, k = args.size, args.images, args.inliers
    print(
        f"generating {n} synthetic test images and {k} inlier images at {w}x{h} (seed {args.seed}) ...", file=sys.stderr
    )
    with tempfile.TemporaryDirectory(prefix=".comsamy-raw-", dir=args.out.parent) as tmp:
        raw = write_raw_release(
            Path(tmp) / "raw", images=args.images, size=args.size, seed=args.seed, inliers=args.inliers
        )
        summary = export_release(
            raw,
            args.out,
            synthetic=True,
            title="ComsAmy synthetic sample",
            purpose=SAMPLE_PURPOSE,
            force=args.force,
            progress=not args.quiet,
        )
    print(
        f"wrote a synthetic sample of {summary.num_test} test and {summary.num_inliers} inlier examples "
        f"to {summary.out}"
    )
    return 0


COMMANDS = {
    "export": _export,
    "import": _import,
    "corrupt": _corrupt,
    "validate": _validate,
    "fetch": _fetch,
    "sample": _sample,
}


def _run(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)


def _prog(argv: Sequence[str] | None) -> str:
    """``comsamy-data <command>`` for messages (the command is the first argument that names one)."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args if a in COMMANDS), None)
    return f"{PROG} {command}" if command else PROG


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``comsamy-data``; returns the exit code."""
    return run_cli(_prog(argv), _parser(), _run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
