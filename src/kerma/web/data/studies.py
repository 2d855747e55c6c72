"""Studies: the filtered, sorted, paged list, its export, and everything one study page shows."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select

from kerma.store.queries import STUDY_COLUMNS
from kerma.store.schema.core import (
    accumulated_doses,
    administrations,
    characteristic_changes,
    devices,
    dose_objects,
    events,
    patients,
    studies,
)
from kerma.web import capabilities
from kerma.web.fmt import MAIN_QUANTITY, STUDY_QUANTITIES

MAX_PAGE_SIZE = 500
# Counting stops here: "10 000+ rows" is as useful as an exact number (the export has them all) and
# keeps big lists fast.
COUNT_CAP = 10_000

SORT_KEYS: dict[str, Any] = {
    "date": studies.c.study_datetime,
    "modality": studies.c.modality,
    "room": devices.c.display_name,
    "description": studies.c.study_description,
    "events": studies.c.event_count,
    "age": studies.c.patient_age_years,
    "weight": studies.c.patient_weight_kg,
    **{name: studies.c[name] for name in STUDY_QUANTITIES},
}


def escape_like(text: str) -> str:
    """Escape LIKE wildcards so user text matches literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True, slots=True)
class StudyFilter:
    """What a user can narrow the studies list by (every field optional)."""

    date_from: date | None = None
    date_to: date | None = None  # inclusive
    modality: tuple[str, ...] = ()
    room: tuple[int, ...] = ()
    exam_code: str | None = None
    mapped: bool | None = None
    quantity: str | None = None
    dose_min: float | None = None
    dose_max: float | None = None
    text: str | None = None
    patient_key: str | None = None
    include_phantoms: bool = False

    def dose_column(self) -> str | None:
        """Quantity the dose range applies to: the chosen one, else the modality's usual one."""
        if self.quantity in STUDY_QUANTITIES:
            return self.quantity
        if len(self.modality) == 1:
            return MAIN_QUANTITY.get(self.modality[0])
        return None

    def conditions(self, dose_index: bool = True) -> list[ColumnElement[bool]]:
        """SQL conditions on the studies table (joined with devices) for this filter.

        ``dose_index=False`` keeps SQLite from reading the dose range through its index (a list sorted by
        date then walks the date index instead and stops after one page).
        """
        c: list[ColumnElement[bool]] = []
        if self.date_from is not None:
            c.append(studies.c.study_datetime >= datetime.combine(self.date_from, time.min))
        if self.date_to is not None:
            c.append(studies.c.study_datetime < datetime.combine(self.date_to + timedelta(days=1), time.min))
        if self.modality:
            c.append(studies.c.modality.in_(self.modality))
        if self.room:
            c.append(studies.c.device_id.in_(self.room))
        if self.exam_code:
            cond = capabilities.exam_code_filter(self.exam_code)
            if cond is not None:
                c.append(cond)
        if self.mapped is not None:
            cond = capabilities.mapped_filter(self.mapped)
            if cond is not None:
                c.append(cond)
        col = self.dose_column()
        if col is not None:
            # "+ 0" makes the term an expression, which no index serves
            dose = studies.c[col] if dose_index else studies.c[col] + 0
            if self.dose_min is not None:
                c.append(dose >= self.dose_min)
            if self.dose_max is not None:
                c.append(dose <= self.dose_max)
        if self.text:
            pattern = f"%{escape_like(self.text.strip().lower())}%"
            c.append(
                or_(
                    func.lower(studies.c.study_description).like(pattern, escape="\\"),
                    func.lower(studies.c.accession_number).like(pattern, escape="\\"),
                )
            )
        if self.patient_key:
            c.append(
                studies.c.patient_id.in_(
                    select(patients.c.id).where(patients.c.patient_key == self.patient_key)
                )
            )
        if not self.include_phantoms:
            c.append(studies.c.is_phantom.is_(False))
        return c


@dataclass(slots=True)
class StudyPage:
    """One page of the studies list."""

    rows: list[dict[str, Any]]
    total: int
    capped: bool
    page: int
    page_size: int
    columns: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.page_size))


def _list_columns() -> list[Any]:
    return [
        studies.c.id,
        studies.c.study_instance_uid,
        studies.c.accession_number,
        studies.c.study_datetime,
        studies.c.modality,
        studies.c.device_id,
        devices.c.display_name.label("room"),
        studies.c.study_description,
        patients.c.patient_key,
        studies.c.patient_age_years,
        studies.c.patient_sex,
        studies.c.patient_weight_kg,
        studies.c.event_count,
        studies.c.dose_source,
        *[studies.c[name] for name in STUDY_QUANTITIES],
        *[expr.label(name) for name, expr in capabilities.exam_code_columns()],
    ]


