"""nomenclature and DRL tables: mapping rules (versioned), custom exam codes, study exam codes, DRL sets

Revision ID: 0002_nomenclature_drl
Revises: 0001_core
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_nomenclature_drl"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_exam_codes",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("modality", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("body_region", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_custom_exam_codes")),
    )
    op.create_table(
        "drl_active_sets",
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("set_key", sa.String(length=128), nullable=False),
        sa.Column("chosen_by", sa.Text(), nullable=False),
        sa.Column("chosen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("site", "set_key", name=op.f("pk_drl_active_sets")),
    )
    op.create_table(
        "drl_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drl_sets")),
        sa.UniqueConstraint("key", "version", name="uq_drl_sets_key_version"),
    )
    op.create_table(
        "mapping_rule_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_mapping_rule_versions")),
    )
    op.create_table(
        "drl_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("modality", sa.String(length=16), nullable=False),
        sa.Column("exam_code", sa.String(length=64), nullable=False),
        sa.Column("exam_name", sa.Text(), nullable=True),
        sa.Column("clinical_indication", sa.Text(), nullable=False),
        sa.Column("band_kind", sa.String(length=8), nullable=False),
        sa.Column("band_min", sa.Float(), nullable=True),
        sa.Column("band_max", sa.Float(), nullable=True),
        sa.Column("band_label", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.String(length=32), nullable=False),
        sa.Column("per", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("published_value", sa.Float(), nullable=True),
        sa.Column("published_unit", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["set_id"], ["drl_sets.id"], name=op.f("fk_drl_values_set_id_drl_sets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drl_values")),
        sa.UniqueConstraint(
            "set_id", "exam_code", "clinical_indication", "band_label", "quantity", name="uq_drl_values_entry"
        ),
    )
    op.create_index("ix_drl_values_exam_code", "drl_values", ["exam_code"], unique=False)
    op.create_table(
        "mapping_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("pattern", sa.Text(), nullable=False),
        sa.Column("modality", sa.String(length=16), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("exam_code", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("created_version", sa.Integer(), nullable=False),
        sa.Column("retired_version", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_version"],
            ["mapping_rule_versions.version"],
            name=op.f("fk_mapping_rules_created_version_mapping_rule_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_mapping_rules_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["retired_version"],
            ["mapping_rule_versions.version"],
            name=op.f("fk_mapping_rules_retired_version_mapping_rule_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapping_rules")),
    )
    op.create_index("ix_mapping_rules_retired_version", "mapping_rules", ["retired_version"], unique=False)
    op.create_table(
        "study_exam_codes",
        sa.Column("study_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("exam_code", sa.String(length=64), nullable=False),
        sa.Column("exam_name", sa.Text(), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("mapped_by", sa.String(length=16), nullable=False),
        sa.Column("mapped_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["mapping_rules.id"], name=op.f("fk_study_exam_codes_rule_id_mapping_rules")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_study_exam_codes_study_id_studies")
        ),
        sa.PrimaryKeyConstraint("study_id", name=op.f("pk_study_exam_codes")),
    )
    op.create_index("ix_study_exam_codes_exam_code", "study_exam_codes", ["exam_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_study_exam_codes_exam_code", table_name="study_exam_codes")
    op.drop_table("study_exam_codes")
    op.drop_index("ix_mapping_rules_retired_version", table_name="mapping_rules")
    op.drop_table("mapping_rules")
    op.drop_index("ix_drl_values_exam_code", table_name="drl_values")
    op.drop_table("drl_values")
    op.drop_table("mapping_rule_versions")
    op.drop_table("drl_sets")
    op.drop_table("drl_active_sets")
    op.drop_table("custom_exam_codes")
