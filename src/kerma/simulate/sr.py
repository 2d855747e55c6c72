"""SR building blocks: content items, the observer context and the X-Ray Radiation Dose SR document.

Content items are encoded straight to bytes (see :mod:`kerma.simulate.encoding`); the item head
(relationship, value type, concept name) and code items are cached, since an RDSR repeats the same
few dozen concepts hundreds of times.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from kerma.simulate import codes as C
from kerma.simulate import encoding as E
from kerma.simulate.codes import Code
from kerma.simulate.header import Header, dt
from kerma.simulate.patients import fit_text
from kerma.simulate.rooms import Room
from kerma.simulate.study import Study

XRAY_RADIATION_DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.67"

# tags of the content-item attributes, resolved once from the data dictionary
_RELATIONSHIP = E.tag_and_vr("RelationshipType")[0]
_VALUE_TYPE = E.tag_and_vr("ValueType")[0]
_CONCEPT_NAME = E.tag_and_vr("ConceptNameCodeSequence")[0]
_CONTINUITY = E.tag_and_vr("ContinuityOfContent")[0]
_DATETIME = E.tag_and_vr("DateTime")[0]
_UID = E.tag_and_vr("UID")[0]
_TEXT = E.tag_and_vr("TextValue")[0]
_CONCEPT_CODE = E.tag_and_vr("ConceptCodeSequence")[0]
_MEASURED_VALUE = E.tag_and_vr("MeasuredValueSequence")[0]
_UNITS = E.tag_and_vr("MeasurementUnitsCodeSequence")[0]
_NUMERIC = E.tag_and_vr("NumericValue")[0]
_CONTENT = E.tag_and_vr("ContentSequence")[0]
_CODE_VALUE = E.tag_and_vr("CodeValue")[0]
_CODING_SCHEME = E.tag_and_vr("CodingSchemeDesignator")[0]
_CODE_MEANING = E.tag_and_vr("CodeMeaning")[0]

CONTAINS = "CONTAINS"
HAS_CONCEPT_MOD = "HAS CONCEPT MOD"
HAS_OBS_CONTEXT = "HAS OBS CONTEXT"
HAS_PROPERTIES = "HAS PROPERTIES"


@cache
def _code_body(code: Code) -> bytes:
    return (
        E.string(_CODE_VALUE, "SH", code.value)
        + E.string(_CODING_SCHEME, "SH", code.scheme)
        + E.string(_CODE_MEANING, "LO", code.meaning)
    )


@cache
def _code_sequence(tag: int, code: Code) -> bytes:
    return E.sequence(tag, [_code_body(code)])


@cache
def _head(relationship: str, value_type: str, concept: Code) -> bytes:
    return (
        E.string(_RELATIONSHIP, "CS", relationship)
        + E.string(_VALUE_TYPE, "CS", value_type)
        + _code_sequence(_CONCEPT_NAME, concept)
    )


_SEPARATE = E.string(_CONTINUITY, "CS", "SEPARATE")


def _children(children: Sequence[bytes] | None) -> bytes:
    return E.sequence(_CONTENT, children) if children else b""


class Content:
    """Encodes content items in a room's character set and coding habits."""

    def __init__(self, codec: str, legacy_codes: bool) -> None:
        self.codec = codec
        self.legacy = legacy_codes

    def _code(self, code: Code) -> Code:
        return C.LEGACY.get(code, code) if self.legacy else code

    def container(self, concept: Code, children: Sequence[bytes], rel: str = CONTAINS) -> bytes:
        """A CONTAINER item (continuity SEPARATE)."""
        return _head(rel, "CONTAINER", self._code(concept)) + _SEPARATE + _children(children)

    def num(
        self,
        concept: Code,
        value: str,
        unit: Code,
        rel: str = CONTAINS,
        children: Sequence[bytes] | None = None,
    ) -> bytes:
        """A NUM item; ``value`` is the decimal string to write."""
        measured = _code_sequence(_UNITS, unit) + E.string(_NUMERIC, "DS", value)
        return (
            _head(rel, "NUM", self._code(concept))
            + E.sequence(_MEASURED_VALUE, [measured])
            + _children(children)
        )

    def code(
        self,
        concept: Code,
        value: Code,
        rel: str = CONTAINS,
        children: Sequence[bytes] | None = None,
    ) -> bytes:
        """A CODE item."""
        return (
            _head(rel, "CODE", self._code(concept))
            + _code_sequence(_CONCEPT_CODE, self._code(value))
            + _children(children)
        )

    def text(self, concept: Code, value: str, rel: str = CONTAINS) -> bytes:
        """A TEXT item in the room's character set."""
        return _head(rel, "TEXT", self._code(concept)) + E.string(
            _TEXT, "UT", fit_text(value, self.codec), self.codec
        )

    def uidref(
        self, concept: Code, value: str, rel: str = CONTAINS, children: Sequence[bytes] | None = None
    ) -> bytes:
        """A UIDREF item."""
        return _head(rel, "UIDREF", self._code(concept)) + E.uid(_UID, value) + _children(children)

    def datetime(self, concept: Code, value: datetime, rel: str = CONTAINS) -> bytes:
        """A DATETIME item."""
        return _head(rel, "DATETIME", self._code(concept)) + E.string(_DATETIME, "DT", dt(value))


