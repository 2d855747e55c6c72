"""Deterministic identities for header-derived exposures and administrations (ARCHITECTURE.md,
"Identity and duplicates"): the same exposure received twice, as another image, gets the same key."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

_SEPARATOR = "\x1f"


def _digest(parts: Iterable[object]) -> str:
    text = _SEPARATOR.join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _num(value: float | None, digits: int = 6) -> str | None:
    """A number in a stable text form: 26, 26.0 and '26' all give '26'."""
    return None if value is None else f"{value:.{digits}g}"


def _when(moment: datetime | None) -> str | None:
    # Whole seconds: one image may say 132223.000000 and its twin 132223.
    return None if moment is None else moment.strftime("%Y%m%d%H%M%S")


def exposure_key(
    *,
    study_uid: str,
    device: str | None,
    modality: str,
    acquired: datetime | None,
    acquired_time: str | None,
    laterality: str | None,
    view: str | None,
    kvp: float | None,
    mas: float | None,
    thickness_mm: float | None,
) -> str:
    """'hdr:' key of one projection exposure, shared by its for-processing and for-presentation images.

    Only attributes of the exposure itself take part (not the SOP class, series, content time or
    presentation intent, which differ between the two images of one exposure). mAs is compared to two
    significant digits because one image may carry Exposure (IS, whole mAs) and its twin ExposureInuAs.
    """
    when = _when(acquired) or (acquired_time or "").split(".")[0] or None
    return "hdr:" + _digest(
        (
            study_uid,
            device,
            modality,
            when,
            laterality,
            view,
            _num(kvp, 4),
            _num(mas, 2),
            _num(thickness_mm, 4),
        )
    )


def instance_key(sop_instance_uid: str) -> str:
    """'hdr:' key of an exposure that cannot be told apart from others by its attributes."""
    return "hdr:" + _digest(("instance", sop_instance_uid))


def ct_acquisition_key(series_uid: str | None, acquisition_number: str | None, fallback: str) -> str:
    """'hdr-ct:' key of one CT acquisition: every image of a series and acquisition shares it."""
    if series_uid is None:
        return "hdr-ct:" + _digest(("instance", fallback))
    return "hdr-ct:" + _digest((series_uid, acquisition_number))


def ct_item_key(study_uid: str, device: str | None, parts: Iterable[object]) -> str:
    """'hdr-ct:' key of one acquisition listed in a dose screen's Exposure Dose Sequence."""
    return "hdr-ct:" + _digest((study_uid, device, "exposure-dose-item", *parts))


def administration_key(
    study_uid: str, radionuclide: str | None, start: datetime | None, activity_mbq: float | None
) -> str:
    """'hdr-nm:' key of one injection: every PET/NM image of the study that reports it shares it."""
    return "hdr-nm:" + _digest(
        (study_uid, (radionuclide or "").casefold(), _when(start), _num(activity_mbq, 6))
    )


def uid_from_key(key: str) -> str:
    """A valid DICOM UID (2.25 root, from a 128-bit number) derived from a key, for exports."""
    return "2.25." + str(int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:32], 16))


def device_identity(
    serial: str | None, station: str | None, manufacturer: str | None, model: str | None
) -> str:
    """The modality as one string: serial number, else station name, else manufacturer and model."""
    if serial:
        return f"serial:{serial}"
    if station:
        return f"station:{station}"
    return f"model:{manufacturer or ''}/{model or ''}"
