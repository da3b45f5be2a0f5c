"""The store and queue tests again on a throwaway PostgreSQL cluster.

The server binaries are found on PATH or where Debian puts them (``/usr/lib/postgresql/<version>/bin``); as root
they run as the ``postgres`` user (initdb and postgres refuse root). Where PostgreSQL or psycopg is missing the
tests skip, unless ``COMSAMY_REQUIRE_POSTGRES`` is set (CI sets it): then they fail.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from leaderboard.settings import Settings
from leaderboard.store import make_engine
from tests.leaderboard.procs import free_port
from tests.leaderboard.test_hostile import test_failures_after_scoring_started_are_rate_limited  # noqa: F401
from tests.leaderboard.test_queue import (  # noqa: F401 - re-collected here against PostgreSQL
    test_bad_archive_fails_with_report_others_unaffected,
    test_bounded_attempts,
    test_claim_fifo_and_exclusive,
    test_racing_claims_one_winner,
    test_stale_claim_is_fenced,
    test_worker_scores_and_reuses,
)
from tests.leaderboard.test_store import (  # noqa: F401
    test_migration_matches_models_and_is_idempotent,
    test_vocabulary_check_constraints,
)

pytestmark = pytest.mark.slow
_counter = itertools.count()


REQUIRE_ENV = "COMSAMY_REQUIRE_POSTGRES"


def pg_bin() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: on PATH, else Debian's newest ``/usr/lib/postgresql/*/bin``."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(x) for x in Path(p).parts[-3].split(".") if x.isdigit()],
    )
    return Path(candidates[-1]).parent if candidates else None


def _runner() -> tuple[list[str] | None, str]:
    """How to run the PostgreSQL tools (directly, or as the postgres user when we are root), or why not."""
    if pg_bin() is None:
        return None, "PostgreSQL server binaries (initdb, pg_ctl) not found; run .ci/install_postgres.sh"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None, "psycopg not installed (pip install 'comsamy[postgres]')"
    if os.geteuid() != 0:
        return [], ""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return None, "running as root and there is no `postgres` user to run the server as"
    return ["su", "postgres", "-s", "/bin/sh", "-c"], ""


def runner_or_skip() -> list[str]:
    """The runner, or skip (fail where ``COMSAMY_REQUIRE_POSTGRES`` is set) saying what is missing."""
    runner, why = _runner()
    if runner is None:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{REQUIRE_ENV} is set but {why}")
        pytest.skip(why)
    return runner


def test_missing_postgresql_fails_when_required(monkeypatch):
    monkeypatch.setattr(f"{__name__}.pg_bin", lambda: None)
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="initdb, pg_ctl"):
        runner_or_skip()
    monkeypatch.delenv(REQUIRE_ENV)
    with pytest.raises(pytest.skip.Exception, match=r"install_postgres\.sh"):
        runner_or_skip()


@pytest.fixture(scope="module")
def pg_server():
    runner = runner_or_skip()
    bindir = pg_bin()
    root = Path(tempfile.mkdtemp(prefix="comsamy-lb-pg-"))  # outside pytest's 0700 folder: postgres must enter
    os.chmod(root, 0o777)
    port = free_port()
    data = root / "data"

    def run(cmd: str) -> None:
        full = [*runner, cmd] if runner else ["sh", "-c", cmd]
        subprocess.run(full, check=True, capture_output=True, timeout=120)

    run(f"{bindir / 'initdb'} -D {data} -A trust -U lb")
    run(
        f"{bindir / 'pg_ctl'} -D {data} -o '-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off' "
        f"-l {root / 'pg.log'} -w start"
    )
    try:
        yield f"postgresql+psycopg://lb@127.0.0.1:{port}"
    finally:
        run(f"{bindir / 'pg_ctl'} -D {data} -m immediate -w stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def settings(tmp_path, pg_server):
    name = f"lb_{next(_counter)}"
    admin = make_engine(f"{pg_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return Settings(
        db=f"{pg_server}/{name}",
        storage=str(tmp_path / "storage"),
        quota=3,
        quota_window_h=1.0,
        lease_s=30.0,
        max_attempts=2,
        max_upload_mb=1,
    )


# `engine` and `token` come from conftest.py; they take this module's `settings`, so they run on PostgreSQL.


def test_store_fixtures_run_on_postgresql(engine):
    """Guards the fixture override above: the shared `engine` must be this module's PostgreSQL one."""
    assert engine.dialect.name == "postgresql"
