"""``comsamy-leaderboard``: serve the app, run a scoring worker, manage tokens, migrate, run the demo.

A thin layer over :func:`comsamy.cli.common.run_cli`: parse arguments (the common options are accepted before or
after the action: ``token create TEAM --storage DIR``), build :class:`~leaderboard.settings.Settings`, call the
library. Database URLs are printed with the password hidden.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from comsamy.cli.common import run_cli

PROG = "comsamy-leaderboard"
APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_ADDRESS = "127.0.0.1"
SETTING_OPTIONS = (
    "db",
    "data",
    "storage",
    "config",
    "split",
    "max_upload_mb",
    "quota",
    "failure_quota",
    "quota_window_h",
    "lease_s",
    "max_attempts",
    "min_condition_images",
    "score_memory_mb",
    "score_timeout_s",
)


def _common_parser() -> argparse.ArgumentParser:
    """The options every command takes; SUPPRESS defaults so that a later level never erases an earlier value."""
    p = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    p.add_argument("--db", help="database URL (default: sqlite:///<storage>/leaderboard.db)")
    p.add_argument("--data", help="ground truth: a dataset name or folder for comsamy.load_dataset (default comsamy)")
    p.add_argument("--storage", help="folder for archives and the default SQLite file")
    p.add_argument("--config", help="benchmark config to score against (default all)")
    p.add_argument("--split", help="split to score against (default test)")
    p.add_argument("--max-upload-mb", help="upload size cap in MB (default 200)")
    p.add_argument("--quota", help="successful scorings per team per window (default 5)")
    p.add_argument("--failure-quota", help="failed scorings per team per window (default 10)")
    p.add_argument("--quota-window-h", help="quota window in hours (default 24)")
    p.add_argument("--lease", dest="lease_s", help="job lease in seconds (default 60)")
    p.add_argument("--max-attempts", help="claims of one job before it fails (default 3)")
    p.add_argument("--min-condition-images", help="smallest condition (images) that is published (default 5)")
    p.add_argument("--score-memory-mb", help="memory a scoring may add, MB (default 4096; 0: no limit)")
    p.add_argument("--score-timeout-s", help="time a scoring may take, seconds (default 900)")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    return p


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``comsamy-leaderboard``."""
    common = _common_parser()
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0], parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the Streamlit app", parents=[common])
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default=DEFAULT_ADDRESS, help=f"address to bind (default {DEFAULT_ADDRESS})")

    p = sub.add_parser("worker", help="run a scoring worker (several may run at once)", parents=[common])
    p.add_argument("--once", action="store_true", help="exit when the queue is empty")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between polls of an empty queue")
    p.add_argument("--id", dest="worker_id", help="worker id (default host:pid:random)")
    p.add_argument("--score-workers", type=int, default=1, help="processes per scoring (default 1)")

    p = sub.add_parser("token", help="create or revoke team tokens", parents=[common])
    tsub = p.add_subparsers(dest="action", required=True)
    tsub.add_parser("create", help="issue a token for TEAM (printed once)", parents=[common]).add_argument("team")
    tsub.add_parser("revoke", help="revoke one token, or every token of a team", parents=[common]).add_argument(
        "token_or_team"
    )

    sub.add_parser("migrate", help="upgrade the database schema", parents=[common])

    p = sub.add_parser(
        "demo", help="app + worker on the bundled sample with a seeded table (ctrl-C stops)", parents=[common]
    )
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default=DEFAULT_ADDRESS, help=f"address to bind (default {DEFAULT_ADDRESS})")
    return parser


def settings_from_args(args: argparse.Namespace, **defaults: Any) -> Any:
    """:class:`Settings` from ``COMSAMY_LB_*`` env vars, ``defaults`` and the given options (in that order)."""
    from leaderboard.settings import Settings

    values = {k: v for k, v in defaults.items() if v is not None}
    values.update({k: getattr(args, k) for k in SETTING_OPTIONS if getattr(args, k, None) is not None})
    return Settings.from_env(**values)


