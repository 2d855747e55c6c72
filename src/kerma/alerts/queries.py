"""Reading alerts: the inbox list with filters, one alert with its history, and the export of reportable
events with what an authority asks for. Patients appear only by their pseudonym.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from kerma.alerts import drl_lookup
from kerma.alerts.quantities import unit_of
from kerma.alerts.review import State, history
from kerma.store.schema.alerts import alert_changes, alert_rules, alerts
from kerma.store.schema.core import devices, patients, studies


@dataclass(slots=True)
class AlertFilter:
    """Filters of the alert list (empty: everything)."""

    states: Sequence[str] = ()
    rule_ids: Sequence[int] = ()
    modalities: Sequence[str] = ()
    device_ids: Sequence[int] = ()
    exam_codes: Sequence[str] = ()
    severities: Sequence[str] = ()
    date_from: datetime | None = None
    date_to: datetime | None = None
    """On the exam's date (the event's, else the study's)."""
    study_instance_uid: str | None = None
    limit: int | None = None
    offset: int = 0


def _base() -> Select[Any]:
    sec = drl_lookup.exam_code_table()
    cols: list[Any] = [
        alerts.c.id,
        alerts.c.rule_id,
        alert_rules.c.name.label("rule"),
        alert_rules.c.kind.label("kind"),
        alert_rules.c.source.label("rule_source"),
        alerts.c.scope,
        alerts.c.state,
        alerts.c.severity,
        studies.c.study_instance_uid,
        studies.c.accession_number,
        studies.c.study_datetime,
        studies.c.study_description,
        alerts.c.event_datetime,
        alerts.c.detected_at,
        alerts.c.modality,
        alerts.c.device_id,
        devices.c.display_name.label("room"),
        devices.c.station_name,
        devices.c.institution,
        devices.c.manufacturer,
        devices.c.model,
        alerts.c.exam_code,
        alerts.c.irradiation_event_uid,
        alerts.c.quantity,
        alerts.c.value,
        alerts.c.threshold,
        alerts.c.drl_value,
        alerts.c.drl_factor,
        alerts.c.details,
        patients.c.patient_key,
        studies.c.patient_age_years,
        studies.c.patient_sex,
        studies.c.patient_weight_kg,
        alerts.c.updated_at,
        alerts.c.updated_by,
    ]
    frm = (
        alerts.join(alert_rules, alert_rules.c.id == alerts.c.rule_id)
        .outerjoin(studies, studies.c.id == alerts.c.study_id)
        .outerjoin(devices, devices.c.id == alerts.c.device_id)
        .outerjoin(patients, patients.c.id == studies.c.patient_id)
    )
    if sec is not None:
        cols.append(sec.c.exam_name)
        frm = frm.outerjoin(sec, sec.c.study_id == alerts.c.study_id)
    return select(*cols).select_from(frm)


