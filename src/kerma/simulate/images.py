"""Image objects (CT, DX, MG, XA, RF) whose headers carry the dose attributes of one exposure.

Pixel data are a tiny 8x8 frame so files stay small; headers are what a dose system reads when no RDSR
arrives. Each image names its exposure by Irradiation Event UID (0008,3010), the same UID as the RDSR
event, so RDSR and header data of one exposure can be matched.
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import cache

from kerma.simulate import codes as C
from kerma.simulate import encoding as E
from kerma.simulate.codes import Code
from kerma.simulate.ct import CtEvent
from kerma.simulate.header import Elements, Header, da, tm
from kerma.simulate.mammo import VIEWS, MammoEvent
from kerma.simulate.projection import XrayEvent
from kerma.simulate.quantities import AGD, CTDI, DAP, decimal
from kerma.simulate.study import Study

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
DX_IMAGE = "1.2.840.10008.5.1.4.1.1.1.1"
MG_IMAGE = "1.2.840.10008.5.1.4.1.1.1.2"
XA_IMAGE = "1.2.840.10008.5.1.4.1.1.12.1"
RF_IMAGE = "1.2.840.10008.5.1.4.1.1.12.2"

SIZE = 8
"""Rows and columns of every image."""

_BODY_PART = {
    C.HEAD: "HEAD",
    C.CHEST: "CHEST",
    C.ABDOMEN: "ABDOMEN",
    C.PELVIS: "PELVIS",
    C.ABDOMEN_AND_PELVIS: "ABDOMENPELVIS",
    C.CHEST_ABDOMEN_PELVIS: "CHESTABDPELVIS",
    C.PARANASAL_SINUS: "SINUS",
    C.LUMBAR_SPINE: "LSPINE",
    C.HEART: "HEART",
    C.KNEE: "KNEE",
    C.HAND: "HAND",
    C.BREAST: "BREAST",
    C.BILE_DUCT: "ABDOMEN",
    C.ESOPHAGUS: "ESOPHAGUS",
    C.URETHRA: "BLADDER",
    C.CORONARY_ARTERY: "HEART",
    C.CEREBRAL_ARTERY: "HEAD",
    C.LOWER_LIMB: "LEG",
}
_PLANE_TYPE = {C.PLANE_A: "BIPLANE A", C.PLANE_B: "BIPLANE B"}
_VIEW_POSITION = {C.POSTERO_ANTERIOR: "PA", C.ANTERO_POSTERIOR: "AP", C.LATERAL: "LL"}


@cache
def _pixels(bits_stored: int, signed: bool) -> Elements:
    """Image pixel module of an 8x8, 16-bit monochrome frame with a soft gradient."""
    top = (1 << bits_stored) - 1
    values = bytearray()
    for row in range(SIZE):
        for column in range(SIZE):
            values += ((row * SIZE + column) * top // (SIZE * SIZE)).to_bytes(2, "little")
    return [
        E.keyed("SamplesPerPixel", 1),
        E.keyed("PhotometricInterpretation", "MONOCHROME2"),
        E.keyed("Rows", SIZE),
        E.keyed("Columns", SIZE),
        E.keyed("BitsAllocated", 16),
        E.keyed("BitsStored", bits_stored),
        E.keyed("HighBit", bits_stored - 1),
        E.keyed("PixelRepresentation", 1 if signed else 0),
        E.keyed("PixelData", bytes(values)),
    ]


def _code_item(code: Code) -> bytes:
    return E.dataset(
        [
            E.keyed("CodeValue", code.value),
            E.keyed("CodingSchemeDesignator", code.scheme),
            E.keyed("CodeMeaning", code.meaning),
        ]
    )


class _Writer:
    """Builds one study's image files (numbering, shared header)."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self.header = Header(study)
        self.files: list[tuple[str, bytes]] = []

    def add(
        self,
        modality: str,
        sop_class: str,
        series_number: int,
        event_uid: str,
        specific: Elements,
        when: datetime,
        description: str,
    ) -> None:
        """Write an image of one exposure with its modality-specific elements."""
        study, header = self.study, self.header
        number = len(self.files) + 1
        sop_uid = study.uid("image", number)
        elements = header.common() + header.instance(
            modality=modality,
            sop_class_uid=sop_class,
            sop_instance_uid=sop_uid,
            series_uid=study.uid("series", series_number),
            series_number=series_number,
            instance_number=1,
            series_time=when,
            content_time=when,
            series_description=description,
        )
        elements += [
            header.text("AcquisitionDate", da(when.date())),
            header.text("AcquisitionTime", tm(when)),
            E.keyed("IrradiationEventUID", event_uid),
            header.text("AcquisitionNumber", "1"),
            *specific,
        ]
        self.files.append((f"{modality}_{number:03d}.dcm", header.file(sop_class, sop_uid, elements)))


