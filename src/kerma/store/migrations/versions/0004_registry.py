"""registry: survey submissions, their rows, the per-cell repair log and the pseudonym key table

Revision ID: 0004_registry
Revises: 0001_core
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_registry"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "registry_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("notes", _json(), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_ok", sa.Integer(), nullable=False),
        sa.Column("rows_repaired", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_submissions")),
    )
    op.create_index(op.f("ix_registry_submissions_sha256"), "registry_submissions", ["sha256"], unique=False)
    op.create_table(
        "registry_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("source_sheet", sa.Text(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("source_column", sa.String(length=8), nullable=True),
        sa.Column("facility_key", sa.String(length=32), nullable=True),
        sa.Column("device_key", sa.String(length=32), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("data_source", sa.Text(), nullable=True),
        sa.Column("exam_code", sa.String(length=16), nullable=True),
        sa.Column("exam_name", sa.Text(), nullable=True),
        sa.Column("dap_gy_cm2", sa.Float(), nullable=True),
        sa.Column("agd_mgy", sa.Float(), nullable=True),
        sa.Column("dlp_mgy_cm", sa.Float(), nullable=True),
        sa.Column("ctdivol_mgy", sa.Float(), nullable=True),
        sa.Column("ctdi_phantom", sa.String(length=16), nullable=True),
        sa.Column("patient_weight_kg", sa.Float(), nullable=True),
        sa.Column("patient_age_years", sa.Float(), nullable=True),
        sa.Column("patient_sex", sa.String(length=1), nullable=True),
        sa.Column("is_mean", sa.Boolean(), nullable=False),
        sa.Column("n_exams", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["registry_submissions.id"],
            name=op.f("fk_registry_rows_submission_id_registry_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_rows")),
    )
    op.create_index(op.f("ix_registry_rows_submission_id"), "registry_rows", ["submission_id"], unique=False)
    op.create_index(op.f("ix_registry_rows_facility_key"), "registry_rows", ["facility_key"], unique=False)
    op.create_index("ix_registry_rows_year_exam_code", "registry_rows", ["year", "exam_code"], unique=False)
    op.create_table(
        "registry_repairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("source_sheet", sa.Text(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("source_column", sa.String(length=8), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["registry_submissions.id"],
            name=op.f("fk_registry_repairs_submission_id_registry_submissions"),
        ),
        sa.ForeignKeyConstraint(
            ["row_id"], ["registry_rows.id"], name=op.f("fk_registry_repairs_row_id_registry_rows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_repairs")),
    )
    op.create_index(
        op.f("ix_registry_repairs_submission_id"), "registry_repairs", ["submission_id"], unique=False
    )
    op.create_index(op.f("ix_registry_repairs_row_id"), "registry_repairs", ["row_id"], unique=False)
    op.create_table(
        "registry_keys",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_registry_keys")),
    )


def downgrade() -> None:
    op.drop_table("registry_keys")
    op.drop_index(op.f("ix_registry_repairs_row_id"), table_name="registry_repairs")
    op.drop_index(op.f("ix_registry_repairs_submission_id"), table_name="registry_repairs")
    op.drop_table("registry_repairs")
    op.drop_index("ix_registry_rows_year_exam_code", table_name="registry_rows")
    op.drop_index(op.f("ix_registry_rows_facility_key"), table_name="registry_rows")
    op.drop_index(op.f("ix_registry_rows_submission_id"), table_name="registry_rows")
    op.drop_table("registry_rows")
    op.drop_index(op.f("ix_registry_submissions_sha256"), table_name="registry_submissions")
    op.drop_table("registry_submissions")
