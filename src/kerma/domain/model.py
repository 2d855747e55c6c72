"""Domain objects: what one dose object says, in canonical units, with no I/O.

Parsers (``kerma.ingest``) build these; the store (``kerma.store``) persists them. Every dose field is
named with its canonical unit, as the database column that holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class DoseSource(StrEnum):
    """Where an exposure's numbers came from; decides precedence within a study."""

    RDSR = "rdsr"
    """A radiation dose structured report (TID 10001 / 10011 / 10021)."""
    HEADER = "header"
    """Dose attributes of an image header."""
    MPPS = "mpps"
    """Dose attributes of a Modality Performed Procedure Step."""
    OCR = "ocr"
    """Numbers read from a dose screen image."""


# Lower rank wins: RDSR data replaces header data for the same study, never adds to it.
SOURCE_PRECEDENCE: dict[DoseSource, int] = {
    DoseSource.RDSR: 0,
    DoseSource.MPPS: 1,
    DoseSource.HEADER: 2,
    DoseSource.OCR: 3,
}


class ReportKind(StrEnum):
    """The procedure a dose object reports."""

    CT = "ct"
    PROJECTION = "projection"
    MAMMOGRAPHY = "mammography"
    RADIOPHARMACEUTICAL = "radiopharmaceutical"


class RejectedInput(ValueError):
    """An object that cannot be stored; the message names the field and the reason."""

    def __init__(self, reason: str, field_name: str | None = None) -> None:
        self.reason = reason
        self.field_name = field_name
        super().__init__(f"{field_name}: {reason}" if field_name else reason)


class NotDoseRelevant(Exception):
    """A readable object that carries no dose information (an SR that is not a dose report, ...)."""


@dataclass(slots=True)
class Device:
    """The modality (room) that irradiated the patient, as the object describes it."""

    manufacturer: str | None = None
    model: str | None = None
    station_name: str | None = None
    serial_number: str | None = None
    device_observer_uid: str | None = None
    device_observer_name: str | None = None
    institution: str | None = None
    department: str | None = None
    location: str | None = None
    software_versions: str | None = None
    calling_ae_title: str | None = None


@dataclass(slots=True)
class PatientIdentity:
    """Identifying data. Only ever stored in the identity table, never beside dose data."""

    patient_id: str | None = None
    issuer: str | None = None
    name: str | None = None
    birth_date: date | None = None


@dataclass(slots=True)
class PatientCharacteristics:
    """Characteristics at the time of the exam, kept with the study because dose needs them."""

    age_years: float | None = None
    sex: str | None = None
    height_m: float | None = None
    weight_kg: float | None = None


@dataclass(slots=True)
class StudyInfo:
    """Study-level attributes of one object."""

    study_instance_uid: str
    accession_number: str | None = None
    study_datetime: datetime | None = None
    study_description: str | None = None
    series_description: str | None = None
    requested_procedure: str | None = None
    performed_procedure: str | None = None
    study_id: str | None = None
    modality: str | None = None


