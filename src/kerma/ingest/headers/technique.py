"""Technique factors and acquisition context every X-ray image header may carry (CT and projection)."""

from __future__ import annotations

from datetime import datetime

from kerma.domain.model import IrradiationEvent
from kerma.domain.units import MS_TO_S, UA_TO_MA, UAS_TO_MAS, US_TO_MS
from kerma.ingest.common import combine_da_tm, parse_dt
from kerma.ingest.headers.fields import Fields

# The most precise encoding first: (keyword, factor to the canonical unit).
_MAS = (("ExposureInuAs", UAS_TO_MAS), ("ExposureInmAs", 1.0), ("Exposure", 1.0))
_MA = (("XRayTubeCurrentInuA", UA_TO_MA), ("XRayTubeCurrentInmA", 1.0), ("XRayTubeCurrent", 1.0))
_MS = (("ExposureTimeInuS", US_TO_MS), ("ExposureTimeInms", 1.0), ("ExposureTime", 1.0))


def acquisition_datetime(f: Fields) -> datetime | None:
    """AcquisitionDateTime (or the enhanced FrameAcquisitionDateTime), else AcquisitionDate + Time,
    else ContentDate + Time."""
    return (
        parse_dt(f.text("AcquisitionDateTime"))
        or parse_dt(f.text("FrameAcquisitionDateTime"))
        or combine_da_tm(f.text("AcquisitionDate"), f.text("AcquisitionTime"))
        or combine_da_tm(f.text("ContentDate"), f.text("ContentTime"))
    )


def acquisition_time_only(f: Fields) -> str | None:
    """The acquisition (or content) time when no date is recorded (date-stripped exports)."""
    return f.text("AcquisitionTime") or f.text("ContentTime")


def fill_technique(ev: IrradiationEvent, f: Fields) -> bool:
    """Fill kVp, mAs, tube current, exposure time, filter, focal spot, SID, protocol, body part and the
    acquisition time; True when any exposure factor (kVp, mAs, current, time) is present."""
    ev.kvp = f.number("KVP", positive=True)
    ev.exposure_mas = f.first_number(_MAS)
    ev.tube_current_ma = f.first_number(_MA)
    exposure_ms = f.first_number(_MS)
    ev.exposure_time_s = None if exposure_ms is None else exposure_ms * MS_TO_S
    ev.focal_spot_mm = f.number("FocalSpots", positive=True)
    ev.filters = f.text("FilterMaterial")
    ev.distance_source_to_detector_mm = f.number("DistanceSourceToDetector", positive=True)
    ev.protocol = f.text("ProtocolName") or f.code("PerformedProtocolCodeSequence")[1]
    ev.body_part = f.text("BodyPartExamined")
    ev.target_region = f.code("AnatomicRegionSequence")[1] or ev.body_part
    ev.datetime_started = acquisition_datetime(f)
    return any(v is not None for v in (ev.kvp, ev.exposure_mas, ev.tube_current_ma, ev.exposure_time_s))
