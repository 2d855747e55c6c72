"""statistics table: one row per usable dose value, sorted by exam code and room and by exam code and month

Revision ID: 0007_stat_values
Revises: 0002_nomenclature_drl
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_stat_values"
down_revision: str | None = "0002_nomenclature_drl"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROOM = [
    "quantity",
    "per",
    "exam_code",
    "device_id",
    "value",
    "study_datetime",
    "modality",
    "patient_age_years",
    "patient_weight_kg",
]
MONTH = [
    "quantity",
    "per",
    "exam_code",
    "month",
    "value",
    "study_datetime",
    "modality",
    "device_id",
    "patient_age_years",
    "patient_weight_kg",
]


def upgrade() -> None:
    op.create_table(
        "stat_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.String(length=16), nullable=False),
        sa.Column("per", sa.String(length=8), nullable=False),
        sa.Column("exam_code", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("modality", sa.String(length=16), nullable=True),
        sa.Column("study_datetime", sa.DateTime(), nullable=True),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("patient_age_years", sa.Float(), nullable=True),
        sa.Column("patient_weight_kg", sa.Float(), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_stat_values_study_id_studies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_values")),
    )
    # Existing studies get their rows before the indexes are built (one sort instead of many inserts).
    from kerma.analytics.values import refresh

    refresh(op.get_bind())
    op.create_index("ix_stat_values_room", "stat_values", ROOM, unique=False)
    op.create_index("ix_stat_values_month", "stat_values", MONTH, unique=False)
    op.create_index("ix_stat_values_study_id", "stat_values", ["study_id"], unique=False)


def downgrade() -> None:
    op.drop_table("stat_values")
