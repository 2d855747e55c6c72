"""A small, fully known data set for the web tests: rooms, patients with identities, CT/DX/MG studies,
and hostile text (HTML, SQL) in the fields users see."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from kerma.config import Settings
from kerma.domain.model import (
    Device,
    DoseReport,
    DoseSource,
    IrradiationEvent,
    PatientCharacteristics,
    PatientIdentity,
    ReportKind,
    StudyInfo,
)
from kerma.ingest.pipeline import Ingestor, Parsed

CT = Device(manufacturer="SIEMENS", model="SOMATOM X", station_name="CT1", serial_number="1")
CT2 = Device(manufacturer="GE", model="Revolution", station_name="CT2", serial_number="2")
# a station name a hostile or broken modality might send: it must show as text everywhere
XR = Device(manufacturer="ACME", model="DR", station_name="<b>XR</b><script>x()</script>", serial_number="3")
MG = Device(manufacturer="HOLOGIC", model="Selenia", station_name="MG1", serial_number="4")

HOSTILE_DESCRIPTION = "<img src=x onerror=alert(1)> '; DROP TABLE studies; --"
START = datetime(2025, 1, 6, 8, 0)  # a Monday

# CT1: DLP 100..1000 (10 studies), CT2: DLP 150..600 (4 studies); DX: 6 studies; MG: 4 studies
CT1_DLP = [100.0 * i for i in range(1, 11)]
CT2_DLP = [150.0, 300.0, 450.0, 600.0]
DX_DAP = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
MG_AGD = [1.0, 1.5, 2.0, 2.5]


def _uid(n: int) -> str:
    return f"1.2.826.0.1.3680043.10.1.{n}"


def _report(
    n: int, modality: str, device: Device, when: datetime, patient: str, description: str, dose: float
) -> DoseReport:
    kind = {"CT": ReportKind.CT, "MG": ReportKind.MAMMOGRAPHY}.get(modality, ReportKind.PROJECTION)
    ev = IrradiationEvent(irradiation_event_uid=_uid(10_000 + n), modality=modality, datetime_started=when)
    if modality == "CT":
        ev.dlp_mgy_cm, ev.ctdivol_mgy, ev.protocol, ev.kvp = dose, dose / 40, "THORAX", 120.0
    elif modality == "MG":
        ev.agd_mgy, ev.view = dose, "CC"
    else:
        ev.dap_gy_cm2, ev.kar_mgy = dose, dose * 2
    return DoseReport(
        source=DoseSource.RDSR,
        sop_instance_uid=_uid(20_000 + n),
        sop_class_uid="1.2.840.10008.5.1.4.1.1.88.67",
        study=StudyInfo(
            _uid(n),
            accession_number=f"ACC{n:04d}",
            study_datetime=when,
            study_description=description,
            modality=modality,
        ),
        kind=kind,
        device=device,
        patient=PatientCharacteristics(
            age_years=40.0 + n % 30, sex="F" if n % 2 else "M", weight_kg=60.0 + n
        ),
        identity=PatientIdentity(patient_id=patient, issuer="HOSP", name=f"Doe^{patient}"),
        events=[ev],
    )


def seed(engine: Engine) -> dict[str, object]:
    """Store the data set; returns what tests need to know about it."""
    reports: list[DoseReport] = []
    n = 0
    for i, dlp in enumerate(CT1_DLP):
        n += 1
        reports.append(
            _report(
                n,
                "CT",
                CT,
                START + timedelta(days=3 * i, hours=i % 5),
                "PAT1" if i < 3 else f"C{i}",
                "CT Thorax",
                dlp,
            )
        )
    for i, dlp in enumerate(CT2_DLP):
        n += 1
        reports.append(_report(n, "CT", CT2, START + timedelta(days=7 * i + 1), f"D{i}", "CT Abdomen", dlp))
    for i, dap in enumerate(DX_DAP):
        n += 1
        desc = HOSTILE_DESCRIPTION if i == 0 else "Chest PA"
        reports.append(
            _report(
                n,
                "DX",
                XR,
                START + timedelta(days=5 * i + 2, hours=2),
                "PAT1" if i == 1 else f"X{i}",
                desc,
                dap,
            )
        )
    for i, agd in enumerate(MG_AGD):
        n += 1
        reports.append(_report(n, "MG", MG, START + timedelta(days=10 * i + 3), f"M{i}", "Screening", agd))
    ingestor = Ingestor(engine, Settings())
    for r in reports:
        result = ingestor.store_one(Parsed("test", r, None))
        assert result.outcome == "stored", result
    return {"studies": len(reports), "uids": [_uid(i) for i in range(1, n + 1)], "pat1_studies": 4}