def _order(sort: str, order: str) -> list[Any]:
    col = SORT_KEYS[sort]
    desc = order == "desc"
    # no NULLS FIRST/LAST clause: the databases' own NULL order is what their indexes can serve (a list
    # sorted by a dose only holds studies with that dose, see list_studies); ties in a stable order
    primary = col.desc() if desc else col.asc()
    tie = studies.c.id.desc() if desc else studies.c.id.asc()
    if sort == "date":
        return [primary, tie]
    return [primary, studies.c.study_datetime.desc(), tie]


def _from() -> Any:
    return studies.outerjoin(devices, devices.c.id == studies.c.device_id).outerjoin(
        patients, patients.c.id == studies.c.patient_id
    )


def list_studies(
    engine: Engine,
    f: StudyFilter,
    sort: str = "date",
    order: str = "desc",
    page: int = 1,
    page_size: int = 50,
) -> StudyPage:
    """One page of studies; ``sort`` must be a key of SORT_KEYS, ``page_size`` at most MAX_PAGE_SIZE."""
    if sort not in SORT_KEYS:
        raise ValueError(f"unknown sort key {sort!r}")
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    # SQLite's planner would read a dose range through its index and then sort every match; PostgreSQL
    # estimates the range from its statistics and picks the right plan by itself
    conds = f.conditions(dose_index=sort in STUDY_QUANTITIES or engine.dialect.name != "sqlite")
    if sort in STUDY_QUANTITIES:
        # sorted by a dose: the studies that have it (a DLP list of DX studies would be all blanks)
        conds.append(studies.c[sort].is_not(None))
    elif sort not in ("date", "modality"):
        conds.append(SORT_KEYS[sort].is_not(None))
    needs_devices = sort == "room"
    base_from = _from() if needs_devices else studies
    count_stmt = select(func.count()).select_from(
        select(studies.c.id).select_from(base_from).where(and_(True, *conds)).limit(COUNT_CAP + 1).subquery()
    )
    # page through ids first (narrow index scan), then fetch the row details for those ids only
    ids_stmt = (
        select(studies.c.id)
        .select_from(base_from)
        .where(and_(True, *conds))
        .order_by(*_order(sort, order))
        .limit(page_size)
        .offset((max(page, 1) - 1) * page_size)
    )
    with engine.connect() as conn:
        total = int(conn.execute(count_stmt).scalar_one())
        ids = [r[0] for r in conn.execute(ids_stmt)]
        rows: list[dict[str, Any]] = []
        if ids:
            detail = select(*_list_columns()).select_from(_from()).where(studies.c.id.in_(ids))
            by_id = {r["id"]: dict(r) for r in conn.execute(detail).mappings()}
            rows = [by_id[i] for i in ids if i in by_id]
    capped = total > COUNT_CAP
    return StudyPage(
        rows=rows, total=min(total, COUNT_CAP), capped=capped, page=max(page, 1), page_size=page_size
    )


def export_query(f: StudyFilter, sort: str = "date", order: str = "desc") -> tuple[list[str], Any]:
    """Column names and statement of the filtered study export (the documented export columns)."""
    if sort not in SORT_KEYS:
        raise ValueError(f"unknown sort key {sort!r}")
    cols = [*STUDY_COLUMNS, *capabilities.exam_code_columns()]
    stmt = (
        select(*[c.label(n) for n, c in cols])
        .select_from(_from())
        .where(and_(True, *f.conditions()))
        .order_by(*_order(sort, order))
    )
    return [n for n, _ in cols], stmt


# Event columns that are bookkeeping, not parameters a user reads.
_EVENT_HIDDEN = {
    "id",
    "study_id",
    "dose_object_id",
    "dedupe_key",
    "extra",
    "dose_check",
    "source",
    "counted",
    "modality",
}
# What a physicist reads first; the remaining parameters follow in schema order, UIDs last.
_EVENT_FIRST = (
    "datetime_started",
    "protocol",
    "event_type",
    "target_region",
    "acquisition_plane",
    "view",
    "laterality",
    "ctdivol_mgy",
    "dlp_mgy_cm",
    "ssde_mgy",
    "ctdi_phantom",
    "dap_gy_cm2",
    "kar_mgy",
    "fluoro_time_s",
    "agd_mgy",
    "entrance_dose_mgy",
    "kvp",
    "exposure_mas",
    "tube_current_ma",
    "max_tube_current_ma",
)


