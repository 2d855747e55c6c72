"""Which image SOP classes carry header dose fields, and which family of parser reads them."""

from __future__ import annotations

from enum import Enum


class Family(Enum):
    """How an image's dose attributes are read."""

    CT = "ct"
    PROJECTION = "projection"
    MAMMOGRAPHY = "mammography"
    NUCLEAR = "nuclear"
    SECONDARY_CAPTURE = "secondary_capture"


SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
PET_CLASSES = frozenset({"1.2.840.10008.5.1.4.1.1.128", "1.2.840.10008.5.1.4.1.1.130"})
NM_IMAGE = "1.2.840.10008.5.1.4.1.1.20"

# SOP Class UID -> (family, Modality to assume when the attribute is missing).
_CLASSES: dict[str, tuple[Family, str]] = {
    "1.2.840.10008.5.1.4.1.1.2": (Family.CT, "CT"),  # CT Image
    "1.2.840.10008.5.1.4.1.1.2.1": (Family.CT, "CT"),  # Enhanced CT Image
    "1.2.840.10008.5.1.4.1.1.1": (Family.PROJECTION, "CR"),  # Computed Radiography Image
    "1.2.840.10008.5.1.4.1.1.1.1": (Family.PROJECTION, "DX"),  # DX Image, for presentation
    "1.2.840.10008.5.1.4.1.1.1.1.1": (Family.PROJECTION, "DX"),  # DX Image, for processing
    "1.2.840.10008.5.1.4.1.1.1.2": (Family.MAMMOGRAPHY, "MG"),  # Mammography, for presentation
    "1.2.840.10008.5.1.4.1.1.1.2.1": (Family.MAMMOGRAPHY, "MG"),  # Mammography, for processing
    "1.2.840.10008.5.1.4.1.1.13.1.3": (Family.MAMMOGRAPHY, "MG"),  # Breast Tomosynthesis Image
    "1.2.840.10008.5.1.4.1.1.1.3": (Family.PROJECTION, "IO"),  # Intra-oral, for presentation
    "1.2.840.10008.5.1.4.1.1.1.3.1": (Family.PROJECTION, "IO"),  # Intra-oral, for processing
    "1.2.840.10008.5.1.4.1.1.12.1": (Family.PROJECTION, "XA"),  # X-Ray Angiographic Image
    "1.2.840.10008.5.1.4.1.1.12.1.1": (Family.PROJECTION, "XA"),  # Enhanced XA Image
    "1.2.840.10008.5.1.4.1.1.12.2": (Family.PROJECTION, "RF"),  # X-Ray Radiofluoroscopic Image
    "1.2.840.10008.5.1.4.1.1.12.2.1": (Family.PROJECTION, "RF"),  # Enhanced XRF Image
    "1.2.840.10008.5.1.4.1.1.128": (Family.NUCLEAR, "PT"),  # PET Image
    "1.2.840.10008.5.1.4.1.1.130": (Family.NUCLEAR, "PT"),  # Enhanced PET Image
    NM_IMAGE: (Family.NUCLEAR, "NM"),  # Nuclear Medicine Image
    SECONDARY_CAPTURE: (Family.SECONDARY_CAPTURE, "OT"),  # dose screens
}


def is_header_candidate(sop_class_uid: str) -> bool:
    """True for image SOP classes whose header may carry dose data (CT, CR/DX, MG, XA/RF, IO, PET/NM, SC)."""
    return sop_class_uid.strip() in _CLASSES


def classify(sop_class_uid: str) -> tuple[Family, str] | None:
    """The parser family and the default Modality of a SOP class; None when it is not a candidate."""
    return _CLASSES.get(sop_class_uid.strip())


def family_for_modality(modality: str) -> Family:
    """The family a Secondary Capture is read as once it turns out to carry real dose attributes."""
    if modality == "CT":
        return Family.CT
    if modality == "MG":
        return Family.MAMMOGRAPHY
    return Family.PROJECTION
