"""The audit log: logins, identity views, exports and configuration changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from kerma.store.schema.core import audit_log


def record(
    conn: Connection, actor: str, action: str, target: str | None, detail: dict[str, Any] | None = None
) -> None:
    """Append one audit entry in the caller's transaction."""
    conn.execute(
        audit_log.insert().values(
            at=datetime.now(UTC).replace(tzinfo=None),
            actor=actor,
            action=action,
            target=target,
            detail=detail,
        )
    )
