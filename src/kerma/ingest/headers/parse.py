"""parse_header: one image header to one DoseReport (source HEADER), never touching pixel data."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydicom.dataset import Dataset

from kerma.domain.model import (
    DoseReport,
    DoseSource,
    IrradiationEvent,
    NotDoseRelevant,
    RejectedInput,
    ReportKind,
)
from kerma.ingest import common
from kerma.ingest.headers import keys
from kerma.ingest.headers.ct import ct_image_event, exposure_dose_events
from kerma.ingest.headers.fields import Fields, macro_scopes
from kerma.ingest.headers.nuclear import administrations
from kerma.ingest.headers.projection import projection_event
from kerma.ingest.headers.sop import PET_CLASSES, Family, classify, family_for_modality
from kerma.ingest.headers.technique import acquisition_datetime, acquisition_time_only
from kerma.ingest.reader import sop_identity

SECONDARY_CAPTURE_MESSAGE = "secondary capture (dose screen): kept for OCR, no header dose fields"

_KINDS = {
    Family.CT: ReportKind.CT,
    Family.PROJECTION: ReportKind.PROJECTION,
    Family.MAMMOGRAPHY: ReportKind.MAMMOGRAPHY,
    Family.NUCLEAR: ReportKind.RADIOPHARMACEUTICAL,
}

T = TypeVar("T")


def _module(read: Callable[[], T], what: str) -> T:
    """Run a shared module reader; its conversion errors reject the object naming the module."""
    try:
        return read()
    except (RejectedInput, NotDoseRelevant):
        raise
    except Exception as exc:  # pydicom conversion errors share no base class
        raise RejectedInput(f"unreadable ({type(exc).__name__}: {exc})", what) from exc


def parse_header(ds: Dataset) -> DoseReport:
    """Dose data of one image header (read with ``stop_before_pixels=True``).

    CT images give one acquisition event (keyed so all images of a series and acquisition collapse),
    projection images one exposure event (keyed so the for-processing and for-presentation images of one
    exposure collapse), PET/NM images radiopharmaceutical administrations and no events.

    Raises NotDoseRelevant when the image carries no dose attributes (Secondary Capture dose screens
    without them are left for OCR) and RejectedInput, naming the attribute, for missing identity or
    corrupt dose values.
    """
    sop_class, sop_uid = _module(lambda: sop_identity(ds), "SOP Common module")
    classified = classify(sop_class)
    if classified is None:
        raise NotDoseRelevant(f"SOP class {sop_class} is not an image with header dose fields")
    family, default_modality = classified
    f = Fields(macro_scopes(ds))
    modality = (f.text("Modality") or default_modality).upper()

    if family is Family.NUCLEAR:
        return _nuclear_report(ds, f, sop_class, sop_uid, modality)

    secondary = family is Family.SECONDARY_CAPTURE
    if secondary:
        family = family_for_modality(modality)
    # Dose screens may list every acquisition of the study in the (retired) Exposure Dose Sequence.
    listed: list[IrradiationEvent] = []
    if secondary and family is Family.CT:
        listed = exposure_dose_events(f, f.items("ExposureDoseSequence", strict=True), modality)
    events: list[IrradiationEvent]
    if listed:
        events, has_dose, has_exposure = listed, True, True
    elif family is Family.CT:
        event, has_dose, has_exposure = ct_image_event(f, modality)
        events = [event]
    else:
        event, has_dose, has_exposure = projection_event(
            f, modality, mammography=family is Family.MAMMOGRAPHY
        )
        events = [event]
    if secondary and not has_dose:
        raise NotDoseRelevant(SECONDARY_CAPTURE_MESSAGE)
    if not (has_dose or has_exposure):
        raise NotDoseRelevant(f"{modality} image without dose or exposure attributes")

    report = _report(ds, f, sop_class, sop_uid, modality, _KINDS[family])
    for event in events:
        _identify(event, f, report, family, listed=bool(listed))
    report.events = events
    return report


def _report(
    ds: Dataset, f: Fields, sop_class: str, sop_uid: str, modality: str, kind: ReportKind
) -> DoseReport:
    study = _module(lambda: common.study_info(ds), "General Study module")
    study.modality = study.modality or modality
    at = study.study_datetime.date() if study.study_datetime else None
    return DoseReport(
        source=DoseSource.HEADER,
        sop_instance_uid=sop_uid,
        sop_class_uid=sop_class,
        study=study,
        kind=kind,
        device=_module(lambda: common.device(ds), "General Equipment module"),
        patient=_module(lambda: common.patient_characteristics(ds, at), "Patient Study module"),
        identity=_module(lambda: common.patient_identity(ds), "Patient module"),
        series_instance_uid=f.text("SeriesInstanceUID"),
        content_datetime=f.datetime_of(None, "ContentDate", "ContentTime"),
        warnings=f.warnings,
    )


def _identify(
    event: IrradiationEvent, f: Fields, report: DoseReport, family: Family, *, listed: bool
) -> None:
    """Set the event's export UID and dedupe key (ARCHITECTURE.md, "Identity and duplicates")."""
    event.sop_instance_uid = report.sop_instance_uid
    event.series_instance_uid = report.series_instance_uid
    study_uid = report.study.study_instance_uid
    device = report.device
    device_id = keys.device_identity(
        device.serial_number, device.station_name, device.manufacturer, device.model
    )
    if listed:
        # A dose screen lists acquisitions of other series; they have no UID of their own.
        event.dedupe_key = keys.ct_item_key(
            study_uid,
            device_id,
            (
                event.extra.get("exposure_dose_item"),
                event.extra.get("series_number"),
                event.event_type,
                event.ctdivol_mgy,
                event.scanning_length_mm,
            ),
        )
        event.irradiation_event_uid = keys.uid_from_key(event.dedupe_key)
        return
    event_uids = (f.text("IrradiationEventUID") or "").split("\\")
    if len(event_uids) > 1:
        event.extra["irradiation_event_uids"] = event_uids
    event_uid = event_uids[0] or None
    event.irradiation_event_uid = event_uid or report.sop_instance_uid
    if event_uid:
        event.dedupe_key = event_uid
    elif family is Family.CT:
        acquisition = f.text("AcquisitionNumber") or f.text("FrameAcquisitionNumber")
        event.dedupe_key = keys.ct_acquisition_key(
            report.series_instance_uid, acquisition, report.sop_instance_uid
        )
    elif event.datetime_started is None and acquisition_time_only(f) is None:
        report.warnings.append("no acquisition date or time: the exposure is keyed by its SOP Instance UID")
        event.dedupe_key = keys.instance_key(report.sop_instance_uid)
    else:
        event.dedupe_key = keys.exposure_key(
            study_uid=study_uid,
            device=device_id,
            modality=event.modality,
            acquired=acquisition_datetime(f),
            acquired_time=acquisition_time_only(f),
            laterality=event.laterality,
            view=event.view,
            kvp=event.kvp,
            mas=event.exposure_mas,
            thickness_mm=event.compression_thickness_mm or event.extra.get("body_part_thickness_mm"),
        )


def _nuclear_report(ds: Dataset, f: Fields, sop_class: str, sop_uid: str, modality: str) -> DoseReport:
    study_uid = f.text("StudyInstanceUID")
    if not study_uid:
        raise RejectedInput("missing, the study cannot be identified", "StudyInstanceUID (0020,000D)")
    acquired = acquisition_datetime(f)
    day = f.text("AcquisitionDate") or f.text("SeriesDate") or f.text("StudyDate")
    admins = administrations(f, pet=sop_class in PET_CLASSES, study_uid=study_uid, acquired=acquired, day=day)
    if not admins:
        raise NotDoseRelevant(f"{modality} image without radiopharmaceutical information")
    report = _report(ds, f, sop_class, sop_uid, modality, ReportKind.RADIOPHARMACEUTICAL)
    report.administrations = admins
    return report
