"""`kerma registry export`: the repaired rows (or the repair log) of a survey year as CSV, XLSX or JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from kerma.store.schema.registry import registry_repairs, registry_rows, registry_submissions

ROW_COLUMNS: list[tuple[str, Any]] = [
    ("source_file", registry_submissions.c.source_file),
    ("source_sheet", registry_rows.c.source_sheet),
    ("source_row", registry_rows.c.source_row),
    ("source_column", registry_rows.c.source_column),
    ("facility_key", registry_rows.c.facility_key),
    ("device_key", registry_rows.c.device_key),
    ("year", registry_rows.c.year),
    ("data_source", registry_rows.c.data_source),
    ("exam_code", registry_rows.c.exam_code),
    ("exam_name", registry_rows.c.exam_name),
    ("dap_gy_cm2", registry_rows.c.dap_gy_cm2),
    ("agd_mgy", registry_rows.c.agd_mgy),
    ("dlp_mgy_cm", registry_rows.c.dlp_mgy_cm),
    ("ctdivol_mgy", registry_rows.c.ctdivol_mgy),
    ("ctdi_phantom", registry_rows.c.ctdi_phantom),
    ("patient_weight_kg", registry_rows.c.patient_weight_kg),
    ("patient_age_years", registry_rows.c.patient_age_years),
    ("patient_sex", registry_rows.c.patient_sex),
    ("is_mean", registry_rows.c.is_mean),
    ("n_exams", registry_rows.c.n_exams),
    ("status", registry_rows.c.status),
    ("reason", registry_rows.c.reason),
]

REPAIR_COLUMNS: list[tuple[str, Any]] = [
    ("source_file", registry_submissions.c.source_file),
    ("source_sheet", registry_repairs.c.source_sheet),
    ("source_row", registry_repairs.c.source_row),
    ("source_column", registry_repairs.c.source_column),
    ("old_value", registry_repairs.c.old_value),
    ("new_value", registry_repairs.c.new_value),
    ("rule", registry_repairs.c.rule),
]


def rows_query(year: int | None = None, status: str | None = None) -> tuple[list[str], Select[Any]]:
    """Column names and statement of the row export; a year selects rows of that survey year."""
    stmt = (
        select(*[c.label(n) for n, c in ROW_COLUMNS])
        .select_from(
            registry_rows.join(
                registry_submissions, registry_submissions.c.id == registry_rows.c.submission_id
            )
        )
        .order_by(registry_submissions.c.id, registry_rows.c.id)
    )
    if year is not None:
        stmt = stmt.where(registry_rows.c.year == year)
    if status is not None:
        stmt = stmt.where(registry_rows.c.status == status)
    return [n for n, _ in ROW_COLUMNS], stmt


def repairs_query(year: int | None = None) -> tuple[list[str], Select[Any]]:
    """Column names and statement of the repair log (one line per changed cell)."""
    stmt = (
        select(*[c.label(n) for n, c in REPAIR_COLUMNS])
        .select_from(
            registry_repairs.join(
                registry_submissions, registry_submissions.c.id == registry_repairs.c.submission_id
            )
        )
        .order_by(registry_repairs.c.id)
    )
    if year is not None:
        # Repairs of rows of that year, and the sheet-level repairs of files with rows of that year.
        files = select(registry_rows.c.submission_id).where(registry_rows.c.year == year).distinct()
        stmt = stmt.where(registry_repairs.c.submission_id.in_(files))
    return [n for n, _ in REPAIR_COLUMNS], stmt
