"""The store and queue tests again on a throwaway PostgreSQL cluster (skipped when initdb or psycopg is missing)."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from tests.leaderboard.test_queue import (  # noqa: F401 - re-collected here against PostgreSQL
    test_bad_archive_fails_with_report_others_unaffected,
    test_bounded_attempts,
    test_claim_fifo_and_exclusive,
    test_racing_claims_one_winner,
    test_stale_claim_is_fenced,
    test_worker_scores_and_reuses,
)
from tests.leaderboard.test_store import test_migration_matches_models_and_is_idempotent  # noqa: F401

from leaderboard.settings import Settings
from leaderboard.store import make_engine
from tests.leaderboard.procs import free_port

pytestmark = pytest.mark.slow
_counter = itertools.count()


def _runner() -> list[str] | None:
    """How to run the PostgreSQL tools: directly, or as the postgres user when we are root."""
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        return None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return None
    return ["su", "postgres", "-s", "/bin/sh", "-c"]


@pytest.fixture(scope="module")
def pg_server():
    runner = _runner()
    if runner is None:
        pytest.skip("PostgreSQL (initdb, pg_ctl) or psycopg not installed")
    root = Path(tempfile.mkdtemp(prefix="comsamy-lb-pg-"))  # outside pytest's 0700 folder: postgres must enter
    os.chmod(root, 0o777)
    port = free_port()
    data = root / "data"

    def run(cmd: str) -> None:
        full = [*runner, cmd] if runner else ["sh", "-c", cmd]
        subprocess.run(full, check=True, capture_output=True, timeout=120)

    run(f"initdb -D {data} -A trust -U lb")
    run(f"pg_ctl -D {data} -o '-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off' "
        f"-l {root / 'pg.log'} -w start")
    try:
        yield f"postgresql+psycopg://lb@127.0.0.1:{port}"
    finally:
        run(f"pg_ctl -D {data} -m immediate -w stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def settings(tmp_path, pg_server):
    name = f"lb_{next(_counter)}"
    admin = make_engine(f"{pg_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return Settings(db=f"{pg_server}/{name}", storage=str(tmp_path / "storage"), quota=3, quota_window_h=1.0,
                    lease_s=30.0, max_attempts=2, max_upload_mb=1)


# `engine` and `token` come from conftest.py; they take this module's `settings`, so they run on PostgreSQL.


def test_store_fixtures_run_on_postgresql(engine):
    """Guards the fixture override above: the shared `engine` must be this module's PostgreSQL one."""
    assert engine.dialect.name == "postgresql"
