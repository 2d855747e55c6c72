"""Hand-built domain objects for tests that must not depend on a parser."""

from __future__ import annotations

from datetime import date, datetime

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

CT_ROOM = Device(manufacturer="SIEMENS", model="SOMATOM X", station_name="CT1", serial_number="1234")


def ct_event(uid: str, dlp: float | None, ctdivol: float | None = 10.0) -> IrradiationEvent:
    """A CT acquisition with the given DLP."""
    return IrradiationEvent(
        irradiation_event_uid=uid,
        modality="CT",
        event_type="spiral",
        ctdivol_mgy=ctdivol,
        dlp_mgy_cm=dlp,
        ctdi_phantom="body32",
        protocol="THORAX",
    )


def ct_rdsr(
    sop: str,
    study: str,
    events: list[IrradiationEvent],
    total_dlp: float | None,
    *,
    device: Device = CT_ROOM,
    patient_id: str = "PAT1",
    content: datetime | None = None,
    source: DoseSource = DoseSource.RDSR,
) -> DoseReport:
    """A CT dose report as a parser would return it."""
    return DoseReport(
        source=source,
        sop_instance_uid=sop,
        sop_class_uid="1.2.840.10008.5.1.4.1.1.88.67",
        study=StudyInfo(
            study,
            accession_number="ACC-" + study[-4:],
            study_datetime=datetime(2025, 3, 4, 10, 0),
            study_description="CT Thorax",
            modality="CT",
        ),
        kind=ReportKind.CT,
        device=device,
        patient=PatientCharacteristics(age_years=54.0, sex="F", height_m=1.68, weight_kg=70.0),
        identity=PatientIdentity(patient_id=patient_id, name="Müller^Anna", birth_date=date(1970, 5, 1)),
        content_datetime=content,
        events=events,
        accumulated=[AccumulatedDose(dlp_total_mgy_cm=total_dlp, event_count=len(events))]
        if total_dlp is not None
        else [],
    )


def header_event(sop: str, study: str, key: str, dap: float, modality: str = "DX") -> DoseReport:
    """A header-derived projection exposure."""
    return DoseReport(
        source=DoseSource.HEADER,
        sop_instance_uid=sop,
        sop_class_uid="1.2.840.10008.5.1.4.1.1.1.1",
        study=StudyInfo(study, study_datetime=datetime(2025, 3, 5, 9, 0), modality=modality),
        kind=ReportKind.PROJECTION,
        device=Device(manufacturer="GE", model="XR220", station_name="DX1", serial_number="S9"),
        identity=PatientIdentity(patient_id="PAT2"),
        events=[
            IrradiationEvent(
                irradiation_event_uid=sop,
                dedupe_key=key,
                modality=modality,
                dap_gy_cm2=dap,
                sop_instance_uid=sop,
            )
        ],
    )