def ct_images(study: Study, events: list[CtEvent]) -> list[tuple[str, bytes]]:
    """One CT image per event: localizer images without dose, axial images with CTDIvol."""
    writer = _Writer(study)
    text = writer.header.text
    for event in events:
        localizer = event.kind == C.CONSTANT_ANGLE
        t = event.technique
        rotation = t.rotation_s or 1.0
        pitch = t.pitch or 1.0
        elements: Elements = [
            text("ImageType", "ORIGINAL\\PRIMARY\\" + ("LOCALIZER" if localizer else "AXIAL")),
            text("BodyPartExamined", _BODY_PART.get(event.region, "")),
            text("SliceThickness", "0.6" if localizer else "5"),
            text("KVP", str(t.kvp)),
            text("DataCollectionDiameter", "500"),
            text("DistanceSourceToDetector", "1085.6"),
            text("DistanceSourceToPatient", "595"),
            text("GantryDetectorTilt", "0"),
            text("ExposureTime", str(round(t.exposure_time_s * 1000 if localizer else rotation * 1000))),
            text("XRayTubeCurrent", str(round(t.tube_current_ma))),
            text("Exposure", str(round(t.tube_current_ma * rotation / pitch))),
            text("PatientPosition", "HFS"),
            E.keyed("FrameOfReferenceUID", study.uid("frame-of-reference")),
            text("ImagePositionPatient", "-250\\-250\\-100"),
            text("ImageOrientationPatient", "1\\0\\0\\0\\1\\0"),
            text("PositionReferenceIndicator", ""),
            text("PixelSpacing", "62.5\\62.5"),
            text("WindowCenter", "40"),
            text("WindowWidth", "400"),
            text("RescaleIntercept", "-1024"),
            text("RescaleSlope", "1"),
            *_pixels(12, False),
        ]
        if not localizer:
            elements += [
                text("ReconstructionDiameter", "400"),
                text("ConvolutionKernel", "STANDARD"),
                E.keyed("RevolutionTime", rotation),
                E.keyed("SingleCollimationWidth", t.single_collimation_mm),
                E.keyed("TotalCollimationWidth", t.total_collimation_mm),
            ]
            if t.pitch is not None and event.kind == C.SPIRAL:
                elements += [
                    E.keyed("TableFeedPerRotation", round(t.pitch * t.total_collimation_mm, 3)),
                    E.keyed("SpiralPitchFactor", t.pitch),
                ]
        if event.ctdivol is not None:
            phantom = C.HEAD_PHANTOM if event.phantom == "head" else C.BODY_PHANTOM
            elements += [
                E.keyed("CTDIvol", CTDI.value(event.ctdivol)),
                E.keyed("CTDIPhantomTypeCodeSequence", [_code_item(phantom)]),
            ]
        writer.add("CT", CT_IMAGE, event.series_number, event.uid, elements, event.started, event.protocol)
    return writer.files


def _projection_common(writer: _Writer, image_type: str, presentation: bool = True) -> Elements:
    text = writer.header.text
    elements = [
        text("ImageType", image_type),
        text("BurnedInAnnotation", "NO"),
        text("LossyImageCompression", "00"),
        text("RescaleIntercept", "0"),
        text("RescaleSlope", "1"),
        text("RescaleType", "US"),
    ]
    if presentation:
        elements += [
            text("PresentationIntentType", "FOR PRESENTATION"),
            text("PresentationLUTShape", "IDENTITY"),
            text("PixelIntensityRelationship", "LOG"),
            E.keyed("PixelIntensityRelationshipSign", 1),
            text("DetectorType", "SCINTILLATOR"),
            text("ImagerPixelSpacing", "0.148\\0.148"),
        ]
    return elements


def dx_images(study: Study, events: list[XrayEvent]) -> list[tuple[str, bytes]]:
    """One DX image (for presentation) per exposure, with DAP (dGy·cm²) and exposure index."""
    writer = _Writer(study)
    text = writer.header.text
    for event in events:
        mas = (event.exposure_uas or 0.0) / 1000.0
        laterality = {C.LEFT: "L", C.RIGHT: "R"}.get(event.laterality, "U") if event.laterality else "U"
        elements = [
            *_projection_common(writer, "ORIGINAL\\PRIMARY"),
            text("BodyPartExamined", _BODY_PART.get(event.region, "")),
            text("KVP", decimal(event.kvp, 0)),
            text("DistanceSourceToDetector", decimal(event.sid_mm, 0)),
            text("DistanceSourceToPatient", decimal(event.sid_mm - 250.0, 0)),
            text("ExposureTime", str(max(round(event.exposure_time_ms), 1))),
            text("XRayTubeCurrent", str(round(event.tube_current_ma))),
            text("Exposure", str(max(round(mas), 1))),
            text("ExposureInuAs", str(round(event.exposure_uas or 0.0))),
            text("ImageAndFluoroscopyAreaDoseProduct", DAP.text(event.dap, "dGy.cm2")),
            text("Grid", "FOCUSED"),
            text("ViewPosition", _VIEW_POSITION.get(event.view, "") if event.view else ""),
            text("PatientOrientation", ""),
            text("ImageLaterality", laterality),
            E.keyed("AnatomicRegionSequence", [_code_item(event.region)]),
            *_pixels(12, False),
        ]
        if event.exposure_index is not None and event.target_exposure_index is not None:
            deviation = 10.0 * math.log10(event.exposure_index / event.target_exposure_index)
            elements += [
                text("ExposureIndex", decimal(event.exposure_index, 1)),
                text("TargetExposureIndex", decimal(event.target_exposure_index, 1)),
                text("DeviationIndex", decimal(deviation, 2)),
            ]
        writer.add("DX", DX_IMAGE, event.series_number, event.uid, elements, event.started, event.protocol)
    return writer.files


