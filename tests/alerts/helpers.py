"""Building blocks for alert tests: hand-built reports, storing them through the real ingest hooks,
DRLs and exam-code mappings set up with the DRL and nomenclature capabilities' own functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from kerma.alerts import drl_lookup
from kerma.alerts.rules import rule_from_dict
from kerma.alerts.rulestore import Saved, create_rule
from kerma.config import Settings
from kerma.domain.model import (
    AccumulatedDose,
    Device,
    DoseReport,
    DoseSource,
    IrradiationEvent,
    PatientCharacteristics,
    PatientIdentity,
    ReportKind,
    StudyInfo,
)
from kerma.ingest.hooks import default_hooks
from kerma.ingest.pipeline import Ingestor, Parsed
from kerma.store.schema.alerts import alerts
from kerma.store.writer import SaveResult
from tests.factories import CT_ROOM, ct_event, ct_rdsr

RF_ROOM = Device(manufacturer="PHILIPS", model="CombiDiagnost", station_name="RF1", serial_number="77")
XA_ROOM = Device(manufacturer="SIEMENS", model="Artis Q", station_name="ANGIO1", serial_number="88")
CT2_ROOM = Device(manufacturer="GE", model="Revolution", station_name="CT2", serial_number="5555")


def ct_study(
    n: int,
    *,
    ctdivol: float = 10.0,
    dlp: float = 300.0,
    patient: str = "PAT1",
    when: datetime | None = None,
    device: Device = CT_ROOM,
    description: str = "CT Thorax",
    region: str | None = "Chest",
    age: float | None = 54.0,
    events: list[IrradiationEvent] | None = None,
) -> DoseReport:
    """A CT study numbered ``n`` with one acquisition (or the given events)."""
    evs = events
    if evs is None:
        ev = ct_event(f"2.25.{n}.1", dlp, ctdivol)
        ev.target_region = region
        evs = [ev]
    rep = ct_rdsr(
        f"2.25.{n}.9",
        f"1.2.{n}",
        evs,
        sum(e.dlp_mgy_cm or 0.0 for e in evs),
        device=device,
        patient_id=patient,
    )
    rep.study.study_datetime = when or datetime(2025, 3, 4, 10, 0)
    rep.study.study_description = description
    rep.patient.age_years = age
    return rep


def rf_study(
    n: int,
    dap_gy_cm2: float,
    *,
    modality: str = "RF",
    patient: str = "PAT9",
    when: datetime | None = None,
    device: Device | None = None,
) -> DoseReport:
    """A fluoroscopy study whose RDSR reports a total DAP."""
    return DoseReport(
        source=DoseSource.RDSR,
        sop_instance_uid=f"2.26.{n}.9",
        sop_class_uid="1.2.840.10008.5.1.4.1.1.88.67",
        study=StudyInfo(
            f"1.3.{n}",
            study_datetime=when or datetime(2025, 3, 6, 9, 0),
            modality=modality,
            study_description="Durchleuchtung",
        ),
        kind=ReportKind.PROJECTION,
        device=device or (XA_ROOM if modality == "XA" else RF_ROOM),
        patient=PatientCharacteristics(age_years=60.0, sex="M"),
        identity=PatientIdentity(patient_id=patient),
        events=[
            IrradiationEvent(
                irradiation_event_uid=f"2.26.{n}.1",
                modality=modality,
                event_type="fluoroscopy",
                dap_gy_cm2=dap_gy_cm2,
                fluoro_time_s=120.0,
            )
        ],
        accumulated=[AccumulatedDose(dap_total_gy_cm2=dap_gy_cm2, fluoro_time_total_s=120.0)],
    )


def store(engine: Engine, *reports: DoseReport) -> list[SaveResult]:
    """Store reports one by one through the ingest pipeline with every installed hook."""
    ing = Ingestor(engine, Settings(), hooks=default_hooks())
    return [ing.store_one(Parsed(r.sop_instance_uid, r, None)) for r in reports]


def add_rule(engine: Engine, data: dict[str, Any], unit: str | None = None) -> Saved:
    """Validate and store a rule."""
    with engine.begin() as conn:
        return create_rule(conn, rule_from_dict(data, unit=unit), "test")


def alert_count(engine: Engine) -> int:
    """Number of alerts stored."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(alerts)).scalar_one())


def map_ct_thorax(engine: Engine, code: str = "1030", pattern: str = "CT Thorax") -> None:
    """A nomenclature rule mapping the factories' 'CT Thorax' studies to an exam code at ingest."""
    from kerma.nomenclature.service import add_rule as add_mapping

    with engine.begin() as conn:
        add_mapping(conn, pattern=pattern, exam_code=code, match="normalised", modality="CT", actor="test")


def local_drls(engine: Engine, rows: list[dict[str, Any]], key: str = "TEST-LOCAL") -> None:
    """Import a local DRL set and make it the one in force everywhere."""
    from kerma.drl.sets import activate, import_set

    with engine.begin() as conn:
        version, parsed = import_set(conn, rows, key=key, name="test set", year=2025)
        assert version, parsed.errors
        activate(conn, key, actor="test")
    drl_lookup.invalidate()


def drl_row(
    code: str, quantity: str, value: float, unit: str, per: str = "study", modality: str = "CT"
) -> dict[str, Any]:
    """One row of a DRL table as the DRL import reads it."""
    return {
        "exam_code": code,
        "modality": modality,
        "band": "adult",
        "quantity": quantity,
        "per": per,
        "value": value,
        "unit": unit,
    }
