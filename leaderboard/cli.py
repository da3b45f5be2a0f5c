"""``comsamy-leaderboard``: serve the app, run a scoring worker, manage tokens, migrate, run the demo.

A thin layer: parse arguments, build :class:`~leaderboard.settings.Settings`, call the library, map
:class:`~comsamy.errors.ComsamyError` to its exit code with a one-paragraph message (no traceback).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from comsamy.errors import ComsamyError

APP = Path(__file__).resolve().parent / "app.py"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database URL (default: sqlite:///<storage>/leaderboard.db)")
    p.add_argument("--data", help="ground truth: a dataset name or folder for comsamy.load_dataset (default comsamy)")
    p.add_argument("--storage", help="folder for archives and the default SQLite file")
    p.add_argument("--config", help="benchmark config to score against (default all)")
    p.add_argument("--split", help="split to score against (default test)")
    p.add_argument("--max-upload-mb", type=int, help="upload size cap in MB (default 200)")
    p.add_argument("--quota", type=int, help="successful scorings per team per window (default 5)")
    p.add_argument("--quota-window-h", type=float, help="quota window in hours (default 24)")
    p.add_argument("--lease", dest="lease_s", type=float, help="job lease in seconds (default 60)")
    p.add_argument("--max-attempts", type=int, help="claims of one job before it fails (default 3)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``comsamy-leaderboard``."""
    parser = argparse.ArgumentParser(prog="comsamy-leaderboard", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the Streamlit app")
    _common(p)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="", help="address to bind (default: all)")

    p = sub.add_parser("worker", help="run a scoring worker (several may run at once)")
    _common(p)
    p.add_argument("--once", action="store_true", help="exit when the queue is empty")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between polls of an empty queue")
    p.add_argument("--id", dest="worker_id", help="worker id (default host:pid:random)")
    p.add_argument("--score-workers", type=int, default=1, help="processes per scoring (default 1)")

    p = sub.add_parser("token", help="create or revoke team tokens")
    _common(p)
    tsub = p.add_subparsers(dest="action", required=True)
    tsub.add_parser("create", help="issue a token for TEAM (printed once)").add_argument("team")
    tsub.add_parser("revoke", help="revoke one token, or every token of a team").add_argument("token_or_team")

    p = sub.add_parser("migrate", help="upgrade the database schema")
    _common(p)

    p = sub.add_parser("demo", help="app + worker on the bundled sample with a seeded table (ctrl-C stops)")
    _common(p)
    p.add_argument("--port", type=int, default=8501)
    return parser


def _settings(args: argparse.Namespace):  # noqa: ANN202 - Settings, imported lazily
    from leaderboard.settings import Settings

    keys = ("db", "data", "storage", "config", "split", "max_upload_mb", "quota", "quota_window_h", "lease_s",
            "max_attempts")
    return Settings.from_env(**{k: getattr(args, k, None) for k in keys})


def _engine(settings):  # noqa: ANN001, ANN202
    from leaderboard.store import make_engine, migrate

    engine = make_engine(settings.db_url)
    migrate(engine)
    return engine


def streamlit_command(settings, port: int, address: str = "") -> list[str]:  # noqa: ANN001
    """The ``streamlit run`` command line of the app with the server flags."""
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless", "true", "--server.port", str(port),
        "--server.maxUploadSize", str(settings.max_upload_mb),
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--server.runOnSave", "false", "--client.toolbarMode", "viewer",
    ]
    if address:
        cmd += ["--server.address", address]
    return cmd


def _serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _engine(settings).dispose()
    env = {**os.environ, **settings.to_env()}
    print(f"ComsAmy leaderboard on http://localhost:{args.port} (db {settings.db_url})", flush=True)
    cmd = streamlit_command(settings, args.port, args.address)
    if getattr(args, "no_exec", False):  # pragma: no cover - kept for debugging under a supervisor
        return subprocess.call(cmd, env=env)
    os.execve(cmd[0], cmd, env)  # the app replaces this process: signals reach Streamlit directly
    return 0  # pragma: no cover


def _worker(args: argparse.Namespace) -> int:
    from leaderboard.scoring import ComsamyScorer, make_scorer
    from leaderboard.worker import Worker

    settings = _settings(args)
    engine = _engine(settings)
    scorer = make_scorer(settings)
    if isinstance(scorer, ComsamyScorer):
        scorer.workers = args.score_workers
    scorer.identity()  # load the ground truth now: fail fast (exit 4) if it is not there, and warm up
    worker = Worker(engine, settings, scorer, worker_id=args.worker_id)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop.set())  # finish the current job, then exit
    print(f"worker {worker.worker_id} scoring against {settings.data!r} (db {settings.db_url})", flush=True)
    try:
        done = worker.run(poll_s=args.poll, once=args.once)
    except KeyboardInterrupt:
        return 0
    print(f"worker {worker.worker_id}: {done} job(s) done", flush=True)
    return 0


def _token(args: argparse.Namespace) -> int:
    from leaderboard import tokens

    engine = _engine(_settings(args))
    if args.action == "create":
        print(tokens.create_token(engine, args.team))
        print("Keep this token: it is shown once and stored only as a hash.", file=sys.stderr)
    else:
        n = tokens.revoke(engine, args.token_or_team)
        print(f"revoked {n} token(s)")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from leaderboard.store.db import current_revision

    settings = _settings(args)
    engine = _engine(settings)
    print(f"{settings.db_url}: schema at revision {current_revision(engine)}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from leaderboard.demo import run_demo

    return run_demo(args, _settings, lambda line: print(line, flush=True))


COMMANDS = {"serve": _serve, "worker": _worker, "token": _token, "migrate": _migrate, "demo": _demo}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``comsamy-leaderboard``; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.debug:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return COMMANDS[args.command](args)
    except ComsamyError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
