"""The scheduled summary for the responsible MPE and radiologists: exams, alerts, rooms above the DRL
and protocol names that no exam code covers yet; and when the next one is due.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from kerma.alerts.config import ReportConfig
from kerma.alerts.review import State
from kerma.store.schema.alerts import alert_outbox, alert_rules, alerts
from kerma.store.schema.core import studies

OPEN_STATES = (State.NEW.value, State.ACKNOWLEDGED.value, State.UNDER_REVIEW.value)


def period_for(now: datetime, cfg: ReportConfig) -> tuple[datetime, datetime]:
    """The latest complete period ending at ``cfg.hour`` o'clock (on ``cfg.weekday`` for weekly
    periods) no later than ``now``."""
    end = now.replace(hour=cfg.hour, minute=0, second=0, microsecond=0)
    if end > now:
        end -= timedelta(days=1)
    if cfg.every_days % 7 == 0:
        while end.weekday() != cfg.weekday:
            end -= timedelta(days=1)
    return end - timedelta(days=cfg.every_days), end


def _exams(conn: Connection, start: datetime, end: datetime) -> dict[str, Any]:
    rows = conn.execute(
        select(studies.c.modality, func.count())
        .where(
            studies.c.study_datetime >= start, studies.c.study_datetime < end, studies.c.is_phantom.is_(False)
        )
        .group_by(studies.c.modality)
    ).all()
    by_mod = {(r[0] or "?"): int(r[1]) for r in rows}
    return {"total": sum(by_mod.values()), "by_modality": by_mod}


def _alerts(conn: Connection, start: datetime, end: datetime) -> dict[str, Any]:
    in_period = (alerts.c.detected_at >= start, alerts.c.detected_at < end)
    by_rule = conn.execute(
        select(alert_rules.c.name, func.count())
        .select_from(alerts.join(alert_rules, alert_rules.c.id == alerts.c.rule_id))
        .where(*in_period)
        .group_by(alert_rules.c.name)
        .order_by(func.count().desc(), alert_rules.c.name)
    ).all()
    by_state = conn.execute(
        select(alerts.c.state, func.count()).where(*in_period).group_by(alerts.c.state)
    ).all()
    still_open = conn.execute(select(func.count()).where(alerts.c.state.in_(OPEN_STATES))).scalar_one()
    return {
        "raised": sum(int(r[1]) for r in by_rule),
        "by_rule": [{"rule": r[0], "count": int(r[1])} for r in by_rule],
        "by_state": {r[0]: int(r[1]) for r in by_state},
        "open": int(still_open),
    }


def _rooms_above_drl(
    conn: Connection, start: datetime, end: datetime, min_studies: int
) -> list[dict[str, Any]]:
    """Rooms whose median over the period is above the DRL in force, as the DRL compliance computes it."""
    from kerma.analytics.quantities import StatsFilter
    from kerma.drl.compliance import compliance

    rows = compliance(conn.engine, StatsFilter(date_from=start, date_to=end), min_n=min_studies)
    return [
        {
            "device_id": r["device_id"],
            "room": r["room"] or r["station_name"],
            "exam_code": r["exam_code"],
            "exam_name": r["exam_name"],
            "band": r["band"],
            "quantity": r["quantity"],
            "per": r["per"],
            "median": r["median"],
            "drl": r["drl"],
            "drl_set": r["drl_set"],
            "studies": r["n"],
        }
        for r in rows
        if r["exceeds_drl"]
    ]


def _unmapped(conn: Connection, start: datetime, end: datetime, top: int) -> dict[str, Any]:
    """Local exam names no mapping rule covers yet, most frequent first."""
    from kerma.nomenclature.service import unmapped_names

    names = unmapped_names(conn.engine, date_from=start, date_to=end, top=1)
    return {
        "studies": sum(u.studies for u in names),
        "names": [
            {
                "modality": u.modality,
                "name": u.name,
                "count": u.studies,
                "suggestion": u.suggestions[0].exam_code if u.suggestions else None,
            }
            for u in names[:top]
        ],
    }


def build_summary(
    conn: Connection, start: datetime, end: datetime, *, min_studies: int = 10, top_unmapped: int = 20
) -> dict[str, Any]:
    """The summary's content for exams dated in [start, end) (JSON-ready)."""
    failed = conn.execute(select(func.count()).where(alert_outbox.c.state == "failed")).scalar_one()
    return {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "exams": _exams(conn, start, end),
        "alerts": _alerts(conn, start, end),
        "rooms_above_drl": _rooms_above_drl(conn, start, end, min_studies),
        "unmapped": _unmapped(conn, start, end, top_unmapped),
        "failed_notifications": int(failed),
    }