@dataclass(slots=True)
class IrradiationEvent:
    """One irradiation event (one acquisition, one fluoroscopy run, one exposure) in canonical units."""

    irradiation_event_uid: str
    modality: str
    dedupe_key: str = ""
    event_type: str | None = None
    datetime_started: datetime | None = None
    protocol: str | None = None
    target_region: str | None = None
    laterality: str | None = None
    acquisition_plane: str | None = None
    comment: str | None = None
    # CT (TID 10013)
    ctdivol_mgy: float | None = None
    dlp_mgy_cm: float | None = None
    ctdi_phantom: str | None = None
    scanning_length_mm: float | None = None
    exposed_range_mm: float | None = None
    pitch_factor: float | None = None
    nominal_single_collimation_mm: float | None = None
    nominal_total_collimation_mm: float | None = None
    number_of_sources: int | None = None
    exposure_time_per_rotation_s: float | None = None
    max_tube_current_ma: float | None = None
    water_equivalent_diameter_mm: float | None = None
    ssde_mgy: float | None = None
    effective_dose_msv: float | None = None
    dose_check_alert: bool | None = None
    dose_check_notification: bool | None = None
    dose_check: dict[str, Any] | None = None
    # technique, all modalities
    kvp: float | None = None
    tube_current_ma: float | None = None
    exposure_time_s: float | None = None
    exposure_mas: float | None = None
    # projection (TID 10003 and its source / detector / mechanical parts)
    dap_gy_cm2: float | None = None
    kar_mgy: float | None = None
    fluoro_time_s: float | None = None
    irradiation_duration_s: float | None = None
    fluoro_mode: str | None = None
    pulse_rate_per_s: float | None = None
    pulse_width_ms: float | None = None
    number_of_pulses: float | None = None
    reference_point_definition: str | None = None
    distance_source_to_rp_mm: float | None = None
    distance_source_to_detector_mm: float | None = None
    distance_source_to_isocenter_mm: float | None = None
    distance_source_to_patient_mm: float | None = None
    positioner_primary_angle_deg: float | None = None
    positioner_secondary_angle_deg: float | None = None
    positioner_primary_end_angle_deg: float | None = None
    positioner_secondary_end_angle_deg: float | None = None
    column_angulation_deg: float | None = None
    table_longitudinal_position_mm: float | None = None
    table_lateral_position_mm: float | None = None
    table_height_position_mm: float | None = None
    collimated_field_area_cm2: float | None = None
    collimated_field_height_mm: float | None = None
    collimated_field_width_mm: float | None = None
    filters: str | None = None
    focal_spot_mm: float | None = None
    grid: str | None = None
    exposure_index: float | None = None
    target_exposure_index: float | None = None
    deviation_index: float | None = None
    # mammography
    agd_mgy: float | None = None
    entrance_dose_mgy: float | None = None
    compression_thickness_mm: float | None = None
    compression_force_n: float | None = None
    half_value_layer_mm: float | None = None
    anode_target: str | None = None
    view: str | None = None
    body_part: str | None = None
    # header-derived exposures keep the image they came from
    sop_instance_uid: str | None = None
    series_instance_uid: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.dedupe_key:
            self.dedupe_key = self.irradiation_event_uid


@dataclass(slots=True)
class AccumulatedDose:
    """Accumulated values an object reports (TID 10002/10004/10005/10007, TID 10012), per plane."""

    plane: str | None = None
    dap_total_gy_cm2: float | None = None
    kar_total_mgy: float | None = None
    fluoro_dap_total_gy_cm2: float | None = None
    fluoro_kar_total_mgy: float | None = None
    fluoro_time_total_s: float | None = None
    acquisition_dap_total_gy_cm2: float | None = None
    acquisition_kar_total_mgy: float | None = None
    acquisition_time_total_s: float | None = None
    total_frames: float | None = None
    total_pulses: float | None = None
    agd_left_mgy: float | None = None
    agd_right_mgy: float | None = None
    agd_both_mgy: float | None = None
    dlp_total_mgy_cm: float | None = None
    event_count: int | None = None
    effective_dose_total_msv: float | None = None
    calibration_factor: float | None = None
    reference_point_definition: str | None = None


@dataclass(slots=True)
class Administration:
    """One radiopharmaceutical administration (TID 10022) or the PET/NM header equivalent."""

    event_uid: str
    radionuclide: str | None = None
    radionuclide_half_life_s: float | None = None
    pharmaceutical: str | None = None
    activity_mbq: float | None = None
    route: str | None = None
    start_datetime: datetime | None = None
    stop_datetime: datetime | None = None
    pre_administration_activity_mbq: float | None = None
    post_administration_activity_mbq: float | None = None
    organ_doses: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class DoseReport:
    """Everything one DICOM object (an RDSR, an image header, an MPPS) says about dose."""

    source: DoseSource
    sop_instance_uid: str
    sop_class_uid: str
    study: StudyInfo
    kind: ReportKind | None = None
    device: Device = field(default_factory=Device)
    patient: PatientCharacteristics = field(default_factory=PatientCharacteristics)
    identity: PatientIdentity = field(default_factory=PatientIdentity)
    series_instance_uid: str | None = None
    content_datetime: datetime | None = None
    scope_of_accumulation: str | None = None
    source_of_dose_information: str | None = None
    events: list[IrradiationEvent] = field(default_factory=list)
    accumulated: list[AccumulatedDose] = field(default_factory=list)
    administrations: list[Administration] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def modality(self) -> str | None:
        """Modality of the exam reported (CT, RF, XA, DX, CR, MG, NM, PT, PX)."""
        return self.study.modality
