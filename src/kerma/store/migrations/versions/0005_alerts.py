"""alerts: trigger rules, alerts and their review, recipients, outbox, scheduled summaries

Revision ID: 0005_alerts
Revises: 0001_core
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_alerts"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.String(length=64), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("drl_factor", sa.Float(), nullable=True),
        sa.Column("filters", _json(), nullable=False),
        sa.Column("params", _json(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("notify_roles", _json(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("preset", sa.String(length=64), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_rules_name")),
    )
    op.create_table(
        "alert_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("rooms", _json(), nullable=False),
        sa.Column("modalities", _json(), nullable=False),
        sa.Column("min_severity", sa.String(length=16), nullable=False),
        sa.Column("digest_minutes", sa.Integer(), nullable=False),
        sa.Column("receives_reports", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_recipients")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_recipients_name")),
    )
    op.create_table(
        "alert_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.DateTime(), nullable=False),
        sa.Column("period_end", sa.DateTime(), nullable=False),
        sa.Column("content", _json(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_reports")),
        sa.UniqueConstraint("period_start", "period_end", name="uq_alert_reports_period"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_key", sa.String(length=200), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("irradiation_event_uid", sa.String(length=128), nullable=True),
        sa.Column("exam_code", sa.String(length=64), nullable=True),
        sa.Column("modality", sa.String(length=16), nullable=True),
        sa.Column("quantity", sa.String(length=64), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("drl_value", sa.Float(), nullable=True),
        sa.Column("drl_factor", sa.Float(), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("details", _json(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("event_datetime", sa.DateTime(), nullable=True),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_alerts_device_id_devices")),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rules.id"], name=op.f("fk_alerts_rule_id_alert_rules")),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"], name=op.f("fk_alerts_study_id_studies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("rule_id", "scope_key", name="uq_alerts_rule_scope_key"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_detected_at"), ["detected_at"], unique=False)
        batch_op.create_index("ix_alerts_state_detected", ["state", "detected_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_study_id"), ["study_id"], unique=False)

    op.create_table(
        "alert_not_applicable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("exam_code", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("first_study_id", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_study_id"], ["studies.id"], name=op.f("fk_alert_not_applicable_first_study_id_studies")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rules.id"], name=op.f("fk_alert_not_applicable_rule_id_alert_rules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_not_applicable")),
        sa.UniqueConstraint("rule_id", "exam_code", name="uq_alert_not_applicable_rule_exam"),
    )
    op.create_table(
        "alert_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_alert_changes_alert_id_alerts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_changes")),
    )
    with op.batch_alter_table("alert_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_changes_alert_id"), ["alert_id"], unique=False)

    op.create_table(
        "alert_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("payload", _json(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_alert_outbox_alert_id_alerts")),
        sa.ForeignKeyConstraint(
            ["digest_id"], ["alert_outbox.id"], name=op.f("fk_alert_outbox_digest_id_alert_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["alert_recipients.id"],
            name=op.f("fk_alert_outbox_recipient_id_alert_recipients"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["alert_reports.id"], name=op.f("fk_alert_outbox_report_id_alert_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_outbox")),
        sa.UniqueConstraint("alert_id", "recipient_id", name="uq_alert_outbox_alert_recipient"),
        sa.UniqueConstraint("report_id", "recipient_id", name="uq_alert_outbox_report_recipient"),
    )
    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_alert_outbox_recipient_state", ["recipient_id", "state"], unique=False)
        batch_op.create_index("ix_alert_outbox_state_next", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_outbox_state_next")
        batch_op.drop_index("ix_alert_outbox_recipient_state")
    op.drop_table("alert_outbox")
    with op.batch_alter_table("alert_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_changes_alert_id"))
    op.drop_table("alert_changes")
    op.drop_table("alert_not_applicable")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_study_id"))
        batch_op.drop_index("ix_alerts_state_detected")
        batch_op.drop_index(batch_op.f("ix_alerts_detected_at"))
    op.drop_table("alerts")
    op.drop_table("alert_reports")
    op.drop_table("alert_recipients")
    op.drop_table("alert_rules")
