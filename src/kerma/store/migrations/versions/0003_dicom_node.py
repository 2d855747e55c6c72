"""DICOM node: known senders, PACS nodes, pull progress, MPPS steps

Revision ID: 0003_dicom_node
Revises: 0001_core
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_dicom_node"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dicom_senders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ae_title", sa.String(length=16), nullable=False),
        sa.Column("station_name", sa.Text(), nullable=True),
        sa.Column("override_station_name", sa.Boolean(), nullable=False),
        sa.Column("institution", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dicom_senders")),
        sa.UniqueConstraint("ae_title", name=op.f("uq_dicom_senders_ae_title")),
    )
    op.create_table(
        "pacs_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("ae_title", sa.String(length=16), nullable=False),
        sa.Column("retrieve_method", sa.String(length=8), nullable=False),
        sa.Column("move_destination", sa.String(length=16), nullable=True),
        sa.Column("last_pulled_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pacs_nodes")),
        sa.UniqueConstraint("name", name=op.f("uq_pacs_nodes_name")),
    )
    op.create_table(
        "pull_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("study_instance_uid", sa.String(length=128), nullable=False),
        sa.Column("series_instance_uid", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("instances", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["pacs_nodes.id"], name=op.f("fk_pull_progress_node_id_pacs_nodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pull_progress")),
        sa.UniqueConstraint(
            "node_id", "series_instance_uid", name=op.f("uq_pull_progress_node_id_series_instance_uid")
        ),
    )
    op.create_table(
        "mpps_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sop_instance_uid", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("study_instance_uid", sa.String(length=128), nullable=True),
        sa.Column("calling_ae_title", sa.String(length=16), nullable=True),
        sa.Column("attributes", _JSON, nullable=False),
        sa.Column("dose_outcome", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mpps_steps")),
        sa.UniqueConstraint("sop_instance_uid", name=op.f("uq_mpps_steps_sop_instance_uid")),
    )
    op.create_index(
        op.f("ix_mpps_steps_study_instance_uid"), "mpps_steps", ["study_instance_uid"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mpps_steps_study_instance_uid"), table_name="mpps_steps")
    op.drop_table("mpps_steps")
    op.drop_table("pull_progress")
    op.drop_table("pacs_nodes")
    op.drop_table("dicom_senders")
