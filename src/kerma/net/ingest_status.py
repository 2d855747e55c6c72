"""Ingest status for the status page: counts per channel and source, last errors, the listener's state."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from kerma.store.schema.core import dose_objects, ingest_log
from kerma.store.schema.net import mpps_steps
from kerma.store.writer import utcnow

FAILED_OUTCOMES = ("rejected", "failed")


def ingest_status(engine: Engine, node: dict[str, Any] | None = None, errors: int = 20) -> dict[str, Any]:
    """Counts of the ingest log per channel and outcome (all time and last 24 h), stored objects per
    dose source and status, MPPS steps per status, the last rejected objects, and the listener's state."""
    since = utcnow() - timedelta(hours=24)
    with engine.connect() as conn:
        by_channel: dict[str, dict[str, int]] = {}
        for channel, outcome, n in conn.execute(
            select(ingest_log.c.channel, ingest_log.c.outcome, func.count()).group_by(
                ingest_log.c.channel, ingest_log.c.outcome
            )
        ):
            by_channel.setdefault(channel, {})[outcome] = int(n)
        last_24h: dict[str, dict[str, int]] = {}
        for channel, outcome, n in conn.execute(
            select(ingest_log.c.channel, ingest_log.c.outcome, func.count())
            .where(ingest_log.c.at >= since)
            .group_by(ingest_log.c.channel, ingest_log.c.outcome)
        ):
            last_24h.setdefault(channel, {})[outcome] = int(n)
        by_source: dict[str, dict[str, int]] = {}
        for source, status, n in conn.execute(
            select(dose_objects.c.source, dose_objects.c.status, func.count()).group_by(
                dose_objects.c.source, dose_objects.c.status
            )
        ):
            by_source.setdefault(source, {})[status] = int(n)
        mpps = {
            status: int(n)
            for status, n in conn.execute(
                select(mpps_steps.c.status, func.count()).group_by(mpps_steps.c.status)
            )
        }
        last_errors = [
            {
                "at": _iso(r.at),
                "channel": r.channel,
                "origin": r.origin,
                "sop_instance_uid": r.sop_instance_uid,
                "outcome": r.outcome,
                "reason": r.reason,
            }
            for r in conn.execute(
                select(ingest_log)
                .where(ingest_log.c.outcome.in_(FAILED_OUTCOMES))
                .order_by(ingest_log.c.at.desc(), ingest_log.c.id.desc())
                .limit(errors)
            )
        ]
        last_received = conn.execute(select(func.max(ingest_log.c.at))).scalar()
    return {
        "generated_at": _iso(utcnow()),
        "by_channel": by_channel,
        "last_24h": last_24h,
        "by_source": by_source,
        "mpps_steps": mpps,
        "last_received_at": _iso(last_received),
        "last_errors": last_errors,
        "listener": node,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