def study_detail(engine: Engine, study_instance_uid: str) -> dict[str, Any] | None:
    """Everything the study page shows, or None when no study has that UID."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(
                    studies,
                    devices.c.display_name.label("room"),
                    devices.c.manufacturer,
                    devices.c.model,
                    devices.c.station_name,
                    devices.c.institution,
                    devices.c.department,
                    patients.c.patient_key,
                    *[expr.label(name) for name, expr in capabilities.exam_code_columns()],
                )
                .select_from(_from())
                .where(studies.c.study_instance_uid == study_instance_uid)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        study = dict(row)
        sid = study["id"]
        objects = [
            dict(r)
            for r in conn.execute(
                select(
                    dose_objects.c.id,
                    dose_objects.c.sop_instance_uid,
                    dose_objects.c.source,
                    dose_objects.c.kind,
                    dose_objects.c.status,
                    dose_objects.c.content_datetime,
                    dose_objects.c.received_at,
                    dose_objects.c.warnings,
                )
                .where(dose_objects.c.study_id == sid)
                .order_by(dose_objects.c.received_at)
            ).mappings()
        ]
        ev = [
            dict(r)
            for r in conn.execute(
                select(events)
                .where(events.c.study_id == sid)
                .order_by(events.c.counted.desc(), events.c.datetime_started, events.c.id)
            ).mappings()
        ]
        acc = [
            dict(r)
            for r in conn.execute(
                select(accumulated_doses)
                .join(dose_objects, dose_objects.c.id == accumulated_doses.c.dose_object_id)
                .where(dose_objects.c.study_id == sid, dose_objects.c.status == "counted")
            ).mappings()
        ]
        admin = [
            dict(r)
            for r in conn.execute(select(administrations).where(administrations.c.study_id == sid)).mappings()
        ]
        changes = [
            dict(r)
            for r in conn.execute(
                select(characteristic_changes)
                .where(characteristic_changes.c.study_id == sid)
                .order_by(characteristic_changes.c.changed_at)
            ).mappings()
        ]
    counted = [e for e in ev if e["counted"]]
    present = {
        c.name
        for c in events.columns
        if c.name not in _EVENT_HIDDEN and any(e.get(c.name) is not None for e in counted or ev)
    }
    rest = [c.name for c in events.columns if c.name in present and c.name not in _EVENT_FIRST]
    shown = [
        *[n for n in _EVENT_FIRST if n in present],
        *[n for n in rest if not n.endswith("_uid")],
        *[n for n in rest if n.endswith("_uid")],
    ]
    ctdi = [e["ctdivol_mgy"] for e in counted if e.get("ctdivol_mgy") is not None]
    return {
        "study": study,
        "objects": objects,
        "events": ev,
        "event_columns": shown,
        "counted_events": len(counted),
        "max_ctdivol_mgy": max(ctdi) if ctdi else None,
        "accumulated": acc,
        "administrations": admin,
        "changes": changes,
    }


def studies_of_patient(engine: Engine, patient_key: str, limit: int = 1000) -> list[dict[str, Any]]:
    """A patient's studies, oldest first (for the dose history)."""
    page = list_studies(
        engine, StudyFilter(patient_key=patient_key, include_phantoms=True), "date", "asc", 1, MAX_PAGE_SIZE
    )
    rows = page.rows
    n = 2
    while len(rows) < min(page.total, limit):
        more = list_studies(
            engine,
            StudyFilter(patient_key=patient_key, include_phantoms=True),
            "date",
            "asc",
            n,
            MAX_PAGE_SIZE,
        ).rows
        if not more:
            break
        rows += more
        n += 1
    return rows[:limit]


def with_defaults(f: StudyFilter, **changes: Any) -> StudyFilter:
    """A copy of ``f`` with some fields changed."""
    return replace(f, **changes)


def rooms(engine: Engine) -> list[dict[str, Any]]:
    """Rooms that are not merged into another, for filter menus."""
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(devices.c.id, devices.c.display_name, devices.c.institution)
                .where(devices.c.merged_into_id.is_(None))
                .order_by(devices.c.display_name)
            ).mappings()
        ]


def modalities(engine: Engine) -> list[str]:
    """Modalities present in the store."""
    with engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(select(studies.c.modality).distinct().order_by(studies.c.modality))
            if r[0]
        ]


def latest_study_date(engine: Engine) -> date | None:
    """Date of the newest study (charts default to the period up to it, so old data still shows)."""
    with engine.connect() as conn:
        value = conn.execute(select(func.max(studies.c.study_datetime))).scalar()
    return value.date() if isinstance(value, datetime) else None


def iter_export(engine: Engine, stmt: Any, chunk: int = 2000) -> Iterator[Sequence[Any]]:
    """Rows of an export statement, streamed."""
    from kerma.store.queries import stream

    yield from stream(engine, stmt, chunk)
