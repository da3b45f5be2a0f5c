"""What every ComsAmy command shares: one runner (:func:`run_cli`) and argument types.

The runner is the only place that maps outcomes to exit codes, for all six console scripts:

* argparse's ``SystemExit`` never escapes ``main(argv)``: ``--help`` returns 0, a usage error 2;
* a :class:`~comsamy.errors.ComsamyError` prints ``exc.report()`` as one paragraph and returns its ``exit_code``
  (2 usage, 3 invalid input, 4 data not available, 5 missing extra);
* an ``ImportError`` of an optional package becomes the one ``pip install`` line (exit 5), never a traceback and
  never "data not available";
* Ctrl-C returns 130; any other exception is an internal error (exit 1) whose traceback only ``--debug`` shows.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable, Sequence

from comsamy.errors import ComsamyError, MissingDependencyError


def add_debug_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--debug`` (tracebacks and debug logging) unless the parser already has it."""
    if not any("--debug" in a.option_strings for a in parser._actions):
        parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")


def run_cli(
    prog: str,
    parser: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace], int | None],
    argv: Sequence[str] | None = None,
) -> int:
    """Parse ``argv`` with ``parser``, call ``run(args)`` and turn every outcome into an exit code.

    Args:
        prog: the name printed before every message (``comsamy-eval``).
        parser: the command's parser; ``--debug`` is added when missing.
        run: the command itself; returns its exit code (None means 0).
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 2 usage error, 3 invalid input, 4 data not available, 5 missing extra, 130 interrupted,
        1 internal error.
    """
    add_debug_argument(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    debug = bool(getattr(args, "debug", False))
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format=f"{prog}: %(levelname)s: %(message)s")
    try:
        code = run(args)
        return 0 if code is None else int(code)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except ComsamyError as exc:
        if debug:
            traceback.print_exc()
        print(f"{prog}: error: {exc.report()}", file=sys.stderr)
        return exc.exit_code
    except ImportError as exc:
        dep = MissingDependencyError.from_import_error(exc)
        if dep is None:
            return _internal(prog, exc, debug)
        if debug:
            traceback.print_exc()
        print(f"{prog}: error: {dep.report()}", file=sys.stderr)
        return dep.exit_code
    except SystemExit as exc:  # a library calling sys.exit: keep its code, never let it escape main(argv)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except OSError as exc:  # disk full, permissions, a file where a folder should be: one line, no traceback
        if debug:
            traceback.print_exc()
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one paragraph, the traceback only with --debug
        return _internal(prog, exc, debug)


def _internal(prog: str, exc: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    print(
        f"{prog}: internal error: {type(exc).__name__}: {exc}. Run again with --debug for the traceback and "
        "please report it.",
        file=sys.stderr,
    )
    return 1


def size_argument(text: str) -> tuple[int, int]:
    """Parse ``WIDTHxHEIGHT`` (e.g. ``480x270``) into a positive ``(width, height)`` for argparse.

    >>> size_argument("480x270")
    (480, 270)
    """
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 480x270, got {text!r}") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive WIDTHxHEIGHT, got {text!r}")
    return w, h


def _int_at_least(text: str, minimum: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return value


def positive_int(text: str) -> int:
    """Parse a positive integer for argparse.

    >>> positive_int("3")
    3
    """
    return _int_at_least(text, 1, "a positive integer")


def non_negative_int(text: str) -> int:
    """Parse a non-negative integer for argparse.

    >>> non_negative_int("0")
    0
    """
    return _int_at_least(text, 0, "a non-negative integer")


__all__ = ["add_debug_argument", "non_negative_int", "positive_int", "run_cli", "size_argument"]
