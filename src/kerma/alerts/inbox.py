"""The in-app inbox as other parts of Kerma read it (the overview page's 'open alerts')."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from kerma.alerts.queries import AlertFilter, list_alerts
from kerma.alerts.summary import OPEN_STATES


def open_alerts(engine: Engine, limit: int = 10) -> list[dict[str, Any]]:
    """Alerts still to be dealt with (new, acknowledged, under review), newest first.

    Each row has the alert list's keys plus ``created_at`` (when it was raised) and ``rule_name``.
    """
    with engine.connect() as conn:
        rows = list_alerts(conn, AlertFilter(states=OPEN_STATES, limit=limit))
    for r in rows:
        r["created_at"] = r["detected_at"]
        r["rule_name"] = r["rule"]
    return rows
