"""The query layer for exports and views: study and event rows with the documented column names.

Rows are streamed from the database in chunks so an export's memory does not grow with its row count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, select

from kerma.store.schema.core import devices, events, patients, studies

STUDY_COLUMNS: list[tuple[str, Any]] = [
    ("study_instance_uid", studies.c.study_instance_uid),
    ("accession_number", studies.c.accession_number),
    ("study_datetime", studies.c.study_datetime),
    ("modality", studies.c.modality),
    ("station_name", devices.c.station_name),
    ("device_id", studies.c.device_id),
    ("room", devices.c.display_name),
    ("manufacturer", devices.c.manufacturer),
    ("model", devices.c.model),
    ("institution", devices.c.institution),
    ("study_description", studies.c.study_description),
    ("requested_procedure", studies.c.requested_procedure),
    ("patient_key", patients.c.patient_key),
    ("patient_age_years", studies.c.patient_age_years),
    ("patient_sex", studies.c.patient_sex),
    ("patient_weight_kg", studies.c.patient_weight_kg),
    ("patient_height_m", studies.c.patient_height_m),
    ("event_count", studies.c.event_count),
    ("total_dlp_mgy_cm", studies.c.total_dlp_mgy_cm),
    ("total_dap_gy_cm2", studies.c.total_dap_gy_cm2),
    ("total_kar_mgy", studies.c.total_kar_mgy),
    ("total_fluoro_time_s", studies.c.total_fluoro_time_s),
    ("total_fluoro_dap_gy_cm2", studies.c.total_fluoro_dap_gy_cm2),
    ("total_acquisition_dap_gy_cm2", studies.c.total_acquisition_dap_gy_cm2),
    ("total_agd_mgy", studies.c.total_agd_mgy),
    ("administered_activity_mbq", studies.c.administered_activity_mbq),
    ("dose_source", studies.c.dose_source),
    ("is_phantom", studies.c.is_phantom),
]

_EVENT_SKIP = {
    "id",
    "study_id",
    "dose_object_id",
    "dedupe_key",
    "extra",
    "dose_check",
    "modality",
    "source",
    "counted",
}
EVENT_COLUMNS: list[tuple[str, Any]] = [
    ("study_instance_uid", studies.c.study_instance_uid),
    ("irradiation_event_uid", events.c.irradiation_event_uid),
    ("source", events.c.source),
    ("modality", events.c.modality),
    ("station_name", devices.c.station_name),
    ("patient_key", patients.c.patient_key),
    *[(c.name, c) for c in events.columns if c.name not in _EVENT_SKIP and c.name != "irradiation_event_uid"],
]


@dataclass(slots=True)
class RowFilter:
    """Filters shared by exports and list views."""

    modality: Sequence[str] = ()
    date_from: datetime | None = None
    date_to: datetime | None = None
    include_phantoms: bool = False
    include_uncounted: bool = False


def _filtered(stmt: Select[Any], f: RowFilter) -> Select[Any]:
    if f.modality:
        stmt = stmt.where(studies.c.modality.in_([m.upper() for m in f.modality]))
    if f.date_from is not None:
        stmt = stmt.where(studies.c.study_datetime >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(studies.c.study_datetime < f.date_to)
    if not f.include_phantoms:
        stmt = stmt.where(studies.c.is_phantom.is_(False))
    return stmt


def study_query(f: RowFilter, extra: Sequence[tuple[str, Any]] = ()) -> tuple[list[str], Select[Any]]:
    """Column names and statement of the study-level export."""
    cols = [*STUDY_COLUMNS, *extra]
    stmt = (
        select(*[c.label(n) for n, c in cols])
        .select_from(studies.outerjoin(devices, devices.c.id == studies.c.device_id))
        .outerjoin(patients, patients.c.id == studies.c.patient_id)
        .order_by(studies.c.study_datetime, studies.c.id)
    )
    return [n for n, _ in cols], _filtered(stmt, f)


def event_query(f: RowFilter) -> tuple[list[str], Select[Any]]:
    """Column names and statement of the event-level export (counted events unless asked otherwise)."""
    cols = list(EVENT_COLUMNS)
    if f.include_uncounted:
        cols.append(("counted", events.c.counted))
    stmt = (
        select(*[c.label(n) for n, c in cols])
        .select_from(events.join(studies, studies.c.id == events.c.study_id))
        .outerjoin(devices, devices.c.id == studies.c.device_id)
        .outerjoin(patients, patients.c.id == studies.c.patient_id)
        .order_by(studies.c.study_datetime, studies.c.id, events.c.datetime_started, events.c.id)
    )
    if not f.include_uncounted:
        stmt = stmt.where(events.c.counted.is_(True))
    return [n for n, _ in cols], _filtered(stmt, f)


def stream(engine: Engine, stmt: Select[Any], chunk: int = 5000) -> Iterator[tuple[Any, ...]]:
    """Rows of ``stmt`` fetched in chunks with a server-side cursor where the database has one."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk).execute(stmt)
        for partition in result.partitions(chunk):
            yield from (tuple(r) for r in partition)
