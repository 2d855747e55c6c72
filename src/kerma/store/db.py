"""Engines: SQLite (the embedded default) and PostgreSQL, with the settings each needs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

DEFAULT_URL = "sqlite:///kerma.db"


def database_url(url: str | None = None) -> str:
    """The URL to use: the explicit one, else ``KERMA_DATABASE_URL``, else ``sqlite:///kerma.db``."""
    return url or os.environ.get("KERMA_DATABASE_URL") or DEFAULT_URL


def _normalise(url: str) -> str:
    # "postgresql://" means psycopg 3 here (the only PostgreSQL driver Kerma installs).
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (the dashboard) run while the listener writes; FULL makes a commit durable,
    # which is what allows a DICOM object to be acknowledged after its commit.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def _no_driver_transactions(dbapi_conn: Any, _record: Any) -> None:
    # sqlite3 would open transactions itself (deferred); the "begin" listener below does it instead
    dbapi_conn.isolation_level = None


def _begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None, *, immediate_writes: bool = False, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (see :func:`database_url`); SQLite files' folders are created.

    ``immediate_writes`` (SQLite): every transaction takes the write lock when it begins, for engines
    that only write (ingest workers in several processes), so a writer waits for the lock instead of
    failing with "database is locked" when another process committed after its first read.
    """
    resolved = _normalise(database_url(url))
    parsed = make_url(resolved)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(resolved, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        if immediate_writes:
            event.listen(engine, "connect", _no_driver_transactions)
            event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(resolved, pool_pre_ping=True, **kwargs)


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded database."""
    return engine.dialect.name == "sqlite"
