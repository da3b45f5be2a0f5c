"""``comsamy-eval``: score a prediction archive on the ComsAmy benchmark (or validate it).

A thin layer: parse the arguments, call :func:`comsamy.evaluation.evaluate_archive`, render the report, and map
:class:`~comsamy.errors.ComsamyError` to exit codes: 0 scored, 2 usage error, 3 invalid archive (the complete
validation report on stderr), 4 data not available. Errors are one paragraph; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

from comsamy.errors import ArchiveError, ComsamyError, UsageError

PROG = "comsamy-eval"
EXAMPLES = """examples:
  comsamy-eval --preds sample                       # the bundled example archive on the bundled sample
  comsamy-eval --preds preds.zip --out results.json # the benchmark (COMSAMY_DATA or the Hub)
  comsamy-eval --preds preds.zip --validate-only    # check the archive only
exit codes: 0 scored, 2 usage error, 3 invalid archive, 4 data not available"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``comsamy-eval``."""
    from comsamy.report_format import FORMATS

    p = argparse.ArgumentParser(
        prog=PROG,
        description="Score a prediction archive (zip or folder of per-image score maps) with the ComsAmy "
        "pixel-level metrics: AUPRC, FPR95, AUROC, overall and per condition.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--preds", required=True, metavar="ARCHIVE",
                   help="zip file or folder of score maps; 'sample' = the bundled example archive")
    p.add_argument("--data", default=None, metavar="NAME_OR_PATH",
                   help="dataset: 'comsamy' (default; COMSAMY_DATA or the Hub), 'sample', a folder or a Hub id "
                        "(default with --preds sample: 'sample')")
    p.add_argument("--config", default="all", help="dataset config (default: all)")
    p.add_argument("--split", default="test", help="dataset split (default: test)")
    p.add_argument("--out", type=Path, default=None, metavar="FILE", help="write the results JSON here")
    p.add_argument("--format", choices=FORMATS, default="table", help="what to print on stdout (default: table)")
    p.add_argument("--validate-only", action="store_true", help="check the archive completely, do not score it")
    p.add_argument("--precision", choices=("float16", "float32"), default="float16",
                   help="ranking precision of float scores (default: float16, the canonical one)")
    p.add_argument("--fpr95", choices=("first", "closest", "interp"), default="first",
                   help="FPR95 definition (default: first)")
    p.add_argument("--auprc", choices=("step", "trapezoid"), default="step", help="AUPRC definition (default: step)")
    p.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                   help="worker processes (default: every core)")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    return p


def _resolve_preds(preds: str) -> str:
    if preds == "sample" and not os.path.exists(preds):
        from comsamy.data import example_predictions_path

        path = example_predictions_path()
        if not path.exists():
            raise UsageError(f"--preds sample: expected the bundled example archive at {path}, got no such file "
                             "(reinstall comsamy)")
        return str(path)
    return preds


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    seen = set()
    for w in caught:
        text = str(w.message)
        if text not in seen:
            seen.add(text)
            print(f"{PROG}: warning: {text}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from comsamy.evaluation import evaluate_archive, validate_predictions

    preds = _resolve_preds(args.preds)
    data = args.data if args.data is not None else ("sample" if args.preds == "sample" else "comsamy")
    progress = sys.stderr.isatty()
    if args.validate_only:
        index = validate_predictions(preds, data, config=args.config, split=args.split, precision=args.precision,
                                     workers=args.workers, progress=progress)
        kinds = ", ".join(index.to_dict()["dtypes"])
        print(f"{preds}: valid, {len(index.members)} score maps ({index.score_kind}: {kinds}) for dataset {data!r}")
        return 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = evaluate_archive(preds, data, config=args.config, split=args.split, precision=args.precision,
                                  fpr95=args.fpr95, auprc=args.auprc, workers=args.workers, progress=progress)
    _print_warnings(caught)
    from comsamy.report_format import render

    if args.out is not None:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(render(report, "json"), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--out {args.out}: expected a writable file path, got {exc.strerror or exc}") from exc
    sys.stdout.write(render(report, args.format))
    return 0


def _paragraph(exc: ComsamyError) -> str:
    if isinstance(exc, ArchiveError) and exc.problems:
        return f"{PROG}: invalid archive: {exc.report()}"
    return f"{PROG}: {exc}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``comsamy-eval``; returns the exit code (0 scored, 2 usage, 3 invalid archive, 4 data not available)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format=f"{PROG}: %(levelname)s: %(message)s")
    try:
        return _run(args)
    except ComsamyError as exc:
        if args.debug:
            traceback.print_exc()
        print(_paragraph(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one paragraph, the traceback only with --debug
        if args.debug:
            traceback.print_exc()
        print(f"{PROG}: internal error: {type(exc).__name__}: {exc}. Run again with --debug for the traceback and "
              "please report it.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
