"""Attributes every dose object shares: study, patient, device. Reads a pydicom Dataset, no I/O."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import Any

from pydicom.dataset import Dataset

from kerma.domain.model import Device, PatientCharacteristics, PatientIdentity, RejectedInput, StudyInfo


def text(ds: Dataset, keyword: str) -> str | None:
    """A string attribute, stripped, or None when absent or empty (multi-valued joined with '\\')."""
    elem = ds.get(keyword)
    if elem is None or elem == "":
        return None
    if isinstance(elem, (list, tuple)) or type(elem).__name__ == "MultiValue":
        value = "\\".join(str(v) for v in elem)
    else:
        value = str(elem)
    value = value.replace("\x00", "").strip()
    return value or None


def number(ds: Dataset, keyword: str) -> float | None:
    """A numeric attribute (DS/IS/FD/US...), first value if multi-valued; None if absent or not a number."""
    try:
        elem = ds.get(keyword)
    except (ValueError, TypeError):
        return None
    if elem is None or elem == "":
        return None
    if isinstance(elem, (list, tuple)) or type(elem).__name__ == "MultiValue":
        if len(elem) == 0:
            return None
        elem = elem[0]
    try:
        value = float(elem)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def parse_da(value: str | None) -> date | None:
    """DICOM DA (YYYYMMDD, tolerating the old YYYY.MM.DD form) to a date."""
    if not value:
        return None
    digits = value.strip().replace(".", "").replace("-", "")
    try:
        return datetime.strptime(digits[:8], "%Y%m%d").date()
    except ValueError:
        return None


def parse_tm(value: str | None) -> time | None:
    """DICOM TM (HHMMSS.FFFFFF, partial forms allowed, old HH:MM:SS form tolerated) to a time."""
    if not value:
        return None
    raw = value.strip().replace(":", "")
    main, _, frac = raw.partition(".")
    try:
        hh = int(main[0:2])
        mm = int(main[2:4]) if len(main) >= 4 else 0
        ss = int(main[4:6]) if len(main) >= 6 else 0
        us = int((frac + "000000")[:6]) if frac else 0
        return time(min(hh, 23), min(mm, 59), min(ss, 59), us)
    except ValueError:
        return None


def parse_dt(value: str | None) -> datetime | None:
    """DICOM DT (YYYYMMDDHHMMSS.FFFFFF&ZZXX) to a naive local datetime (offset dropped)."""
    if not value:
        return None
    raw = re.split(r"[+-]\d{4}$", value.strip())[0]
    d = parse_da(raw[:8])
    if d is None:
        return None
    t = parse_tm(raw[8:]) if len(raw) > 8 else time(0, 0)
    return datetime.combine(d, t or time(0, 0))


def combine_da_tm(d: str | None, t: str | None) -> datetime | None:
    """A DA and a TM attribute as one datetime (midnight when the time is missing)."""
    day = parse_da(d)
    if day is None:
        return None
    return datetime.combine(day, parse_tm(t) or time(0, 0))


_AGE = re.compile(r"^\s*(\d{1,3})\s*([DWMY])\s*$", re.IGNORECASE)
_AGE_UNIT_YEARS = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12, "Y": 1.0}


def parse_age(value: str | None) -> float | None:
    """DICOM AS ('045Y', '006M', '003W', '010D') to years."""
    if not value:
        return None
    m = _AGE.match(value)
    if not m:
        return None
    return round(int(m.group(1)) * _AGE_UNIT_YEARS[m.group(2).upper()], 4)


def age_from_dates(birth: date | None, at: date | None) -> float | None:
    """Age in years at a date, from the birth date; None if either is missing or inconsistent."""
    if birth is None or at is None or at < birth:
        return None
    return round((at - birth).days / 365.25, 4)


def study_info(ds: Dataset) -> StudyInfo:
    """Study attributes; a missing Study Instance UID rejects the object (it is the study's identity)."""
    uid = text(ds, "StudyInstanceUID")
    if not uid:
        raise RejectedInput("missing, the study cannot be identified", "StudyInstanceUID (0020,000D)")
    requested = text(ds, "RequestedProcedureDescription")
    if requested is None:
        for item in ds.get("RequestAttributesSequence", []) or []:
            requested = text(item, "RequestedProcedureDescription")
            if requested:
                break
    return StudyInfo(
        study_instance_uid=uid,
        accession_number=text(ds, "AccessionNumber"),
        study_datetime=combine_da_tm(text(ds, "StudyDate"), text(ds, "StudyTime"))
        or combine_da_tm(text(ds, "SeriesDate"), text(ds, "SeriesTime"))
        or combine_da_tm(text(ds, "ContentDate"), text(ds, "ContentTime")),
        study_description=text(ds, "StudyDescription"),
        series_description=text(ds, "SeriesDescription"),
        requested_procedure=requested,
        performed_procedure=text(ds, "PerformedProcedureStepDescription"),
        study_id=text(ds, "StudyID"),
        modality=text(ds, "Modality"),
    )


def patient_identity(ds: Dataset) -> PatientIdentity:
    """Identifying attributes (only for the identity table)."""
    name = ds.get("PatientName")
    return PatientIdentity(
        patient_id=text(ds, "PatientID"),
        issuer=text(ds, "IssuerOfPatientID"),
        name=str(name).strip() if name not in (None, "") else None,
        birth_date=parse_da(text(ds, "PatientBirthDate")),
    )


def _plausible(value: float | None, low: float, high: float) -> float | None:
    return value if value is not None and low < value <= high else None


def patient_characteristics(ds: Dataset, at: date | None) -> PatientCharacteristics:
    """Age, sex, height and weight at the exam; zero or absurd values (a common placeholder) become None."""
    age = parse_age(text(ds, "PatientAge"))
    if age is None:
        age = age_from_dates(parse_da(text(ds, "PatientBirthDate")), at)
    sex = (text(ds, "PatientSex") or "").upper()[:1] or None
    height = number(ds, "PatientSize")
    if height is not None and height > 3.0:
        # Some systems write centimetres into a metres attribute; 3 m is not a human height.
        height = height / 100.0
    return PatientCharacteristics(
        age_years=age,
        sex=sex if sex in {"M", "F", "O"} else None,
        height_m=_plausible(height, 0.2, 2.8),
        weight_kg=_plausible(number(ds, "PatientWeight"), 0.2, 400.0),
    )


def device(ds: Dataset) -> Device:
    """Device attributes from the General Equipment module."""
    return Device(
        manufacturer=text(ds, "Manufacturer"),
        model=text(ds, "ManufacturerModelName"),
        station_name=text(ds, "StationName"),
        serial_number=text(ds, "DeviceSerialNumber"),
        device_observer_uid=text(ds, "DeviceUID"),
        institution=text(ds, "InstitutionName"),
        department=text(ds, "InstitutionalDepartmentName"),
        software_versions=text(ds, "SoftwareVersions"),
    )


def merge_device(primary: Device, fallback: Device) -> Device:
    """Fill a device description's gaps from another (SR observer context over General Equipment)."""
    values: dict[str, Any] = {}
    for name in Device.__slots__:
        a = getattr(primary, name)
        values[name] = a if a not in (None, "") else getattr(fallback, name)
    return Device(**values)
