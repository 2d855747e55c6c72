"""CT exposures from image headers: CT and Enhanced CT images, and dose screens listing acquisitions.

Every image of a CT acquisition repeats the acquisition's CTDIvol, so one image stands for the whole
acquisition (the caller keys it by series and acquisition). Image headers carry no DLP; where a scan
length is stated, an estimate goes to ``extra`` with its method, never to ``dlp_mgy_cm``.
"""

from __future__ import annotations

import re

from pydicom.dataset import Dataset

from kerma.domain.model import IrradiationEvent
from kerma.ingest.headers.fields import Fields
from kerma.ingest.headers.technique import fill_technique

# CTDI Phantom Type Code Sequence (0018,9346), DCM codes of CID 4052/4053.
PHANTOMS = {"113690": "head16", "113691": "body32", "130541": "paed10"}

# (0018,9302) Acquisition Type defined terms, stored as the RDSR parser stores CID 10013 in event_type.
_ACQUISITION_TYPES = {
    "SPIRAL": "spiral",
    "SEQUENCED": "sequenced",
    "CONSTANT_ANGLE": "constant_angle",
    "STATIONARY": "stationary",
    "FREE": "free",
}

# Philips dose screens summarise each series in (0040,0310) Comments on Radiation Dose.
_PHILIPS_SERIES = re.compile(
    r"Series\s*#\s*(\d+).*?CTDIvol\s*=\s*([\d.]+).*?DLP\s*=\s*([\d.]+)", re.IGNORECASE
)


def _phantom(f: Fields) -> tuple[str | None, str | None]:
    code, meaning = f.code("CTDIPhantomTypeCodeSequence")
    if code is None:
        return None, meaning
    return PHANTOMS.get(code), meaning


def _acquisition_type(f: Fields) -> str | None:
    value = (f.text("AcquisitionType") or "").upper()
    return _ACQUISITION_TYPES.get(value)


def _ct_details(ev: IrradiationEvent, f: Fields) -> None:
    ev.ctdivol_mgy = f.dose("CTDIvol")
    ev.ctdi_phantom, meaning = _phantom(f)
    if ev.ctdi_phantom is None and meaning:
        ev.extra["ctdi_phantom_meaning"] = meaning
    ev.water_equivalent_diameter_mm = f.number("WaterEquivalentDiameter", positive=True)
    ev.pitch_factor = f.number("SpiralPitchFactor", positive=True)
    ev.nominal_single_collimation_mm = f.number("SingleCollimationWidth", positive=True)
    ev.nominal_total_collimation_mm = f.number("TotalCollimationWidth", positive=True)
    ev.exposure_time_per_rotation_s = f.number("RevolutionTime", positive=True)
    ev.event_type = _acquisition_type(f)
    modulation = f.text("ExposureModulationType")
    if modulation:
        ev.extra["exposure_modulation_type"] = modulation


def ct_image_event(f: Fields, modality: str) -> tuple[IrradiationEvent, bool, bool]:
    """The acquisition a CT image belongs to: (event without identity, has CTDIvol, has exposure factors)."""
    ev = IrradiationEvent(irradiation_event_uid="", modality=modality)
    has_exposure = fill_technique(ev, f)
    _ct_details(ev, f)
    # In CT images (0018,1111) is the distance from the source to the isocentre.
    ev.distance_source_to_isocenter_mm = f.number("DistanceSourceToPatient", positive=True)
    return ev, ev.ctdivol_mgy is not None, has_exposure


def reported_series_dlp(comment: str | None) -> dict[int, float]:
    """Series number -> DLP (mGy·cm) from a Philips dose screen's Comments on Radiation Dose text."""
    if not comment:
        return {}
    return {int(m.group(1)): float(m.group(3)) for m in _PHILIPS_SERIES.finditer(comment)}


def exposure_dose_events(f: Fields, items: list[Dataset], modality: str) -> list[IrradiationEvent]:
    """One event per item of a dose screen's Exposure Dose Sequence (0040,030E) holding a CTDIvol.

    The sequence (retired from MPPS) lists each acquisition with CTDIvol, scan length, kVp, tube current
    and time; items without a CTDIvol are not dose data and are skipped.
    """
    reported = reported_series_dlp(f.text("CommentsOnRadiationDose"))
    protocol, body_part = f.text("ProtocolName"), f.text("BodyPartExamined")
    events: list[IrradiationEvent] = []
    for index, item in enumerate(items):
        sub = f.scoped(item)
        if not sub.has("CTDIvol"):
            continue
        ev = IrradiationEvent(irradiation_event_uid="", modality=modality)
        fill_technique(ev, sub)
        _ct_details(ev, sub)
        ev.protocol = ev.protocol or protocol
        ev.body_part = ev.body_part or body_part
        ev.target_region = ev.target_region or body_part
        ev.comment = sub.text("SeriesDescription")
        ev.scanning_length_mm = sub.number("ScanLength", positive=True)
        ev.extra["exposure_dose_item"] = index
        series = sub.number("SeriesNumber")
        if series is not None:
            ev.extra["series_number"] = int(series)
            if int(series) in reported:
                ev.extra["reported_dlp_mgy_cm"] = reported[int(series)]
                ev.extra["reported_dlp_method"] = "vendor text in Comments on Radiation Dose (0040,0310)"
        if ev.ctdivol_mgy is not None and ev.scanning_length_mm is not None:
            ev.extra["dlp_estimate_mgy_cm"] = ev.ctdivol_mgy * ev.scanning_length_mm / 10.0
            ev.extra["dlp_estimate_method"] = "CTDIvol x Scan Length (0018,1302); excludes overranging"
        events.append(ev)
    return events
