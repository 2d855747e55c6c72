"""The sender: delivers the outbox with retries and backoff, folds held alerts into digests, and puts the
scheduled summary in the outbox when one is due.

Rows are claimed with a lease (``claimed_until``) in a short transaction and sent outside any
transaction, so a slow server holds no lock and two senders never send the same row at once. A row that
keeps failing ends as ``failed`` with its last error: shown, retryable by hand, never dropped.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select, update

from kerma.alerts.channels import DeliveryError, Message, make_channel
from kerma.alerts.config import AlertsConfig, alerts_config
from kerma.alerts.messages import render_alert, render_digest, render_report
from kerma.alerts.queries import get_alert
from kerma.alerts.routing import get_recipient, list_recipients
from kerma.alerts.summary import build_summary, period_for
from kerma.config import Settings
from kerma.privacy.audit import record
from kerma.store.dml import insert_ignoring_conflicts
from kerma.store.schema.alerts import alert_outbox, alert_recipients, alert_reports
from kerma.store.writer import utcnow

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DeliveryStats:
    """What one pass of the sender did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    digests: int = 0
    reports: int = 0

    def as_dict(self) -> dict[str, int]:
        """JSON form."""
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "digests": self.digests,
            "reports": self.reports,
        }


def backoff(cfg: AlertsConfig, attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: doubling from ``backoff_s`` up to ``backoff_max_s``."""
    seconds = min(cfg.delivery.backoff_s * (2 ** max(attempts - 1, 0)), cfg.delivery.backoff_max_s)
    return timedelta(seconds=seconds)


# -- digests --------------------------------------------------------------------------------------


def build_digests(engine: Engine, now: datetime) -> int:
    """Fold each digest recipient's held alerts into one digest row once the oldest has waited long
    enough; returns how many digests were made."""
    made = 0
    with engine.begin() as conn:
        oldest = conn.execute(
            select(alert_outbox.c.recipient_id, func.min(alert_outbox.c.created_at))
            .where(alert_outbox.c.state == "held")
            .group_by(alert_outbox.c.recipient_id)
        ).all()
        for recipient_id, first in oldest:
            rec = get_recipient(conn, int(recipient_id))
            if rec is None:
                continue
            if first > now - timedelta(minutes=max(rec.digest_minutes, 0)):
                continue
            held = conn.execute(
                select(alert_outbox.c.id, alert_outbox.c.alert_id)
                .where(alert_outbox.c.recipient_id == rec.id, alert_outbox.c.state == "held")
                .order_by(alert_outbox.c.id)
            ).all()
            digest_id = conn.execute(
                alert_outbox.insert().values(
                    kind="digest",
                    recipient_id=rec.id,
                    channel=rec.channel,
                    state="pending",
                    payload={"alert_ids": [int(h.alert_id) for h in held]},
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            ).inserted_primary_key[0]
            conn.execute(
                update(alert_outbox)
                .where(alert_outbox.c.id.in_([h.id for h in held]))
                .values(state="digested", digest_id=digest_id)
            )
            made += 1
    return made


# -- scheduled summary ----------------------------------------------------------------------------


def schedule_report(
    engine: Engine, cfg: AlertsConfig, now: datetime, period: tuple[datetime, datetime] | None = None
) -> int | None:
    """Build the summary of the latest complete period (or ``period``) once and queue it for every
    recipient of reports; returns the report id when one was made now."""
    start, end = period or period_for(now, cfg.report)
    with engine.begin() as conn:
        exists = conn.execute(
            select(alert_reports.c.id).where(
                alert_reports.c.period_start == start, alert_reports.c.period_end == end
            )
        ).first()
        if exists is not None:
            return None
        content = build_summary(conn, start, end)
        row = conn.execute(
            insert_ignoring_conflicts(alert_reports)
            .values(period_start=start, period_end=end, content=content, created_at=now)
            .returning(alert_reports.c.id)
        ).first()
        if row is None:
            return None
        report_id = int(row[0])
        rows = [
            {
                "kind": "report",
                "report_id": report_id,
                "recipient_id": rec.id,
                "channel": rec.channel,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for rec in list_recipients(conn, enabled_only=True)
            if rec.receives_reports and make_channel(rec.channel, cfg).uses_outbox
        ]
        if rows:
            conn.execute(alert_outbox.insert(), rows)
    return report_id


# -- sending ---------------------------------------------------------------------------------------


def _claim(engine: Engine, cfg: AlertsConfig, now: datetime) -> list[int]:
    with engine.begin() as conn:
        ids = [
            int(r[0])
            for r in conn.execute(
                select(alert_outbox.c.id)
                .where(
                    alert_outbox.c.state == "pending",
                    alert_outbox.c.next_attempt_at <= now,
                    or_(alert_outbox.c.claimed_until.is_(None), alert_outbox.c.claimed_until < now),
                )
                .order_by(alert_outbox.c.next_attempt_at, alert_outbox.c.id)
                .limit(cfg.delivery.batch)
            )
        ]
        claimed = []
        lease = now + timedelta(seconds=cfg.delivery.lease_s)
        for i in ids:
            n = conn.execute(
                update(alert_outbox)
                .where(
                    alert_outbox.c.id == i,
                    alert_outbox.c.state == "pending",
                    or_(alert_outbox.c.claimed_until.is_(None), alert_outbox.c.claimed_until < now),
                )
                .values(claimed_until=lease)
            ).rowcount
            if n == 1:
                claimed.append(i)
    return claimed


def _message(conn: Connection, row: Any, cfg: AlertsConfig) -> Message:
    """Rendered at send time, so a message shows the alert as it is now."""
    if row.kind == "alert":
        a = get_alert(conn, int(row.alert_id))
        if a is None:
            raise DeliveryError(f"alert {row.alert_id} no longer exists")
        return render_alert(a, cfg.base_url)
    if row.kind == "digest":
        items = [
            a for i in (row.payload or {}).get("alert_ids", []) if (a := get_alert(conn, int(i))) is not None
        ]
        return render_digest(items, cfg.base_url)
    rep = conn.execute(select(alert_reports.c.content).where(alert_reports.c.id == row.report_id)).first()
    if rep is None:
        raise DeliveryError(f"report {row.report_id} no longer exists")
    return render_report(rep[0])


def _send_one(engine: Engine, cfg: AlertsConfig, outbox_id: int, now: datetime, stats: DeliveryStats) -> None:
    with engine.connect() as conn:
        row = conn.execute(select(alert_outbox).where(alert_outbox.c.id == outbox_id)).first()
        if row is None:
            return
        rec = get_recipient(conn, int(row.recipient_id))
        error: str | None = None
        message: Message | None = None
        try:
            message = _message(conn, row, cfg)
        except DeliveryError as exc:
            error = str(exc)
    if rec is None:
        error = f"recipient {row.recipient_id} no longer exists"
    if error is None and message is not None and rec is not None:
        try:
            make_channel(row.channel, cfg).send(message, rec, outbox_id)
        except DeliveryError as exc:
            error = str(exc)
        except Exception as exc:  # a channel bug must not lose the row: record it like any failure
            log.exception("channel %s failed", row.channel)
            error = f"{type(exc).__name__}: {exc}"
    attempts = int(row.attempts) + 1
    values: dict[str, Any] = {"attempts": attempts, "claimed_until": None}
    if error is None:
        values.update(state="sent", sent_at=utcnow(), last_error=None, next_attempt_at=None)
        stats.sent += 1
    elif attempts >= cfg.delivery.max_attempts:
        values.update(state="failed", last_error=error, next_attempt_at=None)
        stats.failed += 1
        log.warning("notification %s failed for good after %s attempts: %s", outbox_id, attempts, error)
    else:
        values.update(last_error=error, next_attempt_at=now + backoff(cfg, attempts))
        stats.retrying += 1
        log.info("notification %s attempt %s failed, will retry: %s", outbox_id, attempts, error)
    with engine.begin() as conn:
        conn.execute(update(alert_outbox).where(alert_outbox.c.id == outbox_id).values(**values))


def deliver_due(
    engine: Engine,
    settings: Settings | AlertsConfig | None = None,
    now: datetime | None = None,
    reports: bool = True,
) -> DeliveryStats:
    """One pass: make due digests and the due summary, then send every due notification."""
    cfg = settings if isinstance(settings, AlertsConfig) else alerts_config(settings)
    now = now or utcnow()
    stats = DeliveryStats()
    stats.digests = build_digests(engine, now)
    if reports and cfg.report.enabled and schedule_report(engine, cfg, now) is not None:
        stats.reports = 1
    while True:
        claimed = _claim(engine, cfg, now)
        for outbox_id in claimed:
            _send_one(engine, cfg, outbox_id, now, stats)
        if len(claimed) < cfg.delivery.batch:
            break
    return stats


def run_forever(engine: Engine, settings: Settings | None, stop_event: threading.Event) -> None:
    """Deliver until ``stop_event`` is set (the background sender of `kerma serve`); never raises."""
    cfg = alerts_config(settings)
    while not stop_event.is_set():
        try:
            deliver_due(engine, cfg)
        except Exception:  # the database may be briefly unreachable: keep going
            log.exception("alert delivery pass failed")
        stop_event.wait(cfg.delivery.poll_s)


# -- inspecting and retrying ------------------------------------------------------------------------


def list_outbox(conn: Connection, states: list[str] | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Notifications with their recipient, state, attempts and last error (newest first)."""
    stmt = (
        select(
            alert_outbox.c.id,
            alert_outbox.c.kind,
            alert_outbox.c.alert_id,
            alert_outbox.c.report_id,
            alert_outbox.c.state,
            alert_outbox.c.channel,
            alert_recipients.c.name.label("recipient"),
            alert_outbox.c.attempts,
            alert_outbox.c.last_error,
            alert_outbox.c.next_attempt_at,
            alert_outbox.c.created_at,
            alert_outbox.c.sent_at,
        )
        .join(alert_recipients, alert_recipients.c.id == alert_outbox.c.recipient_id)
        .order_by(alert_outbox.c.id.desc())
        .limit(limit)
    )
    if states:
        stmt = stmt.where(alert_outbox.c.state.in_(states))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def retry(conn: Connection, outbox_id: int, actor: str) -> None:
    """Send a failed (or waiting) notification again at once, with a fresh count of attempts."""
    row = conn.execute(select(alert_outbox.c.state).where(alert_outbox.c.id == outbox_id)).first()
    if row is None:
        raise LookupError(f"no notification {outbox_id}")
    if row[0] not in ("failed", "pending"):
        raise ValueError(f"notification {outbox_id} is {row[0]}; only failed or pending ones are retried")
    conn.execute(
        update(alert_outbox)
        .where(alert_outbox.c.id == outbox_id)
        .values(state="pending", attempts=0, next_attempt_at=utcnow(), claimed_until=None)
    )
    record(conn, actor, "alert.outbox.retry", f"alert_outbox:{outbox_id}", None)


__all__ = [
    "DeliveryStats",
    "backoff",
    "build_digests",
    "deliver_due",
    "list_outbox",
    "retry",
    "run_forever",
    "schedule_report",
]
