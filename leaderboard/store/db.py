"""Engine creation (SQLite pragmas) and programmatic Alembic migrations."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from comsamy.errors import ConfigError

log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
HEAD_REVISION = "0002"
"""The newest migration (a test checks it is Alembic's head): a database already there skips Alembic entirely."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL, a busy timeout, foreign keys and immediate transactions.

    Every SQLite transaction starts with ``BEGIN IMMEDIATE`` so that a read-then-write transaction never
    fails with a stale snapshot when another process wrote in between: writers queue on the busy timeout.

    Raises:
        ConfigError: ``url`` is not a database URL SQLAlchemy understands.
    """
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True, **kwargs)
    except (ArgumentError, NoSuchModuleError, ValueError, ImportError) as exc:
        raise ConfigError(
            f"--db: expected a database URL such as sqlite:///leaderboard.db or postgresql+psycopg://user@host/db "
            f"(with its driver installed), got {url!r} ({exc})"
        ) from exc
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook below emit BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config(engine: Engine) -> Any:
    """An Alembic ``Config`` built in code that points at the packaged migrations folder."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def migrate(engine: Engine, *, retries: int = 5) -> str:
    """Upgrade the schema to the newest revision (idempotent); return that revision.

    Two processes that start together may race to create the tables; the loser retries once the winner
    has committed.
    """
    if _stored_revision(engine) == HEAD_REVISION:
        return HEAD_REVISION
    from alembic import command

    cfg = alembic_config(engine)
    sqlite = engine.dialect.name == "sqlite"
    for attempt in range(retries):
        try:
            with engine.connect() as conn:
                if sqlite:  # a batch migration recreates tables: dropping one must not cascade to its children
                    _sqlite_foreign_keys(conn, on=False)
                try:
                    with conn.begin():
                        cfg.attributes["connection"] = conn
                        command.upgrade(cfg, "head")
                        if sqlite:
                            bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                            if bad:
                                raise RuntimeError(f"migration left rows without their parent: {bad[:5]}")
                finally:
                    if sqlite:
                        _sqlite_foreign_keys(conn, on=True)
            break
        except Exception:  # a concurrent migration; anything else repeats and is raised
            if attempt == retries - 1:
                raise
            log.info("migration raced with another process; retrying", exc_info=True)
            time.sleep(0.2 * (attempt + 1))
    return current_revision(engine)


def _stored_revision(engine: Engine) -> str | None:
    """The ``alembic_version`` row read with plain SQL (None when there is no such table yet)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


def _sqlite_foreign_keys(conn: Any, *, on: bool) -> None:
    """Switch SQLite's foreign keys on the raw connection, outside any transaction (where the PRAGMA works)."""
    conn.connection.dbapi_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def current_revision(engine: Engine) -> str:
    """The schema revision the database is at (empty string before any migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""
