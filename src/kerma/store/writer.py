"""Store one parsed dose object: device, pseudonymised patient, study, object, events; then recombine the
study's totals. Called inside a transaction (or savepoint) by the ingest pipeline; never parses anything.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select, update

from kerma.domain.model import DoseReport, DoseSource, IrradiationEvent
from kerma.domain.totals import ObjectSummary, Totals, combine, summarise
from kerma.privacy.pseudonym import PhantomMatcher, Pseudonymiser
from kerma.store.dml import insert_ignoring_conflicts
from kerma.store.schema.core import (
    accumulated_doses,
    administrations,
    device_observer_uids,
    devices,
    dose_objects,
    events,
    patient_identities,
    patients,
    studies,
)


class Outcome(StrEnum):
    """What happened to one input object."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    NOT_DOSE_RELEVANT = "not_dose_relevant"
    REJECTED = "rejected"


@dataclass(slots=True)
class SaveResult:
    """Result of storing one object."""

    outcome: Outcome
    sop_instance_uid: str | None = None
    study_instance_uid: str | None = None
    events_added: int = 0
    reason: str | None = None
    study_id: int | None = None


def utcnow() -> datetime:
    """Naive UTC timestamp (what the DateTime columns hold)."""
    return datetime.now(UTC).replace(tzinfo=None)


_TOTAL_FIELDS = [f.name for f in dataclasses.fields(Totals)]
_EVENT_FIELDS = [f.name for f in dataclasses.fields(IrradiationEvent)]


def _norm(value: str | None) -> str:
    return re.sub(r"\s+", " ", (value or "").strip().lower())


def device_match_key(fields: tuple[str, ...], values: dict[str, str | None]) -> str:
    """Stable room key from the configured fields; falls back to station name, then the observer UID."""
    parts = [_norm(values.get(f)) for f in fields]
    if all(parts[i] for i, f in enumerate(fields) if f not in ("manufacturer", "model")) and any(parts):
        return "|".join(f"{f}={p}" for f, p in zip(fields, parts, strict=True))
    fallback = ("manufacturer", "model", "station_name")
    parts = [_norm(values.get(f)) for f in fallback]
    if parts[2]:
        return "|".join(f"{f}={p}" for f, p in zip(fallback, parts, strict=True))
    if values.get("device_observer_uid"):
        return f"device_observer_uid={_norm(values['device_observer_uid'])}"
    if values.get("calling_ae_title"):
        return f"ae={_norm(values['calling_ae_title'])}|manufacturer={parts[0]}|model={parts[1]}"
    return f"unknown|manufacturer={parts[0]}|model={parts[1]}"


