"""SQL store: schema, migrations, writer and the query layer. SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from sqlalchemy import Engine

from kerma.store.db import database_url, is_sqlite, make_engine
from kerma.store.migrate import upgrade


def open_store(url: str | None = None) -> Engine:
    """Engine for ``url`` with the schema brought up to date."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


__all__ = ["database_url", "is_sqlite", "make_engine", "open_store", "upgrade"]
