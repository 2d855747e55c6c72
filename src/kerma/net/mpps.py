"""Modality Performed Procedure Step -> DoseReport: a pure function, no database.

Older modalities report dose in the (retired) MPPS Radiation Dose module instead of, or beside, an
RDSR: total fluoroscopy time, number of exposures, entrance dose, area dose product, and per-exposure
technique in the Exposure Dose Sequence; some CT scanners add a CT Exposure Sequence with CTDIvol. Only
a COMPLETED step counts. The step links to its study through the Scheduled Step Attributes Sequence.
Each Exposure Dose / CT Exposure item is an event; the step's area dose product and entrance dose form
one event marked ``mpps_step_totals`` and its fluoroscopy time another (the store sums events).
Precedence against RDSR and header data is the store's business (domain.totals): MPPS never adds to an
RDSR of the same room.
"""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from kerma.domain.model import (
    AccumulatedDose,
    DoseReport,
    DoseSource,
    IrradiationEvent,
    NotDoseRelevant,
    RejectedInput,
    ReportKind,
    StudyInfo,
)
from kerma.domain.units import DGY_CM2_TO_GY_CM2, DGY_TO_MGY, MS_TO_S, UA_TO_MA
from kerma.ingest.common import combine_da_tm, number, patient_characteristics, patient_identity, text
from kerma.ingest.headers.ct import PHANTOMS

MPPS_SOP_CLASS = "1.2.840.10008.3.1.2.3.3"
SOURCE_OF_DOSE_INFORMATION = "MPPS Content"  # DCM 113858 (CID 10020)

COMPLETED = "COMPLETED"
IN_PROGRESS = "IN PROGRESS"
DISCONTINUED = "DISCONTINUED"
FINAL_STATES = frozenset({COMPLETED, DISCONTINUED})

# Top-level attributes of the MPPS Radiation Dose module that make a step dose-relevant.
_DOSE_KEYWORDS = (
    "TotalTimeOfFluoroscopy",
    "TotalNumberOfExposures",
    "EntranceDose",
    "EntranceDoseInmGy",
    "ImageAndFluoroscopyAreaDoseProduct",
    "ExposureDoseSequence",
    "CTExposureSequence",
)


def step_status(ds: Dataset) -> str | None:
    """Performed Procedure Step Status (0040,0252), upper case, or None."""
    value = text(ds, "PerformedProcedureStepStatus")
    return value.upper() if value else None


def step_study_uid(ds: Dataset) -> str | None:
    """The Study Instance UID the step belongs to (first Scheduled Step Attributes item that has one)."""
    for item in ds.get("ScheduledStepAttributesSequence", None) or []:
        uid = text(item, "StudyInstanceUID")
        if uid:
            return uid
    return text(ds, "StudyInstanceUID")


def has_dose_data(ds: Dataset) -> bool:
    """True when any attribute of the radiation dose module is present and not empty."""
    for kw in _DOSE_KEYWORDS:
        value = ds.get(kw, None)
        if value not in (None, "") and not (isinstance(value, list) and not value):
            return True
    return False


def _positive(ds: Dataset, keyword: str) -> float | None:
    value = number(ds, keyword)
    if value is None:
        return None
    if value < 0:
        raise RejectedInput(f"negative value {value}", keyword)
    return value


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _event_uid(mpps_uid: str, part: str) -> str:
    # Deterministic, so a resent N-SET yields the same event identities.
    return str(generate_uid(entropy_srcs=[mpps_uid, part]))


