"""What the listener accepts: storage SOP classes of dose objects, MPPS, verification; transfer syntaxes.

Anything else is refused at association negotiation, so a sender learns at once that Kerma is not its
archive rather than having objects silently dropped.
"""

from __future__ import annotations

from pydicom import uid as tsuid

VERIFICATION = "1.2.840.10008.1.1"
MPPS = "1.2.840.10008.3.1.2.3.3"
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"
STUDY_ROOT_GET = "1.2.840.10008.5.1.4.1.2.2.3"

# Dose reports (parsed when their root concept is a dose report; otherwise acknowledged and ignored).
SR_CLASSES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.88.67": "X-Ray Radiation Dose SR",
    "1.2.840.10008.5.1.4.1.1.88.76": "Enhanced X-Ray Radiation Dose SR",
    "1.2.840.10008.5.1.4.1.1.88.68": "Radiopharmaceutical Radiation Dose SR",
    "1.2.840.10008.5.1.4.1.1.88.22": "Enhanced SR",
    "1.2.840.10008.5.1.4.1.1.88.33": "Comprehensive SR",
    "1.2.840.10008.5.1.4.1.1.88.34": "Comprehensive 3D SR",
}

# Images whose headers carry dose attributes; pixel data is never decoded or kept.
IMAGE_CLASSES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.2": "CT Image",
    "1.2.840.10008.5.1.4.1.1.2.1": "Enhanced CT Image",
    "1.2.840.10008.5.1.4.1.1.1": "Computed Radiography Image",
    "1.2.840.10008.5.1.4.1.1.1.1": "Digital X-Ray Image - For Presentation",
    "1.2.840.10008.5.1.4.1.1.1.1.1": "Digital X-Ray Image - For Processing",
    "1.2.840.10008.5.1.4.1.1.1.2": "Digital Mammography X-Ray Image - For Presentation",
    "1.2.840.10008.5.1.4.1.1.1.2.1": "Digital Mammography X-Ray Image - For Processing",
    "1.2.840.10008.5.1.4.1.1.13.1.3": "Breast Tomosynthesis Image",
    "1.2.840.10008.5.1.4.1.1.1.3": "Digital Intra-Oral X-Ray Image - For Presentation",
    "1.2.840.10008.5.1.4.1.1.1.3.1": "Digital Intra-Oral X-Ray Image - For Processing",
    "1.2.840.10008.5.1.4.1.1.12.1": "X-Ray Angiographic Image",
    "1.2.840.10008.5.1.4.1.1.12.1.1": "Enhanced XA Image",
    "1.2.840.10008.5.1.4.1.1.12.2": "X-Ray Radiofluoroscopic Image",
    "1.2.840.10008.5.1.4.1.1.12.2.1": "Enhanced XRF Image",
    "1.2.840.10008.5.1.4.1.1.128": "Positron Emission Tomography Image",
    "1.2.840.10008.5.1.4.1.1.130": "Enhanced PET Image",
    "1.2.840.10008.5.1.4.1.1.20": "Nuclear Medicine Image",
    "1.2.840.10008.5.1.4.1.1.7": "Secondary Capture Image",
}

STORAGE_CLASSES: dict[str, str] = {**SR_CLASSES, **IMAGE_CLASSES}

UNCOMPRESSED = [
    tsuid.ExplicitVRLittleEndian,
    tsuid.ImplicitVRLittleEndian,
    tsuid.DeflatedExplicitVRLittleEndian,
    tsuid.ExplicitVRBigEndian,
]

# Compressed pixel data stays compressed: only the header in front of it is read.
COMPRESSED = [
    tsuid.JPEGBaseline8Bit,
    tsuid.JPEGExtended12Bit,
    tsuid.JPEGLossless,
    tsuid.JPEGLosslessSV1,
    tsuid.JPEGLSLossless,
    tsuid.JPEGLSNearLossless,
    tsuid.JPEG2000Lossless,
    tsuid.JPEG2000,
    tsuid.HTJ2KLossless,
    tsuid.HTJ2KLosslessRPCL,
    tsuid.HTJ2K,
    tsuid.RLELossless,
]


def transfer_syntaxes(sop_class_uid: str) -> list[str]:
    """Transfer syntaxes accepted for a storage SOP class (compressed ones only for images)."""
    if sop_class_uid in IMAGE_CLASSES:
        return [*UNCOMPRESSED, *COMPRESSED]
    return list(UNCOMPRESSED)
