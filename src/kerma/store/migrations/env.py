"""Alembic environment: runs against the connection Kerma hands over (see kerma.store.migrate)."""

from __future__ import annotations

from alembic import context

from kerma.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - Kerma always passes a connection
    raise RuntimeError("run migrations through kerma.store.migrate.upgrade()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