def _filtered(f: AlertFilter) -> Select[Any]:
    stmt = _base()
    if f.states:
        stmt = stmt.where(alerts.c.state.in_(list(f.states)))
    if f.rule_ids:
        stmt = stmt.where(alerts.c.rule_id.in_(list(f.rule_ids)))
    if f.modalities:
        stmt = stmt.where(alerts.c.modality.in_([m.upper() for m in f.modalities]))
    if f.device_ids:
        stmt = stmt.where(alerts.c.device_id.in_(list(f.device_ids)))
    if f.exam_codes:
        stmt = stmt.where(alerts.c.exam_code.in_(list(f.exam_codes)))
    if f.severities:
        stmt = stmt.where(alerts.c.severity.in_(list(f.severities)))
    if f.date_from is not None:
        stmt = stmt.where(alerts.c.event_datetime >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(alerts.c.event_datetime < f.date_to)
    if f.study_instance_uid:
        stmt = stmt.where(studies.c.study_instance_uid == f.study_instance_uid)
    stmt = stmt.order_by(alerts.c.detected_at.desc(), alerts.c.id.desc())
    if f.limit is not None:
        stmt = stmt.limit(f.limit)
    if f.offset:
        stmt = stmt.offset(f.offset)
    return stmt


def _row(m: Any) -> dict[str, Any]:
    d = dict(m)
    details = d.get("details") or {}
    d["reason"] = details.get("reason")
    d["unit"] = unit_of(d.get("quantity"))
    d.setdefault("exam_name", None)
    return d


def list_alerts(conn: Connection, f: AlertFilter | None = None) -> list[dict[str, Any]]:
    """Alerts, newest first, with their rule, study, room and patient pseudonym."""
    return [_row(m) for m in conn.execute(_filtered(f or AlertFilter())).mappings()]


def count_alerts(conn: Connection, f: AlertFilter | None = None) -> int:
    """How many alerts the filter matches (ignoring limit and offset)."""
    f = f or AlertFilter()
    inner = _filtered(_nolimit(f))
    return int(conn.execute(select(func.count()).select_from(inner.order_by(None).subquery())).scalar_one())


def _nolimit(f: AlertFilter) -> AlertFilter:
    return AlertFilter(
        states=f.states,
        rule_ids=f.rule_ids,
        modalities=f.modalities,
        device_ids=f.device_ids,
        exam_codes=f.exam_codes,
        severities=f.severities,
        date_from=f.date_from,
        date_to=f.date_to,
        study_instance_uid=f.study_instance_uid,
    )


def get_alert(conn: Connection, alert_id: int) -> dict[str, Any] | None:
    """One alert with its history."""
    m = conn.execute(_base().where(alerts.c.id == alert_id)).mappings().first()
    if m is None:
        return None
    d = _row(m)
    d["history"] = [c.as_dict() for c in history(conn, alert_id)]
    return d


def state_counts(conn: Connection) -> dict[str, int]:
    """Alerts per state (for the inbox header)."""
    rows = conn.execute(select(alerts.c.state, func.count()).group_by(alerts.c.state)).all()
    counts = {s.value: 0 for s in State}
    counts.update({r[0]: int(r[1]) for r in rows})
    return counts


# -- export for the authority ---------------------------------------------------------------------

EXPORT_COLUMNS = [
    "alert_id",
    "exam_date",
    "study_datetime",
    "institution",
    "room",
    "station_name",
    "manufacturer",
    "model",
    "modality",
    "exam_code",
    "exam_name",
    "study_description",
    "accession_number",
    "study_instance_uid",
    "irradiation_event_uid",
    "rule",
    "rule_source",
    "quantity",
    "unit",
    "value",
    "threshold",
    "drl_value",
    "drl_factor",
    "drl_set",
    "patient_pseudonym",
    "patient_age_years",
    "patient_sex",
    "patient_weight_kg",
    "trigger",
    "state",
    "decided_by",
    "decided_at",
    "decision_reason",
    "detected_at",
]


def _decisions(conn: Connection, ids: list[int]) -> dict[int, tuple[str, datetime, str | None]]:
    if not ids:
        return {}
    rows = conn.execute(
        select(alert_changes.c.alert_id, alert_changes.c.actor, alert_changes.c.at, alert_changes.c.comment)
        .where(
            alert_changes.c.alert_id.in_(ids),
            alert_changes.c.to_state.in_([State.REPORTABLE.value, State.NOT_REPORTABLE.value]),
        )
        .order_by(alert_changes.c.id)
    ).all()
    # The latest decision wins.
    return {int(r[0]): (r[1], r[2], r[3]) for r in rows}


def export_rows(conn: Connection, f: AlertFilter) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows of the export (reportable events by default in the CLI and API)."""
    found = list_alerts(conn, f)
    decisions = _decisions(conn, [a["id"] for a in found])
    rows: list[list[Any]] = []
    for a in found:
        dec = decisions.get(a["id"])
        when = a["event_datetime"] or a["study_datetime"]
        details = a.get("details") or {}
        values = {
            "alert_id": a["id"],
            "exam_date": when.date().isoformat() if when else None,
            "study_datetime": a["study_datetime"],
            "institution": a["institution"],
            "room": a["room"],
            "station_name": a["station_name"],
            "manufacturer": a["manufacturer"],
            "model": a["model"],
            "modality": a["modality"],
            "exam_code": a["exam_code"],
            "exam_name": a.get("exam_name"),
            "study_description": a["study_description"],
            "accession_number": a["accession_number"],
            "study_instance_uid": a["study_instance_uid"],
            "irradiation_event_uid": a["irradiation_event_uid"],
            "rule": a["rule"],
            "rule_source": a["rule_source"],
            "quantity": a["quantity"],
            "unit": a["unit"],
            "value": a["value"],
            "threshold": a["threshold"],
            "drl_value": a["drl_value"],
            "drl_factor": a["drl_factor"],
            "drl_set": details.get("drl_set"),
            "patient_pseudonym": a["patient_key"],
            "patient_age_years": a["patient_age_years"],
            "patient_sex": a["patient_sex"],
            "patient_weight_kg": a["patient_weight_kg"],
            "trigger": a["reason"],
            "state": a["state"],
            "decided_by": dec[0] if dec else None,
            "decided_at": dec[1] if dec else None,
            "decision_reason": dec[2] if dec else None,
            "detected_at": a["detected_at"],
        }
        rows.append([values[c] for c in EXPORT_COLUMNS])
    return EXPORT_COLUMNS, rows