def shown_url(url: str) -> str:
    """A database URL as printed: the password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL: make_engine reports it; print nothing secret meanwhile
        return "<unparsable URL>"


def _engine(settings: Any) -> Any:
    from leaderboard.store import make_engine, migrate

    engine = make_engine(settings.db_url)
    migrate(engine)
    return engine


def python_command(*args: str) -> list[str]:
    """``python -P ...``: the current folder is not put on ``sys.path``, so it cannot shadow the packages
    (``-P`` exists from Python 3.11; 3.10 runs without it)."""
    safe = ["-P"] if sys.version_info >= (3, 11) else []
    return [sys.executable, *safe, *args]


def streamlit_command(settings: Any, port: int, address: str = DEFAULT_ADDRESS) -> list[str]:
    """The ``streamlit run`` command line of the app with the server flags (no error details for visitors)."""
    return [
        *python_command("-m", "streamlit", "run", str(APP)),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.maxUploadSize",
        str(settings.max_upload_mb),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--client.showErrorDetails",
        "false",
    ]


def worker_command(*args: str) -> list[str]:
    """How to start a worker process: the ``comsamy-leaderboard`` console script beside this Python, else
    ``python -P -m leaderboard.cli`` (neither lets the current folder shadow the package)."""
    script = Path(sys.executable).with_name(PROG)
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), "worker", *args]
    return [*python_command("-m", "leaderboard.cli"), "worker", *args]


def _serve(args: argparse.Namespace) -> int:
    from leaderboard.storage import ArchiveStore

    settings = settings_from_args(args)
    _engine(settings).dispose()
    ArchiveStore(settings.storage).clean_tmp()  # nothing uploads before the app runs
    env = {**os.environ, **settings.to_env()}
    print(f"ComsAmy leaderboard on http://{args.address}:{args.port} (db {shown_url(settings.db_url)})", flush=True)
    cmd = streamlit_command(settings, args.port, args.address)
    os.execve(cmd[0], cmd, env)  # the app replaces this process: signals reach Streamlit directly
    return 0  # pragma: no cover


def _worker(args: argparse.Namespace) -> int:
    from leaderboard.scoring import ComsamyScorer, make_scorer
    from leaderboard.worker import Worker

    settings = settings_from_args(args)
    engine = _engine(settings)
    scorer = make_scorer(settings)
    if isinstance(scorer, ComsamyScorer):
        scorer.workers = args.score_workers
    scorer.identity()  # load the ground truth now: fail fast (exit 4) if it is not there, and warm up
    worker = Worker(engine, settings, scorer, worker_id=args.worker_id)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop.set())  # finish the current job, then exit
    print(f"worker {worker.worker_id} scoring against {settings.data!r} (db {shown_url(settings.db_url)})", flush=True)
    done = worker.run(poll_s=args.poll, once=args.once)
    print(f"worker {worker.worker_id}: {done} job(s) done", flush=True)
    return 0


def _token(args: argparse.Namespace) -> int:
    from leaderboard import tokens

    settings = settings_from_args(args)
    engine = _engine(settings)
    if args.action == "create":
        print(tokens.create_token(engine, args.team))
        print(
            f"Keep this token: it is shown once; only its hash is stored, in {shown_url(settings.db_url)}.",
            file=sys.stderr,
        )
    else:
        n = tokens.revoke(engine, args.token_or_team)
        print(f"revoked {n} token(s)")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from leaderboard.store.db import current_revision

    settings = settings_from_args(args)
    engine = _engine(settings)
    print(f"{shown_url(settings.db_url)}: schema at revision {current_revision(engine)}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import tempfile

    from leaderboard.demo import run_demo

    storage = None if getattr(args, "storage", None) else tempfile.mkdtemp(prefix="comsamy-leaderboard-demo-")
    settings = settings_from_args(args, data="sample", storage=storage)
    return run_demo(settings, port=args.port, address=args.address, announce=lambda line: print(line, flush=True))


COMMANDS = {"serve": _serve, "worker": _worker, "token": _token, "migrate": _migrate, "demo": _demo}


def _run(args: argparse.Namespace) -> int:
    import logging

    debug = bool(getattr(args, "debug", False))
    logging.getLogger().setLevel(logging.DEBUG if debug else logging.INFO)
    if not debug:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    return COMMANDS[args.command](args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``comsamy-leaderboard``; returns the exit code."""
    return run_cli(PROG, build_parser(), _run, argv)


if __name__ == "__main__":
    sys.exit(main())