def procedure_reported(content: Content, procedure: Code, intent: Code) -> bytes:
    """Procedure reported with its intent (TID 10001/10011 row 1)."""
    has_intent = content.code(C.HAS_INTENT, intent, HAS_CONCEPT_MOD)
    return content.code(C.PROCEDURE_REPORTED, procedure, HAS_CONCEPT_MOD, [has_intent])


def device_observer(content: Content, room: Room) -> list[bytes]:
    """Observer context for the recording device (TID 1002 / TID 1004)."""
    return [
        content.code(C.OBSERVER_TYPE, C.DEVICE, HAS_OBS_CONTEXT),
        content.uidref(C.DEVICE_OBSERVER_UID, room.device_observer_uid, HAS_OBS_CONTEXT),
        content.text(C.DEVICE_OBSERVER_NAME, room.station_name, HAS_OBS_CONTEXT),
        content.text(C.DEVICE_OBSERVER_MANUFACTURER, room.manufacturer, HAS_OBS_CONTEXT),
        content.text(C.DEVICE_OBSERVER_MODEL, room.model, HAS_OBS_CONTEXT),
        content.text(C.DEVICE_OBSERVER_SERIAL, room.serial_number, HAS_OBS_CONTEXT),
        content.text(C.DEVICE_OBSERVER_LOCATION, room.department, HAS_OBS_CONTEXT),
    ]


def scope_of_accumulation(content: Content, study_uid: str, pps_uid: str | None = None) -> bytes:
    """Scope of accumulation: the study, or one performed procedure step when ``pps_uid`` is given."""
    if pps_uid:
        target = content.uidref(C.PPS_SOP_INSTANCE_UID, pps_uid, HAS_PROPERTIES)
        return content.code(C.SCOPE_OF_ACCUMULATION, C.SCOPE_PPS, HAS_OBS_CONTEXT, [target])
    target = content.uidref(C.STUDY_INSTANCE_UID, study_uid, HAS_PROPERTIES)
    return content.code(C.SCOPE_OF_ACCUMULATION, C.SCOPE_STUDY, HAS_OBS_CONTEXT, [target])


def source_of_dose_information(content: Content) -> bytes:
    """Source of dose information: automated data collection."""
    return content.code(C.SOURCE_OF_DOSE_INFORMATION, C.AUTOMATED_DATA_COLLECTION)


_SERIES_DESCRIPTION = {"SIEMENS": "Dose Report", "GE": "Dose Report", "PHILIPS": "Radiation Dose Report"}


def series_description(room: Room) -> str:
    """What the vendor writes as the RDSR's series description."""
    vendor = room.manufacturer.split()[0].upper()
    return _SERIES_DESCRIPTION.get(vendor, "Radiation Dose Information")


def rdsr_file(
    study: Study,
    items: Sequence[bytes],
    *,
    template: str,
    sop_uid: str,
    series_uid: str,
    instance_number: int,
    content_time: datetime,
) -> bytes:
    """An X-Ray Radiation Dose SR (Part 10) with the root container holding ``items``.

    SR Document General module: completion COMPLETE, verification UNVERIFIED, Content Template
    Sequence naming ``template`` (10011 for CT, 10001 for projection X-ray) in DCMR.
    """
    header = Header(study)
    template_item = E.dataset([E.keyed("MappingResource", "DCMR"), E.keyed("TemplateIdentifier", template)])
    elements = header.common() + header.instance(
        modality="SR",
        sop_class_uid=XRAY_RADIATION_DOSE_SR,
        sop_instance_uid=sop_uid,
        series_uid=series_uid,
        series_number=501 if template == "10011" else 999,
        instance_number=instance_number,
        series_time=content_time,
        content_time=content_time,
        series_description=series_description(study.room),
    )
    elements += [
        E.keyed("ReferencedPerformedProcedureStepSequence", []),
        E.keyed("ValueType", "CONTAINER"),
        (_CONCEPT_NAME, _code_sequence(_CONCEPT_NAME, C.XRAY_DOSE_REPORT)),
        (_CONTINUITY, _SEPARATE),
        E.keyed("PerformedProcedureCodeSequence", []),
        E.keyed("CompletionFlag", "COMPLETE"),
        E.keyed("VerificationFlag", "UNVERIFIED"),
        E.keyed("ContentTemplateSequence", [template_item]),
        (_CONTENT, E.sequence(_CONTENT, items)),
    ]
    return header.file(XRAY_RADIATION_DOSE_SR, sop_uid, elements)