def _exposure_events(ds: Dataset, mpps_uid: str, modality: str) -> list[IrradiationEvent]:
    events: list[IrradiationEvent] = []
    for i, item in enumerate(ds.get("ExposureDoseSequence", None) or []):
        filters = " ".join(v for v in (text(item, "FilterType"), text(item, "FilterMaterial")) if v) or None
        mode = (text(item, "RadiationMode") or "").lower()
        events.append(
            IrradiationEvent(
                irradiation_event_uid=_event_uid(mpps_uid, f"exposure:{i}"),
                modality=modality,
                kvp=_positive(item, "KVP"),
                tube_current_ma=_scaled(_positive(item, "XRayTubeCurrentInuA"), UA_TO_MA),
                exposure_time_s=_scaled(_positive(item, "ExposureTime"), MS_TO_S),
                filters=filters,
                fluoro_mode=mode if mode in ("continuous", "pulsed") else None,
                comment=text(item, "CommentsOnRadiationDose"),
                extra={"mpps_exposure_item": i},
            )
        )
    return events


def _ct_events(ds: Dataset, mpps_uid: str) -> list[IrradiationEvent]:
    events: list[IrradiationEvent] = []
    for i, item in enumerate(ds.get("CTExposureSequence", None) or []):
        phantom = None
        for code in item.get("CTDIPhantomTypeCodeSequence", None) or []:
            phantom = PHANTOMS.get(text(code, "CodeValue") or "")
        events.append(
            IrradiationEvent(
                irradiation_event_uid=_event_uid(mpps_uid, f"ct:{i}"),
                modality="CT",
                ctdivol_mgy=_positive(item, "CTDIvol"),
                ctdi_phantom=phantom,
                kvp=_positive(item, "KVP"),
                tube_current_ma=_positive(item, "XRayTubeCurrentInmA"),
                exposure_time_s=_scaled(_positive(item, "ExposureTimeInms"), MS_TO_S),
                exposure_mas=_positive(item, "ExposureInmAs"),
                water_equivalent_diameter_mm=_positive(item, "WaterEquivalentDiameter"),
                extra={"mpps_ct_exposure_item": i},
            )
        )
    return events


def _code_meaning(ds: Dataset, keyword: str) -> str | None:
    for item in ds.get(keyword, None) or []:
        meaning = text(item, "CodeMeaning")
        if meaning:
            return meaning
    return None


def _kind(modality: str, has_ct_items: bool) -> ReportKind:
    if modality == "CT" or has_ct_items:
        return ReportKind.CT
    if modality == "MG":
        return ReportKind.MAMMOGRAPHY
    return ReportKind.PROJECTION


