"""Alert tables: trigger rules as data, the alerts they raise with their review history, the rules found
not applicable for an exam, recipients, the notification outbox and the scheduled summaries.

Notifications are written to ``alert_outbox`` inside the ingest transaction and delivered later by a
sender, so a slow or failing mail server never holds up an ingest and no notification is lost.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kerma.store.schema.base import Json, metadata

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("quantity", String(64)),
    # Exactly one of threshold (canonical unit of the quantity) and drl_factor is set for threshold rules.
    Column("threshold", Float),
    Column("drl_factor", Float),
    Column("filters", Json, nullable=False),
    Column("params", Json, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("notify_roles", Json, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("description", Text),
    Column("source", Text),
    Column("preset", String(64)),
    Column("verified", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", Text),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", Text),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule_id", Integer, ForeignKey("alert_rules.id"), nullable=False),
    Column("scope", String(16), nullable=False),
    # What the alert is about (event, study, patient window, device series): one alert per rule and key.
    Column("scope_key", String(200), nullable=False),
    Column("study_id", Integer, ForeignKey("studies.id"), index=True),
    Column("device_id", Integer, ForeignKey("devices.id")),
    Column("irradiation_event_uid", String(128)),
    Column("exam_code", String(64)),
    Column("modality", String(16)),
    Column("quantity", String(64)),
    Column("value", Float),
    Column("threshold", Float),
    Column("drl_value", Float),
    Column("drl_factor", Float),
    Column("severity", String(16), nullable=False),
    Column("details", Json),
    Column("state", String(32), nullable=False),
    Column("event_datetime", DateTime),
    Column("detected_at", DateTime, nullable=False, index=True),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", Text),
    UniqueConstraint("rule_id", "scope_key", name="uq_alerts_rule_scope_key"),
    Index("ix_alerts_state_detected", "state", "detected_at"),
)

alert_changes = Table(
    "alert_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("actor", Text, nullable=False),
    Column("from_state", String(32)),
    # None for a comment that does not change the state.
    Column("to_state", String(32)),
    Column("comment", Text),
)

alert_not_applicable = Table(
    "alert_not_applicable",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule_id", Integer, ForeignKey("alert_rules.id"), nullable=False),
    # '' when the study has no exam code.
    Column("exam_code", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("first_study_id", Integer, ForeignKey("studies.id")),
    Column("first_seen_at", DateTime, nullable=False),
    UniqueConstraint("rule_id", "exam_code", name="uq_alert_not_applicable_rule_exam"),
)

alert_recipients = Table(
    "alert_recipients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("address", Text),
    Column("secret", Text),
    Column("rooms", Json, nullable=False),
    Column("modalities", Json, nullable=False),
    Column("min_severity", String(16), nullable=False),
    # 0: every alert at once; N: one digest at most every N minutes.
    Column("digest_minutes", Integer, nullable=False),
    Column("receives_reports", Boolean, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

alert_reports = Table(
    "alert_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("period_start", DateTime, nullable=False),
    Column("period_end", DateTime, nullable=False),
    Column("content", Json, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("period_start", "period_end", name="uq_alert_reports_period"),
)

alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    # alert: one alert; digest: held alerts of one recipient; report: a scheduled summary.
    Column("kind", String(16), nullable=False),
    Column("alert_id", Integer, ForeignKey("alerts.id")),
    Column("report_id", Integer, ForeignKey("alert_reports.id")),
    Column("recipient_id", Integer, ForeignKey("alert_recipients.id"), nullable=False),
    Column("channel", String(32), nullable=False),
    # pending -> sent | failed; held (waiting for a digest) -> digested.
    Column("state", String(16), nullable=False),
    Column("digest_id", Integer, ForeignKey("alert_outbox.id")),
    Column("payload", Json),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime),
    Column("claimed_until", DateTime),
    Column("last_error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    UniqueConstraint("alert_id", "recipient_id", name="uq_alert_outbox_alert_recipient"),
    UniqueConstraint("report_id", "recipient_id", name="uq_alert_outbox_report_recipient"),
    Index("ix_alert_outbox_state_next", "state", "next_attempt_at"),
    Index("ix_alert_outbox_recipient_state", "recipient_id", "state"),
)

__all__ = [
    "alert_changes",
    "alert_not_applicable",
    "alert_outbox",
    "alert_recipients",
    "alert_reports",
    "alert_rules",
    "alerts",
]
