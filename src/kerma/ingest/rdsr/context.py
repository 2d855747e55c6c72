"""Items shared by the dose templates: observer and device participant (TID 1002 / 1021), scope of
accumulation, source of dose information, anatomy and laterality, patient characteristics (TID 10024),
and the irradiation event UID every event must carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kerma.domain.model import Device, PatientCharacteristics, RejectedInput
from kerma.domain.units import Quantity, factor
from kerma.ingest.rdsr import codes
from kerma.ingest.rdsr.codes import Concept
from kerma.ingest.rdsr.tree import Node


@dataclass(slots=True)
class RootContext:
    """What the root content item says besides the dose templates themselves."""

    procedure_reported: Concept | None = None
    acquisition_device_type: Concept | None = None
    observer: Device = field(default_factory=Device)
    participant: Device | None = None
    scope: str | None = None
    scope_uid: str | None = None
    sources: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None


_OBSERVER_FIELDS: dict[Concept, str] = {
    **dict.fromkeys(codes.DEVICE_OBSERVER_UID, "device_observer_uid"),
    **dict.fromkeys(codes.DEVICE_OBSERVER_NAME, "device_observer_name"),
    **dict.fromkeys(codes.DEVICE_OBSERVER_MANUFACTURER, "manufacturer"),
    **dict.fromkeys(codes.DEVICE_OBSERVER_MODEL, "model"),
    **dict.fromkeys(codes.DEVICE_OBSERVER_SERIAL, "serial_number"),
    **dict.fromkeys(codes.DEVICE_OBSERVER_LOCATION, "location"),
    **dict.fromkeys(codes.STATION_AE_TITLE, "calling_ae_title"),
}
_PARTICIPANT_FIELDS: dict[Concept, str] = {
    **dict.fromkeys(codes.DEVICE_NAME, "device_observer_name"),
    **dict.fromkeys(codes.DEVICE_MANUFACTURER, "manufacturer"),
    **dict.fromkeys(codes.DEVICE_MODEL, "model"),
    **dict.fromkeys(codes.DEVICE_SERIAL, "serial_number"),
    **dict.fromkeys(codes.DEVICE_OBSERVER_UID, "device_observer_uid"),
}


def read_root(root: Node) -> RootContext:
    """Observer context, scope, sources, procedure and device type from the root's direct children."""
    ctx = RootContext()
    observer: dict[str, str] = {}
    for node in root.children():
        concept = node.concept
        if concept is None:
            continue
        name = _OBSERVER_FIELDS.get(concept)
        if name is not None:
            value = node.uid() if name == "device_observer_uid" else node.text()
            if value and name not in observer:
                observer[name] = value
        elif concept in codes.PROCEDURE_REPORTED:
            ctx.procedure_reported = node.code_concept()
        elif concept in codes.ACQUISITION_DEVICE_TYPE:
            ctx.acquisition_device_type = node.code_concept()
        elif concept in codes.SCOPE_OF_ACCUMULATION:
            code = node.code()
            if code is not None:
                ctx.scope = codes.SCOPES.get(code.concept, code.meaning)
            for child in node.children():
                if child.value_type in ("UIDREF", "TEXT"):
                    ctx.scope_uid = child.uid()
        elif concept in codes.STUDY_INSTANCE_UID and ctx.scope_uid is None:
            # One vendor writes the scope's UID beside Scope of Accumulation instead of below it.
            ctx.scope_uid = node.uid()
        elif concept in codes.SOURCE_OF_DOSE_INFORMATION:
            code = node.code()
            if code is not None:
                source = codes.SOURCES_OF_DOSE_INFORMATION.get(code.concept, code.meaning or code.value)
                if source not in ctx.sources:
                    ctx.sources.append(source)
        elif concept in codes.START_OF_XRAY_IRRADIATION:
            ctx.start = node.datetime()
        elif concept in codes.END_OF_XRAY_IRRADIATION:
            ctx.end = node.datetime()
        elif concept in codes.DEVICE_ROLE_IN_PROCEDURE and ctx.participant is None:
            ctx.participant = read_participant(node)
    ctx.observer = Device(**observer)
    return ctx


def read_participant(node: Node) -> Device | None:
    """A Device Participant (TID 1021) block: Device Role in Procedure with its device properties."""
    values: dict[str, str] = {}
    for child in node.children():
        name = _PARTICIPANT_FIELDS.get(child.concept) if child.concept else None
        if name is not None and name not in values:
            value = child.uid() if name == "device_observer_uid" else child.text()
            if value:
                values[name] = value
    return Device(**values) if values else None


def find_participant(containers: list[Node]) -> Device | None:
    """The first Device Participant block with properties among the direct children of ``containers``."""
    for container in containers:
        for node in container.children():
            if node.concept in codes.DEVICE_ROLE_IN_PROCEDURE:
                device = read_participant(node)
                if device is not None:
                    return device
    return None


def _same(a: str | None, b: str | None) -> bool | None:
    if not a or not b:
        return None
    return a.strip().casefold() == b.strip().casefold()


def participant_differs(observer: Device, participant: Device) -> bool:
    """Whether the irradiating device is another device than the one that recorded the report."""
    for a, b in (
        (observer.device_observer_uid, participant.device_observer_uid),
        (observer.serial_number, participant.serial_number),
        (observer.model, participant.model),
        (observer.manufacturer, participant.manufacturer),
    ):
        if _same(a, b) is False:
            return True
    return False


def laterality(nodes: list[Node]) -> str | None:
    """L, R or B from the first Laterality item among ``nodes``; the meaning if the code is unknown."""
    for node in nodes:
        code = node.code()
        if code is not None:
            return codes.LATERALITIES.get(code.concept, code.meaning)
    return None


def event_uid(node: Node, number: int, what: str = "irradiation event") -> str:
    """An event's Irradiation Event UID, stored as given; an event without one rejects the object."""
    uid_node = node.child(codes.IRRADIATION_EVENT_UID)
    uid = uid_node.uid() if uid_node is not None else None
    if not uid:
        raise RejectedInput(
            f"missing in {what} {number} ({node.label()}); the event cannot be identified",
            "Irradiation Event UID (DCM 113769)",
        )
    return uid


def yes_no(node: Node | None) -> bool | None:
    """A Yes/No CODE item as a boolean."""
    if node is None:
        return None
    concept = node.code_concept()
    if concept in codes.YES:
        return True
    if concept in codes.NO:
        return False
    return None


def patient_characteristics(container: Node, base: PatientCharacteristics) -> PatientCharacteristics:
    """TID 10024 values laid over those of the header (SR content is what the modality measured)."""
    out = PatientCharacteristics(base.age_years, base.sex, base.height_m, base.weight_kg)
    for node in container.children():
        concept = node.concept
        if concept in codes.SUBJECT_AGE:
            age = node.quantity(Quantity.AGE)
            if age is not None and 0 <= age < 150:
                out.age_years = round(age, 4)
        elif concept in codes.SUBJECT_SEX:
            code = node.code()
            if code is not None:
                out.sex = codes.SEXES.get(code.concept, out.sex)
        elif concept in codes.PATIENT_HEIGHT:
            mm = node.quantity(Quantity.LENGTH)
            if mm is not None:
                # Canonical length is mm; the model keeps height in metres.
                height = mm / factor("m", Quantity.LENGTH)
                if 0.2 < height <= 2.8:
                    out.height_m = height
        elif concept in codes.PATIENT_WEIGHT:
            kg = node.quantity(Quantity.MASS)
            if kg is not None and 0.2 < kg <= 400:
                out.weight_kg = kg
    return out