def mg_images(study: Study, events: list[MammoEvent]) -> list[tuple[str, bytes]]:
    """One MG image (for presentation) per view, with organ dose (AGD, dGy) and entrance dose (mGy)."""
    writer = _Writer(study)
    text = writer.header.text
    for event in events:
        elements = [
            *_projection_common(writer, "ORIGINAL\\PRIMARY"),
            text("BodyPartExamined", "BREAST"),
            text("KVP", str(event.kvp)),
            text("DistanceSourceToDetector", decimal(event.sid_mm, 0)),
            text("DistanceSourceToPatient", decimal(event.sid_mm - 20.0 - event.thickness_mm, 0)),
            text("ExposureTime", str(round(event.exposure_time_ms))),
            text("XRayTubeCurrent", str(round(event.tube_current_ma))),
            text("Exposure", str(round(event.exposure_uas / 1000))),
            text("ExposureInuAs", str(event.exposure_uas)),
            text("BodyPartThickness", str(event.thickness_mm)),
            text("CompressionForce", str(event.force_n)),
            text("AnodeTargetMaterial", event.anode.meaning.upper()),
            text("FilterMaterial", event.filter.meaning.upper()),
            text("PositionerPrimaryAngle", decimal(event.angle, 0)),
            text("ViewPosition", event.view),
            text("PatientOrientation", "A\\R" if event.laterality == "L" else "P\\L"),
            text("ImageLaterality", event.laterality),
            text("BreastImplantPresent", "NO"),
            text("PartialView", "NO"),
            text("HalfValueLayer", decimal(event.hvl_mm, 3)),
            text("OrganDose", AGD.text(event.agd, "dGy")),
            text("OrganExposed", "BREAST"),
            text("EntranceDoseInmGy", AGD.text(event.entrance)),
            E.keyed("AnatomicRegionSequence", [_code_item(C.BREAST)]),
            E.keyed("ViewCodeSequence", [_code_item(VIEWS[event.view])]),
            *_pixels(12, False),
        ]
        writer.add("MG", MG_IMAGE, event.series_number, event.uid, elements, event.started, event.protocol)
    return writer.files


def fluoro_images(study: Study, events: list[XrayEvent]) -> list[tuple[str, bytes]]:
    """One XA/RF image per acquisition run (fluoroscopy is not stored), with the run's DAP."""
    modality = study.exam.modality
    sop_class = XA_IMAGE if modality == "XA" else RF_IMAGE
    writer = _Writer(study)
    text = writer.header.text
    for event in events:
        if event.is_fluoro:
            continue
        image_type = "ORIGINAL\\PRIMARY\\" + _PLANE_TYPE.get(event.plane, "SINGLE PLANE")
        elements = [
            *_projection_common(writer, image_type, presentation=False),
            text("BodyPartExamined", _BODY_PART.get(event.region, "")),
            text("KVP", decimal(event.kvp, 0)),
            text("DistanceSourceToDetector", decimal(event.sid_mm, 0)),
            text("DistanceSourceToPatient", "765"),
            text("ExposureTime", str(round(event.exposure_time_ms))),
            text("XRayTubeCurrent", str(round(event.tube_current_ma))),
            text("Exposure", str(max(round(event.tube_current_ma * event.exposure_time_ms / 1000), 1))),
            text("AveragePulseWidth", decimal(event.pulse_width_ms or 0.0, 1)),
            text("RadiationSetting", "GR"),
            text("RadiationMode", "PULSED"),
            text("ImageAndFluoroscopyAreaDoseProduct", DAP.text(event.dap, "dGy.cm2")),
            text("PositionerPrimaryAngle", decimal(event.primary_angle, 1)),
            text("PositionerSecondaryAngle", decimal(event.secondary_angle, 1)),
            text("PixelIntensityRelationship", "LIN"),
            *_pixels(10, False),
        ]
        writer.add(
            modality, sop_class, event.series_number, event.uid, elements, event.started, event.protocol
        )
    return writer.files
