"""Reading the audit log (logins, identity views, exports, configuration changes) for admins."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select

from kerma.store.schema.core import audit_log
from kerma.web.data.studies import escape_like

# Groups offered as filters: the action names (or prefixes) each covers.
GROUPS: dict[str, tuple[str, ...]] = {
    "logins": ("login.", "logout"),
    "identity": ("identity.",),
    "exports": ("export.",),
    "users": ("user.", "token."),
    "changes": ("http.", "device.", "drl.", "mapping.", "alert.", "registry.", "config."),
}


def list_audit(
    engine: Engine,
    group: str | None = None,
    actor: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    page: int = 1,
    page_size: int = 100,
) -> tuple[list[dict[str, Any]], int]:
    """One page of audit entries, newest first, and the number of matching entries."""
    conds: list[Any] = []
    if group in GROUPS:
        conds.append(
            or_(*[audit_log.c.action.like(escape_like(p) + "%", escape="\\") for p in GROUPS[group]])
        )
    if actor:
        conds.append(func.lower(audit_log.c.actor) == actor.strip().lower())
    if day_from:
        conds.append(audit_log.c.at >= datetime.combine(day_from, time.min))
    if day_to:
        conds.append(audit_log.c.at < datetime.combine(day_to + timedelta(days=1), time.min))
    where = and_(True, *conds)
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(audit_log).where(where)).scalar_one())
        rows = [
            dict(r)
            for r in conn.execute(
                select(audit_log)
                .where(where)
                .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
                .limit(page_size)
                .offset((max(page, 1) - 1) * page_size)
            ).mappings()
        ]
    return rows, total
