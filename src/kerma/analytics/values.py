"""Keep ``stat_values`` in step with the store: a study's value rows are rebuilt from its current data.

What a row holds is defined here once (it was the statistics' query before they had their own table):
per study, DLP is the study total; CTDIvol the mean over the study's counted CT acquisitions other than
localizers and bolus-tracking monitoring (event types 'constant_angle' and 'stationary'); DAP and AGD
the study totals. Per exposure, each counted event's own value (CT: each acquisition other than those
two types). Phantom studies, uncounted events and studies without an exam code have no rows.

Every writer that changes something a row depends on calls :func:`refresh` for the studies it touched,
in its own transaction: ingest (totals, counted events, phantom flag, patient age and weight), exam-code
mapping, patient corrections and device merges. :func:`refresh` with no ids rebuilds everything (the
migration that adds the table, and bulk loads done in SQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Executable,
    Float,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.expression import ColumnElement

from kerma.analytics.sqlfuncs import month_number
from kerma.store.schema.analytics import stat_values
from kerma.store.schema.core import events, studies
from kerma.store.schema.nomenclature import study_exam_codes

NON_DIAGNOSTIC_CT_EVENTS = ("constant_angle", "stationary")
STUDY_TOTALS = {
    "dlp_mgy_cm": studies.c.total_dlp_mgy_cm,
    "dap_gy_cm2": studies.c.total_dap_gy_cm2,
    "agd_mgy": studies.c.total_agd_mgy,
}
EXPOSURE_QUANTITIES = ("dlp_mgy_cm", "ctdivol_mgy", "dap_gy_cm2", "agd_mgy")
COLUMNS = (
    "study_id",
    "event_id",
    "quantity",
    "per",
    "exam_code",
    "device_id",
    "modality",
    "study_datetime",
    "month",
    "patient_age_years",
    "patient_weight_kg",
    "value",
)
_CHUNK = 500


def diagnostic_ct(col: ColumnElement[Any]) -> ColumnElement[bool]:
    """Event type is not a localizer or bolus-tracking monitoring (NULL counts as diagnostic)."""
    return or_(col.is_(None), col.not_in(NON_DIAGNOSTIC_CT_EVENTS))


def _study_cols(quantity: str, per: str, event_id: Any, value: ColumnElement[Any]) -> list[Any]:
    return [
        studies.c.id.label("study_id"),
        event_id.label("event_id"),
        literal(quantity).label("quantity"),
        literal(per).label("per"),
        study_exam_codes.c.exam_code.label("exam_code"),
        studies.c.device_id.label("device_id"),
        studies.c.modality.label("modality"),
        studies.c.study_datetime.label("study_datetime"),
        month_number(studies.c.study_datetime).label("month"),
        studies.c.patient_age_years.label("patient_age_years"),
        studies.c.patient_weight_kg.label("patient_weight_kg"),
        # Magnitudes below 1e-30 (no dose is that small; only corrupt data) become 0: PostgreSQL raises
        # on underflow when the statistics square them.
        case((func.abs(value) < 1e-30, literal(0.0, Float)), else_=value).label("value"),
    ]


def sources(study_ids: BindParameter[Any] | None = None) -> list[Select[Any]]:
    """One SELECT per (quantity, per) giving the rows of ``stat_values`` (all studies, or those whose
    ids an expanding bind parameter will give)."""
    coded = studies.join(study_exam_codes, study_exam_codes.c.study_id == studies.c.id)
    base: list[ColumnElement[bool]] = [studies.c.is_phantom.is_(False)]
    if study_ids is not None:
        base.append(studies.c.id.in_(study_ids))
    out: list[Select[Any]] = []
    for quantity, total in STUDY_TOTALS.items():
        out.append(
            select(*_study_cols(quantity, "study", null(), total))
            .select_from(coded)
            .where(and_(*base, total.is_not(None)))
        )
    ev_conds = [events.c.counted.is_(True), events.c.ctdivol_mgy > 0, diagnostic_ct(events.c.event_type)]
    if study_ids is not None:
        ev_conds.append(events.c.study_id.in_(study_ids))
    ctdi = (
        select(events.c.study_id, func.avg(events.c.ctdivol_mgy).label("v"))
        .where(and_(*ev_conds))
        .group_by(events.c.study_id)
        .subquery("ctdi")
    )
    out.append(
        select(*_study_cols("ctdivol_mgy", "study", null(), ctdi.c.v))
        .select_from(coded.join(ctdi, ctdi.c.study_id == studies.c.id))
        .where(and_(*base))
    )
    with_events = coded.join(events, events.c.study_id == studies.c.id)
    for quantity in EXPOSURE_QUANTITIES:
        col = events.c[quantity]
        conds = [*base, events.c.counted.is_(True), col.is_not(None)]
        if quantity in ("dlp_mgy_cm", "ctdivol_mgy"):
            conds.append(diagnostic_ct(events.c.event_type))
        out.append(
            select(*_study_cols(quantity, "exposure", events.c.id, col))
            .select_from(with_events)
            .where(and_(*conds))
        )
    return out


@cache
def _statements(by_id: bool) -> list[Executable]:
    """DELETE and INSERT ... SELECT statements, built once: ingest runs them for every object."""
    ids: BindParameter[Any] | None = bindparam("ids", expanding=True) if by_id else None
    out: list[Executable] = [
        delete(stat_values).where(stat_values.c.study_id.in_(ids)) if ids is not None else delete(stat_values)
    ]
    out += [stat_values.insert().from_select(list(COLUMNS), src) for src in sources(ids)]
    return out


def refresh(conn: Connection, study_ids: Iterable[int | None] | None = None) -> None:
    """Rebuild the value rows of these studies (of every study when ``study_ids`` is None)."""
    if study_ids is None:
        for stmt in _statements(False):
            conn.execute(stmt)
        return
    ids = sorted({int(i) for i in study_ids if i is not None})
    for start in range(0, len(ids), _CHUNK):
        for stmt in _statements(True):
            conn.execute(stmt, {"ids": ids[start : start + _CHUNK]})


def rebuild(conn: Connection) -> int:
    """Rebuild every row with the sorted indexes dropped and built again afterwards; returns the rows.

    For bulk loads done in SQL and restored backups: one sort per index instead of millions of
    index inserts.
    """
    sorted_indexes = [ix for ix in stat_values.indexes if ix.name != "ix_stat_values_study_id"]
    for ix in sorted_indexes:
        ix.drop(conn, checkfirst=True)
    refresh(conn)
    for ix in sorted_indexes:
        ix.create(conn)
    return int(conn.execute(select(func.count()).select_from(stat_values)).scalar_one())


def refresh_device(conn: Connection, old: int, new: int) -> None:
    """A device merged into another: its value rows follow its studies."""
    conn.execute(stat_values.update().where(stat_values.c.device_id == old).values(device_id=new))


__all__ = [
    "COLUMNS",
    "NON_DIAGNOSTIC_CT_EVENTS",
    "diagnostic_ct",
    "rebuild",
    "refresh",
    "refresh_device",
    "sources",
]
