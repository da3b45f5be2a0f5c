"""``comsamy-eval``: score a prediction archive on the ComsAmy benchmark (or validate it), compare two methods,
or summarise several results files.

A thin layer: parse the arguments, call :func:`comsamy.evaluation.evaluate_archive`, render the report. The
shared runner :func:`comsamy.cli.common.run_cli` maps outcomes to exit codes: 0 scored, 2 usage error, 3 invalid
archive (the complete validation report on stderr), 4 data not available. Errors are one paragraph; ``--debug``
adds the traceback. ``comsamy-eval summary R1.json R2.json ...`` prints the paper's Table III layout.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

from comsamy.cli.common import non_negative_int, positive_int, run_cli
from comsamy.errors import ArchiveError, UsageError
from comsamy.metrics.definitions import AUPRC_DEFINITIONS, FPR95_DEFINITIONS, PRECISIONS

PROG = "comsamy-eval"
EXAMPLES = """examples:
  comsamy-eval --preds sample                       # the bundled example archive on the bundled sample
  comsamy-eval --preds preds.zip --out results.json # the benchmark (COMSAMY_DATA or the Hub)
  comsamy-eval --preds preds.zip --validate-only    # check the archive only
  comsamy-eval --preds a.zip --compare b.zip        # paired comparison A - B (bootstrap intervals, p-values)
  comsamy-eval --preds a.zip --bootstrap 1000 --per-image images.csv
  comsamy-eval summary r1.json r2.json              # several benchmarks: the paper's Table III layout
exit codes: 0 scored, 2 usage error, 3 invalid archive, 4 data not available"""


def _component_threshold(text: str) -> float | str:
    from comsamy.metrics.components import check_threshold

    try:
        value = check_threshold(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("component threshold: ")) from None
    return "best-f1" if value is None else value


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a level between 0 and 1 such as 0.95, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a level strictly between 0 and 1 such as 0.95, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``comsamy-eval`` (the flag form; ``summary`` has :func:`build_summary_parser`)."""
    from comsamy.report_format import FORMATS

    p = argparse.ArgumentParser(
        prog=PROG,
        description="Score a prediction archive (zip or folder of per-image score maps) with the ComsAmy "
        "pixel-level metrics: AUPRC, FPR95, AUROC, overall and per condition.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--preds",
        required=True,
        metavar="ARCHIVE",
        help="zip file or folder of score maps; 'sample' = the bundled example archive",
    )
    p.add_argument(
        "--data",
        default=None,
        metavar="NAME_OR_PATH",
        help="dataset: 'comsamy' (default; COMSAMY_DATA or the Hub), 'sample', a folder or a Hub id "
        "(default with --preds sample: 'sample')",
    )
    p.add_argument("--config", default="all", help="dataset config (default: all)")
    p.add_argument("--split", default="test", help="dataset split (default: test)")
    p.add_argument("--out", type=Path, default=None, metavar="FILE", help="write the results JSON here")
    p.add_argument("--format", choices=FORMATS, default="table", help="what to print on stdout (default: table)")
    p.add_argument("--validate-only", action="store_true", help="check the archive completely, do not score it")
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="float16",
        help="ranking precision of float scores (default: float16, the canonical one)",
    )
    p.add_argument(
        "--fpr95",
        choices=FPR95_DEFINITIONS,
        default="first",
        help="FPR95 definition (default: first; closest = RPL/PEBAL, strict = RbA, interp = ood-metrics)",
    )
    p.add_argument("--auprc", choices=AUPRC_DEFINITIONS, default="step", help="AUPRC definition (default: step)")
    p.add_argument(
        "--polarity",
        choices=("anomaly", "confidence"),
        default=None,
        help="score direction: anomaly (higher = more anomalous) or confidence (higher = less anomalous, "
        "e.g. BRAVO's _conf maps); default: the manifest's polarity, else anomaly",
    )
    p.add_argument(
        "--workers", type=positive_int, default=None, metavar="N", help="worker processes (default: every core)"
    )
    comp = p.add_argument_group("component level (SMIYC: sIoU, PPV, mean F1; needs opencv or scipy)")
    comp.add_argument("--components", action="store_true", help="add component-level metrics to every condition")
    comp.add_argument(
        "--component-threshold",
        type=_component_threshold,
        default="best-f1",
        metavar="best-f1|NUMBER",
        help="binarise scores >= this (default best-f1: the pooled pixel-F1-optimal threshold)",
    )
    comp.add_argument(
        "--min-pred-size",
        type=non_negative_int,
        default=500,
        metavar="PIXELS",
        help="drop predicted components smaller than this (default 500; SMIYC obstacle track: 50)",
    )
    comp.add_argument(
        "--min-gt-size",
        type=non_negative_int,
        default=100,
        metavar="PIXELS",
        help="turn ground-truth components smaller than this void (default 100; obstacle track: 10)",
    )
    stats = p.add_argument_group("uncertainty and comparison")
    stats.add_argument(
        "--bootstrap",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="percentile bootstrap over images with N resamples: every metrics object gains 'ci' "
        "(default 0: off; with --compare: the resamples of the paired bootstrap, default 1000)",
    )
    stats.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        metavar="S",
        help="bootstrap seed (default 0); the same seed gives the same intervals for any --workers",
    )
    stats.add_argument(
        "--ci-level", type=_level, default=0.95, metavar="LEVEL", help="bootstrap interval coverage (default 0.95)"
    )
    stats.add_argument(
        "--compare",
        default=None,
        metavar="ARCHIVE_B",
        help="a second archive scored on the same data: paired differences A - B per metric and "
        "condition, with bootstrap intervals and two-sided p-values (JSON key 'comparison')",
    )
    stats.add_argument(
        "--per-image",
        type=Path,
        default=None,
        metavar="FILE.csv",
        help="write one row per image: id, metadata, auprc, fpr95, auroc, tpr_at_5fpr, anomaly "
        "fraction (empty where undefined)",
    )
    p.add_argument(
        "--plots",
        type=Path,
        default=None,
        metavar="DIR",
        help="write PR / ROC curves and per-weather charts (PNG + CSV) here (needs matplotlib)",
    )
    return p


