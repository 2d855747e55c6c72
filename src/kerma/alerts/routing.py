"""Who hears of an alert: recipients with a role, the rooms and modalities they look after, the least
severity they want and whether they prefer a digest; and the outbox rows that routing writes.

Routing runs inside the ingest transaction but only writes rows: delivery happens later, in the sender.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, exists, select, update

from kerma.alerts.channels import CHANNELS, Recipient, make_channel
from kerma.alerts.config import AlertsConfig
from kerma.alerts.rules import SEVERITY_RANK, Rule, Severity
from kerma.privacy.audit import record
from kerma.store.schema.alerts import alert_outbox, alert_recipients
from kerma.store.writer import utcnow


class RecipientError(ValueError):
    """A recipient that cannot work; the message says why."""


def recipient_from_row(row: Any) -> Recipient:
    """A stored recipient."""
    m = row._mapping if hasattr(row, "_mapping") else row
    return Recipient(
        id=m["id"],
        name=m["name"],
        role=m["role"],
        channel=m["channel"],
        address=m["address"],
        secret=m["secret"],
        rooms=list(m["rooms"] or []),
        modalities=list(m["modalities"] or []),
        min_severity=m["min_severity"],
        digest_minutes=int(m["digest_minutes"]),
        receives_reports=bool(m["receives_reports"]),
        enabled=bool(m["enabled"]),
    )


def add_recipient(conn: Connection, data: dict[str, Any], actor: str) -> tuple[Recipient, str | None]:
    """Validate and store a recipient. Returns it and, for a webhook without a secret, the secret
    generated for it (shown once)."""
    name = str(data.get("name") or "").strip()
    if not name:
        raise RecipientError("name: a recipient needs a name")
    channel = str(data.get("channel") or "email").strip().lower()
    if channel not in CHANNELS:
        raise RecipientError(f"channel: {channel!r} is not one of {', '.join(sorted(CHANNELS))}")
    try:
        address = make_channel(channel, AlertsConfig()).validate_address(data.get("address"))
    except ValueError as exc:
        raise RecipientError(f"address: {exc}") from None
    severity = str(data.get("min_severity") or "info").lower()
    if severity not in {s.value for s in Severity}:
        raise RecipientError(f"min_severity: one of {', '.join(s.value for s in Severity)}")
    try:
        digest = int(data.get("digest_minutes") or 0)
    except (TypeError, ValueError):
        raise RecipientError("digest_minutes: a whole number of minutes") from None
    if digest < 0:
        raise RecipientError("digest_minutes: zero (immediately) or more")
    role = str(data.get("role") or "mpe").strip().lower()
    secret = data.get("secret") or None
    generated = None
    if channel == "webhook" and not secret:
        secret = generated = secrets.token_urlsafe(32)
    if conn.execute(select(alert_recipients.c.id).where(alert_recipients.c.name == name)).first():
        raise RecipientError(f"name: a recipient named {name!r} exists already")
    rec = Recipient(
        id=None,
        name=name,
        role=role,
        channel=channel,
        address=address,
        secret=secret,
        rooms=[str(r).strip() for r in data.get("rooms") or [] if str(r).strip()],
        modalities=[str(m).strip().upper() for m in data.get("modalities") or [] if str(m).strip()],
        min_severity=severity,
        digest_minutes=digest,
        receives_reports=bool(data.get("receives_reports", False)),
        enabled=bool(data.get("enabled", True)),
    )
    rec.id = int(
        conn.execute(
            alert_recipients.insert().values(
                name=rec.name,
                role=rec.role,
                channel=rec.channel,
                address=rec.address,
                secret=rec.secret,
                rooms=rec.rooms,
                modalities=rec.modalities,
                min_severity=rec.min_severity,
                digest_minutes=rec.digest_minutes,
                receives_reports=rec.receives_reports,
                enabled=rec.enabled,
                created_at=utcnow(),
            )
        ).inserted_primary_key[0]
    )
    record(conn, actor, "alert.recipient.create", f"alert_recipient:{rec.id}", rec.as_dict())
    forget_recipients()
    return rec, generated


def list_recipients(conn: Connection, enabled_only: bool = False) -> list[Recipient]:
    """All recipients by id."""
    stmt = select(alert_recipients).order_by(alert_recipients.c.id)
    if enabled_only:
        stmt = stmt.where(alert_recipients.c.enabled.is_(True))
    return [recipient_from_row(r) for r in conn.execute(stmt)]


def get_recipient(conn: Connection, ref: int | str) -> Recipient | None:
    """A recipient by id or name."""
    col = alert_recipients.c.id if str(ref).isdigit() else alert_recipients.c.name
    value: int | str = int(ref) if str(ref).isdigit() else str(ref)
    row = conn.execute(select(alert_recipients).where(col == value)).first()
    return recipient_from_row(row) if row is not None else None


def remove_recipient(conn: Connection, ref: int | str, actor: str) -> str:
    """Delete a recipient never written to; one with notifications on record is disabled instead."""
    rec = get_recipient(conn, ref)
    if rec is None:
        raise LookupError(f"no recipient {ref}")
    used = conn.execute(select(exists().where(alert_outbox.c.recipient_id == rec.id))).scalar()
    if used:
        conn.execute(update(alert_recipients).where(alert_recipients.c.id == rec.id).values(enabled=False))
        outcome = "disabled"
    else:
        conn.execute(alert_recipients.delete().where(alert_recipients.c.id == rec.id))
        outcome = "deleted"
    record(conn, actor, f"alert.recipient.{outcome[:-1]}", f"alert_recipient:{rec.id}", rec.as_dict())
    forget_recipients()
    return outcome


@dataclass(slots=True)
class AlertTarget:
    """What routing needs to know about one new alert."""

    alert_id: int
    severity: str
    modality: str | None
    device_id: int | None
    room: str | None
    station_name: str | None


def wants(rec: Recipient, rule: Rule, target: AlertTarget) -> bool:
    """True when ``rec`` should hear of the alert: role, severity, room and modality all match."""
    if not rec.enabled:
        return False
    if rule.notify_roles and rec.role not in rule.notify_roles:
        return False
    if SEVERITY_RANK[Severity(target.severity)] < SEVERITY_RANK[Severity(rec.min_severity)]:
        return False
    if rec.modalities and (target.modality or "").upper() not in rec.modalities:
        return False
    if rec.rooms:
        names = {(target.room or "").lower(), (target.station_name or "").lower()}
        if not any((r.isdigit() and target.device_id == int(r)) or r.lower() in names for r in rec.rooms):
            return False
    return True


_lock = threading.Lock()
_cache: dict[str, tuple[float, list[Recipient]]] = {}
CACHE_SECONDS = 5.0


def forget_recipients() -> None:
    """Drop cached recipients (after a change in this process)."""
    with _lock:
        _cache.clear()


def _enabled_recipients(conn: Connection) -> list[Recipient]:
    # Read at most every few seconds: a burst of alerts (a re-evaluation) costs no query per alert.
    key = str(conn.engine.url)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    recs = list_recipients(conn, enabled_only=True)
    with _lock:
        _cache[key] = (time.monotonic(), recs)
    return recs


def enqueue(conn: Connection, rule: Rule, target: AlertTarget, now: datetime) -> int:
    """Write one outbox row per recipient who wants this alert; returns how many."""
    rows = []
    for rec in _enabled_recipients(conn):
        if not wants(rec, rule, target) or not CHANNELS[rec.channel].uses_outbox:
            continue
        held = rec.digest_minutes > 0
        rows.append(
            {
                "kind": "alert",
                "alert_id": target.alert_id,
                "recipient_id": rec.id,
                "channel": rec.channel,
                "state": "held" if held else "pending",
                "attempts": 0,
                "next_attempt_at": None if held else now,
                "created_at": now,
            }
        )
    if rows:
        conn.execute(alert_outbox.insert(), rows)
    return len(rows)