class StoreWriter:
    """Writes parsed reports; holds the pseudonymiser and the room-matching rule."""

    def __init__(
        self,
        pseudonymiser: Pseudonymiser,
        phantom: PhantomMatcher,
        device_match: tuple[str, ...],
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.pseudonymiser = pseudonymiser
        self.phantom = phantom
        self.device_match = device_match
        self.now = now

    # -- devices ---------------------------------------------------------------------------------

    def resolve_device(self, conn: Connection, report: DoseReport) -> int:
        """The room's id: by known Device Observer UID, else by match key; new rooms are created."""
        d = report.device
        if d.device_observer_uid:
            row = conn.execute(
                select(device_observer_uids.c.device_id).where(
                    device_observer_uids.c.uid == d.device_observer_uid
                )
            ).first()
            if row:
                return self._follow_merge(conn, row[0])
        values = {name: getattr(d, name) for name in d.__slots__}
        key = device_match_key(self.device_match, values)
        row = conn.execute(select(devices.c.id).where(devices.c.match_key == key)).first()
        if row:
            device_id = self._follow_merge(conn, row[0])
        else:
            device_id = conn.execute(
                devices.insert().values(
                    match_key=key,
                    display_name=d.station_name or d.device_observer_name or d.calling_ae_title or d.model,
                    manufacturer=d.manufacturer,
                    model=d.model,
                    station_name=d.station_name,
                    serial_number=d.serial_number,
                    device_observer_uid=d.device_observer_uid,
                    institution=d.institution,
                    department=d.department,
                    calling_ae_title=d.calling_ae_title,
                    created_at=self.now(),
                )
            ).inserted_primary_key[0]
        if d.device_observer_uid:
            conn.execute(
                insert_ignoring_conflicts(device_observer_uids).values(
                    uid=d.device_observer_uid, device_id=device_id
                )
            )
        return int(device_id)

    @staticmethod
    def _follow_merge(conn: Connection, device_id: int) -> int:
        for _ in range(32):
            row = conn.execute(select(devices.c.merged_into_id).where(devices.c.id == device_id)).first()
            if not row or row[0] is None:
                return device_id
            device_id = row[0]
        return device_id

    # -- patients --------------------------------------------------------------------------------

    def resolve_patient(self, conn: Connection, report: DoseReport) -> tuple[int, bool]:
        """Pseudonymised patient id (identity row kept apart) and whether it is a phantom/QA 'patient'."""
        ident = report.identity
        key = self.pseudonymiser.patient_key(ident, report.study.study_instance_uid)
        is_phantom = self.phantom(ident)
        row = conn.execute(
            select(patients.c.id, patients.c.is_phantom).where(patients.c.patient_key == key)
        ).first()
        now = self.now()
        if row:
            return int(row[0]), bool(row[1])
        pid = conn.execute(
            patients.insert().values(patient_key=key, is_phantom=is_phantom, created_at=now)
        ).inserted_primary_key[0]
        if ident.patient_id or ident.name or ident.birth_date:
            conn.execute(
                patient_identities.insert().values(
                    patient_id=pid,
                    id_value=ident.patient_id,
                    issuer=ident.issuer,
                    name=ident.name,
                    birth_date=ident.birth_date,
                    updated_at=now,
                )
            )
        return int(pid), is_phantom

    # -- studies ---------------------------------------------------------------------------------

    def upsert_study(
        self, conn: Connection, report: DoseReport, device_id: int, patient_id: int, is_phantom: bool
    ) -> int:
        """Create the study or fill its gaps; RDSR attributes replace header-derived ones."""
        st, pt = report.study, report.patient
        values: dict[str, Any] = {
            "accession_number": st.accession_number,
            "study_datetime": st.study_datetime,
            "modality": self._room_modality(conn, report, device_id),
            "device_id": device_id,
            "patient_id": patient_id,
            "study_description": st.study_description,
            "series_description": st.series_description,
            "requested_procedure": st.requested_procedure,
            "performed_procedure": st.performed_procedure,
            "patient_age_years": pt.age_years,
            "patient_sex": pt.sex,
            "patient_weight_kg": pt.weight_kg,
            "patient_height_m": pt.height_m,
            "is_phantom": is_phantom,
        }
        row = (
            conn.execute(select(studies).where(studies.c.study_instance_uid == st.study_instance_uid))
            .mappings()
            .first()
        )
        now = self.now()
        if row is None:
            return int(
                conn.execute(
                    studies.insert().values(
                        study_instance_uid=st.study_instance_uid, created_at=now, updated_at=now, **values
                    )
                ).inserted_primary_key[0]
            )
        prefer_new = report.source == DoseSource.RDSR and row["dose_source"] != DoseSource.RDSR.value
        if {row["modality"], values["modality"]} == {"RF", "XA"}:
            # An RDSR does not say whether the room is fluoroscopy or angiography; images do.
            values["modality"] = row["modality"]
        changes = {
            k: v
            for k, v in values.items()
            if v is not None and (row[k] is None or (prefer_new and k in ("modality", "device_id")))
        }
        if is_phantom and not row["is_phantom"]:
            changes["is_phantom"] = True
        if changes:
            changes["updated_at"] = now
            conn.execute(update(studies).where(studies.c.id == row["id"]).values(**changes))
        return int(row["id"])

    @staticmethod
    def _room_modality(conn: Connection, report: DoseReport, device_id: int) -> str | None:
        """RF or XA for a fluoroscopy RDSR: what the room's images said before, else the parser's guess."""
        modality = report.study.modality
        if report.source != DoseSource.RDSR or modality not in ("RF", "XA"):
            return modality
        seen = conn.execute(
            select(studies.c.modality)
            .where(studies.c.device_id == device_id, studies.c.modality.in_(("RF", "XA")))
            .order_by(studies.c.id.desc())
            .limit(1)
        ).scalar()
        return seen or modality

    # -- the object ------------------------------------------------------------------------------

    def save(
        self, conn: Connection, report: DoseReport, origin: str | None = None, sha256: str | None = None
    ) -> SaveResult:
        """Store one report (caller owns the transaction). A known SOP Instance UID is a duplicate."""
        uid = report.sop_instance_uid
        existing = conn.execute(
            select(dose_objects.c.id, dose_objects.c.sha256).where(dose_objects.c.sop_instance_uid == uid)
        ).first()
        if existing is not None:
            same = sha256 is not None and existing[1] == sha256
            reason = (
                "already stored (same SOP Instance UID and content)"
                if same
                else "SOP Instance UID already stored with different content; the first object is kept"
            )
            return SaveResult(Outcome.DUPLICATE, uid, report.study.study_instance_uid, 0, reason)

        device_id = self.resolve_device(conn, report)
        patient_id, is_phantom = self.resolve_patient(conn, report)
        study_id = self.upsert_study(conn, report, device_id, patient_id, is_phantom)
        summary = summarise(report)
        object_id = conn.execute(
            dose_objects.insert().values(
                sop_instance_uid=uid,
                sop_class_uid=report.sop_class_uid,
                study_id=study_id,
                device_id=device_id,
                source=report.source.value,
                kind=report.kind.value if report.kind else None,
                series_instance_uid=report.series_instance_uid,
                content_datetime=report.content_datetime,
                status="counted",
                summary=_summary_json(summary),
                warnings=report.warnings or None,
                origin=origin,
                sha256=sha256,
                received_at=self.now(),
            )
        ).inserted_primary_key[0]
        added = 0
        if report.events:
            rows = []
            for ev in report.events:
                row = {name: getattr(ev, name) for name in _EVENT_FIELDS}
                row.update(
                    study_id=study_id, dose_object_id=object_id, source=report.source.value, counted=False
                )
                rows.append(row)
            result = conn.execute(insert_ignoring_conflicts(events), rows)
            added = max(result.rowcount, 0)
        if report.accumulated:
            conn.execute(
                accumulated_doses.insert(),
                [dict(dataclasses.asdict(a), dose_object_id=object_id) for a in report.accumulated],
            )
        if report.administrations:
            conn.execute(
                insert_ignoring_conflicts(administrations),
                [
                    dict(
                        dataclasses.asdict(a),
                        study_id=study_id,
                        dose_object_id=object_id,
                        source=report.source.value,
                        counted=False,
                    )
                    for a in report.administrations
                ],
            )
        self.recombine(conn, study_id)
        return SaveResult(Outcome.STORED, uid, report.study.study_instance_uid, added, study_id=study_id)

    # -- totals ----------------------------------------------------------------------------------

    def recombine(self, conn: Connection, study_id: int) -> None:
        """Recompute which objects and events count and the study totals (see domain.totals.combine)."""
        objs = conn.execute(
            select(
                dose_objects.c.id,
                dose_objects.c.sop_instance_uid,
                dose_objects.c.source,
                dose_objects.c.device_id,
                dose_objects.c.content_datetime,
                dose_objects.c.summary,
                dose_objects.c.status,
            ).where(dose_objects.c.study_id == study_id)
        ).all()
        summaries = [_summary_from_json(o.summary, o) for o in objs]
        result = combine(summaries)
        counted = set(result.counted_objects)
        status_of = {
            **{u: "superseded" for u in result.superseded_objects},
            **{u: "outranked" for u in result.outranked_objects},
            **{u: "counted" for u in counted},
        }
        for o in objs:
            new = status_of.get(o.sop_instance_uid, "duplicate")
            if new != o.status:
                conn.execute(update(dose_objects).where(dose_objects.c.id == o.id).values(status=new))
        by_uid = {s.sop_instance_uid: s for s in summaries}
        pairs = {(by_uid[u].source.value, k) for u in counted for k in by_uid[u].event_keys}
        admin_pairs = {(by_uid[u].source.value, k) for u in counted for k in by_uid[u].administration_keys}
        n_events = self._set_counted(conn, events, events.c.dedupe_key, study_id, pairs)
        self._set_counted(conn, administrations, administrations.c.event_uid, study_id, admin_pairs)
        values: dict[str, Any] = {name: getattr(result.totals, name) for name in _TOTAL_FIELDS}
        values.update(
            event_count=n_events,
            dose_source=result.dose_source.value if result.dose_source else None,
            flags=result.flags or None,
            updated_at=self.now(),
        )
        conn.execute(update(studies).where(studies.c.id == study_id).values(**values))

    @staticmethod
    def _set_counted(
        conn: Connection, table: Any, key_col: Any, study_id: int, pairs: set[tuple[str, str]]
    ) -> int:
        rows = conn.execute(
            select(table.c.id, table.c.source, key_col, table.c.counted).where(table.c.study_id == study_id)
        ).all()
        on = [r[0] for r in rows if (r[1], r[2]) in pairs and not r[3]]
        off = [r[0] for r in rows if (r[1], r[2]) not in pairs and r[3]]
        if on:
            conn.execute(update(table).where(table.c.id.in_(on)).values(counted=True))
        if off:
            conn.execute(update(table).where(table.c.id.in_(off)).values(counted=False))
        return sum(1 for r in rows if (r[1], r[2]) in pairs)


def _summary_json(s: ObjectSummary) -> dict[str, Any]:
    return {
        "event_keys": sorted(s.event_keys),
        "administration_keys": sorted(s.administration_keys),
        "reported": dataclasses.asdict(s.reported),
        "from_events": dataclasses.asdict(s.from_events),
        "event_values": s.event_values,
        "group_key": s.group_key,
        "administration_values": s.administration_values,
    }


def _summary_from_json(data: dict[str, Any], row: Any) -> ObjectSummary:
    return ObjectSummary(
        sop_instance_uid=row.sop_instance_uid,
        source=DoseSource(row.source),
        group_key=data.get("group_key", str(row.device_id)),
        event_keys=frozenset(data.get("event_keys", [])),
        reported=Totals(**data.get("reported", {})),
        from_events=Totals(**data.get("from_events", {})),
        received_order=int(row.id),
        content_datetime=row.content_datetime,
        administration_keys=frozenset(data.get("administration_keys", [])),
        event_values=data.get("event_values", {}),
        administration_values=data.get("administration_values", {}),
    )


__all__ = ["Outcome", "SaveResult", "StoreWriter", "device_match_key", "utcnow"]
