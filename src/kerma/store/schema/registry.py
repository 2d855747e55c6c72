"""Registry mode tables: survey files (submissions), their rows with per-row status, the per-cell repair
log, and the pseudonym key table kept apart from the data.

Rows carry only pseudonyms (``facility_key``, ``device_key``); the names behind them are in
``registry_keys`` and are read through :mod:`kerma.registry.keys` (audited).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text

from kerma.store.schema.base import Json, metadata

registry_submissions = Table(
    "registry_submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_file", Text, nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("file_format", String(8)),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("notes", Json),
    Column("rows_total", Integer, nullable=False, default=0),
    Column("rows_ok", Integer, nullable=False, default=0),
    Column("rows_repaired", Integer, nullable=False, default=0),
    Column("rows_rejected", Integer, nullable=False, default=0),
    Column("imported_at", DateTime, nullable=False),
)

registry_rows = Table(
    "registry_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("registry_submissions.id"), nullable=False, index=True),
    Column("source_sheet", Text),
    Column("source_row", Integer, nullable=False),
    Column("source_column", String(8)),
    Column("facility_key", String(32), index=True),
    Column("device_key", String(32)),
    Column("year", Integer),
    Column("data_source", Text),
    Column("exam_code", String(16)),
    Column("exam_name", Text),
    Column("dap_gy_cm2", Float),
    Column("agd_mgy", Float),
    Column("dlp_mgy_cm", Float),
    Column("ctdivol_mgy", Float),
    Column("ctdi_phantom", String(16)),
    Column("patient_weight_kg", Float),
    Column("patient_age_years", Float),
    Column("patient_sex", String(1)),
    Column("is_mean", Boolean, nullable=False, default=False),
    Column("n_exams", Integer, nullable=False, default=1),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Index("ix_registry_rows_year_exam_code", "year", "exam_code"),
)

registry_repairs = Table(
    "registry_repairs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("registry_submissions.id"), nullable=False, index=True),
    Column("row_id", Integer, ForeignKey("registry_rows.id"), index=True),
    Column("source_sheet", Text),
    Column("source_row", Integer),
    Column("source_column", String(8)),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("rule", Text, nullable=False),
)

# The key table: pseudonym -> the facility or device name a file gave. Kept apart from the rows.
registry_keys = Table(
    "registry_keys",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("label", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

__all__ = ["registry_keys", "registry_repairs", "registry_rows", "registry_submissions"]
