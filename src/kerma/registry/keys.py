"""The pseudonym key table: who is behind a facility or device pseudonym. Every read is audited."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from kerma.privacy.audit import record
from kerma.store.schema.registry import registry_keys


def labels(conn: Connection, keys: Iterable[str], actor: str, purpose: str) -> dict[str, str]:
    """Names behind the given pseudonyms (those known), recorded in the audit log with the purpose."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = conn.execute(
        select(registry_keys.c.key, registry_keys.c.label).where(registry_keys.c.key.in_(wanted))
    )
    out = {k: v for k, v in rows}
    record(conn, actor, "registry_key_read", None, {"purpose": purpose, "keys": len(out)})
    return out