def mpps_to_report(ds: Dataset, sop_instance_uid: str) -> DoseReport:
    """The dose data of a COMPLETED performed procedure step as a DoseReport (source MPPS).

    Raises NotDoseRelevant for steps that are not completed or carry no dose attributes, and
    RejectedInput when the step cannot be linked to a study or a dose value is impossible.
    """
    status = step_status(ds)
    if status != COMPLETED:
        raise NotDoseRelevant(
            f"performed procedure step is {status or 'without status'}; only COMPLETED counts"
        )
    if not has_dose_data(ds):
        raise NotDoseRelevant("performed procedure step without radiation dose attributes")
    study_uid = step_study_uid(ds)
    if not study_uid:
        raise RejectedInput(
            "missing, the step cannot be linked to a study",
            "ScheduledStepAttributesSequence > StudyInstanceUID",
        )
    scheduled = (ds.get("ScheduledStepAttributesSequence", None) or [Dataset()])[0]
    performed_series = ds.get("PerformedSeriesSequence", None) or []
    ct_events = _ct_events(ds, sop_instance_uid)
    modality = (text(ds, "Modality") or ("CT" if ct_events else "OT")).upper()
    started = combine_da_tm(
        text(ds, "PerformedProcedureStepStartDate"), text(ds, "PerformedProcedureStepStartTime")
    )
    ended = combine_da_tm(
        text(ds, "PerformedProcedureStepEndDate"), text(ds, "PerformedProcedureStepEndTime")
    )

    protocol = (
        (text(performed_series[0], "ProtocolName") if performed_series else None)
        or _code_meaning(ds, "PerformedProtocolCodeSequence")
        or text(ds, "PerformedProcedureStepDescription")
    )
    dap = _scaled(_positive(ds, "ImageAndFluoroscopyAreaDoseProduct"), DGY_CM2_TO_GY_CM2)
    fluoro_time = _positive(ds, "TotalTimeOfFluoroscopy")  # US, seconds (PS3.3 C.4.16)
    exposures = number(ds, "TotalNumberOfExposures")
    entrance = _positive(ds, "EntranceDoseInmGy")
    if entrance is None:
        entrance = _scaled(_positive(ds, "EntranceDose"), DGY_TO_MGY)

    events = [*_exposure_events(ds, sop_instance_uid, modality), *ct_events]
    # The store sums events: the step's totals travel as events of their own, marked as such. The area
    # dose product covers images and fluoroscopy alike, so it is not attributed to fluoroscopy; the
    # fluoroscopy time gets a fluoroscopy event without dose.
    if dap is not None or entrance is not None:
        events.append(
            IrradiationEvent(
                irradiation_event_uid=_event_uid(sop_instance_uid, "step"),
                modality=modality,
                dap_gy_cm2=dap,
                entrance_dose_mgy=entrance,
                comment="totals of the performed procedure step",
                extra={"mpps_step_totals": True},
            )
        )
    if fluoro_time is not None and fluoro_time > 0:
        events.append(
            IrradiationEvent(
                irradiation_event_uid=_event_uid(sop_instance_uid, "fluoroscopy"),
                modality=modality,
                event_type="fluoroscopy",
                fluoro_time_s=fluoro_time,
                comment="total fluoroscopy time of the performed procedure step",
                extra={"mpps_step_totals": True},
            )
        )
    if not events:
        raise NotDoseRelevant("performed procedure step without usable radiation dose values")
    for ev in events:
        ev.datetime_started = ev.datetime_started or started
        ev.protocol = ev.protocol or protocol
        ev.series_instance_uid = text(performed_series[0], "SeriesInstanceUID") if performed_series else None
        distance = _positive(ds, "DistanceSourceToDetector")
        if distance is not None:
            ev.distance_source_to_detector_mm = distance

    accumulated = AccumulatedDose(
        dap_total_gy_cm2=dap,
        fluoro_time_total_s=fluoro_time,
        event_count=int(exposures) if exposures is not None else None,
    )
    study = StudyInfo(
        study_instance_uid=study_uid,
        accession_number=text(scheduled, "AccessionNumber"),
        study_datetime=started,
        study_description=text(scheduled, "RequestedProcedureDescription")
        or text(ds, "PerformedProcedureStepDescription"),
        requested_procedure=text(scheduled, "RequestedProcedureDescription"),
        performed_procedure=text(ds, "PerformedProcedureStepDescription"),
        study_id=text(ds, "StudyID"),
        modality=modality,
    )
    report = DoseReport(
        source=DoseSource.MPPS,
        sop_instance_uid=sop_instance_uid,
        sop_class_uid=MPPS_SOP_CLASS,
        study=study,
        kind=_kind(modality, bool(ct_events)),
        patient=patient_characteristics(ds, started.date() if started else None),
        identity=patient_identity(ds),
        series_instance_uid=text(performed_series[0], "SeriesInstanceUID") if performed_series else None,
        content_datetime=ended or started,
        scope_of_accumulation="Performed Procedure Step",
        source_of_dose_information=SOURCE_OF_DOSE_INFORMATION,
        events=events,
        accumulated=[accumulated] if (dap, fluoro_time, exposures) != (None, None, None) else [],
    )
    report.device.station_name = text(ds, "PerformedStationName")
    report.device.location = text(ds, "PerformedLocation")
    report.device.calling_ae_title = text(ds, "PerformedStationAETitle")
    return report


def merge_set(current: Dataset, modification: Dataset) -> Dataset:
    """Apply an N-SET Modification List: each attribute given replaces the stored one (sequences whole)."""
    merged = Dataset()
    merged.update(current)
    for elem in modification:
        merged[elem.tag] = elem
    return merged