def build_summary_parser() -> argparse.ArgumentParser:
    """The parser of ``comsamy-eval summary``."""
    from comsamy.report_format import SUMMARY_FORMATS

    p = argparse.ArgumentParser(
        prog=f"{PROG} summary",
        description="Summarise results JSON files (comsamy-eval --out) of one or more methods on several benchmarks "
        "in the paper's Table III layout: AUPRC and FPR95 per benchmark, then the mean over benchmarks.",
    )
    p.add_argument("results", nargs="+", type=Path, metavar="RESULTS.json", help="results files of comsamy-eval --out")
    p.add_argument("--format", choices=SUMMARY_FORMATS, default="table", help="what to print (default: table)")
    return p


def _resolve_preds(preds: str) -> str:
    if preds == "sample" and not os.path.exists(preds):
        from comsamy.data import example_predictions_path

        path = example_predictions_path()
        if not path.exists():
            raise UsageError(
                f"--preds sample: expected the bundled example archive at {path}, got no such file (reinstall comsamy)"
            )
        return str(path)
    return preds


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    seen = set()
    for w in caught:
        text = str(w.message)
        if text not in seen:
            seen.add(text)
            print(f"{PROG}: warning: {text}", file=sys.stderr)


DEFAULT_COMPARE_RESAMPLES = 1000


def _write(path: Path, text: str, flag: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{flag} {path}: expected a writable file path, got {exc.strerror or exc}") from exc


def _score(args: argparse.Namespace, preds: str, data: str, progress: bool) -> object:
    from comsamy.evaluation import evaluate_archive

    common = {
        "config": args.config,
        "split": args.split,
        "precision": args.precision,
        "fpr95": args.fpr95,
        "auprc": args.auprc,
        "workers": args.workers,
        "progress": progress,
        "polarity": args.polarity,
    }
    report = evaluate_archive(
        preds,
        data,
        **common,
        components=args.components,  # type: ignore[arg-type]
        component_threshold=args.component_threshold,
        min_pred_size=args.min_pred_size,
        min_gt_size=args.min_gt_size,
        bootstrap=args.bootstrap,
        seed=args.seed,
        ci_level=args.ci_level,
    )
    if args.compare is None:
        return report
    other = evaluate_archive(_resolve_preds(args.compare), data, **common)  # type: ignore[arg-type]
    return report.compare(other, n=args.bootstrap or DEFAULT_COMPARE_RESAMPLES, seed=args.seed, level=args.ci_level)


def _run(args: argparse.Namespace) -> int:
    from comsamy.evaluation import validate_predictions

    preds = _resolve_preds(args.preds)
    data = args.data if args.data is not None else ("sample" if args.preds == "sample" else "comsamy")
    progress = sys.stderr.isatty()
    try:
        if args.validate_only:
            index = validate_predictions(
                preds,
                data,
                config=args.config,
                split=args.split,
                precision=args.precision,
                workers=args.workers,
                progress=progress,
                polarity=args.polarity,
            )
            kinds = ", ".join(index.to_dict()["dtypes"])
            print(f"{preds}: valid, {len(index.members)} score maps ({index.score_kind}: {kinds}) for dataset {data!r}")
            return 0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            report = _score(args, preds, data, progress)
    except ArchiveError as exc:  # the complete validation report, as one "invalid archive" paragraph
        if not exc.problems:
            raise
        if args.debug:
            traceback.print_exc()
        print(f"{PROG}: invalid archive: {exc.report()}", file=sys.stderr)
        return exc.exit_code
    _print_warnings(caught)
    from comsamy.report_format import render

    if args.out is not None:
        _write(args.out, render(report, "json"), "--out")
    if args.per_image is not None:
        from comsamy.evaluation.per_image import per_image_csv

        _write(args.per_image, per_image_csv(report), "--per-image")
    if args.plots is not None:
        from comsamy.plots import write_plots

        for path in write_plots(report, args.plots):
            print(f"{PROG}: wrote {path}", file=sys.stderr)
    sys.stdout.write(render(report, args.format))
    return 0


def _run_summary(args: argparse.Namespace) -> int:
    from comsamy.evaluation.summary import load_results
    from comsamy.report_format import render_summary

    sys.stdout.write(render_summary(load_results(args.results), args.format))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``comsamy-eval``; returns the exit code (0 scored, 2 usage, 3 invalid archive, 4 data not available).

    ``comsamy-eval summary FILE...`` summarises results files; every other argument list is the flag form.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["summary"]:
        return run_cli(PROG, build_summary_parser(), _run_summary, args[1:])
    return run_cli(PROG, build_parser(), _run, args)


if __name__ == "__main__":
    sys.exit(main())
