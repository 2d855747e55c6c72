"""The migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from kerma.store import open_store
from kerma.store.schema import metadata


def test_migrated_schema_matches_metadata(db_url: str) -> None:
    engine = open_store(db_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == [], f"migrations and schema differ: {diff}"
    assert {"studies", "events", "patients", "patient_identities", "devices"} <= tables


def test_upgrade_is_idempotent(db_url: str) -> None:
    open_store(db_url).dispose()
    open_store(db_url).dispose()
