"""Radiation dose structured reports (RDSR, RRDSR) to :class:`~kerma.domain.model.DoseReport`.

One module per template family: :mod:`.ct` (TID 10011), :mod:`.projection` (TID 10001),
:mod:`.radiopharmaceutical` (TID 10021), :mod:`.private` (vendor summaries); :mod:`.codes` names every
concept code; :mod:`.tree` reads the SR content tree; :mod:`.context` reads the items the templates share.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from kerma.domain.model import (
    AccumulatedDose,
    Administration,
    Device,
    DoseReport,
    DoseSource,
    IrradiationEvent,
    NotDoseRelevant,
    RejectedInput,
    ReportKind,
)
from kerma.ingest import common
from kerma.ingest.rdsr import codes
from kerma.ingest.rdsr.context import (
    RootContext,
    find_participant,
    participant_differs,
    patient_characteristics,
    read_root,
)
from kerma.ingest.rdsr.ct import has_ct_acquisitions, parse_ct
from kerma.ingest.rdsr.private import parse_siemens_summary
from kerma.ingest.rdsr.projection import parse_projection
from kerma.ingest.rdsr.radiopharmaceutical import parse_radiopharmaceutical
from kerma.ingest.rdsr.tree import CONCEPT_NAME_CODE_SEQUENCE, Node, Reader, code_concept, items_of

__all__ = ["is_dose_sr", "parse_rdsr"]

_DOSE_SOP_CLASSES = frozenset(
    {codes.SOP_XRAY_DOSE_SR, codes.SOP_RADIOPHARMACEUTICAL_DOSE_SR, codes.SOP_ENHANCED_XRAY_DOSE_SR}
)
_DOSE_ROOTS = codes.XRAY_DOSE_REPORT | codes.RADIOPHARMACEUTICAL_DOSE_REPORT | codes.SIEMENS_RADIATION_SUMMARY
_CLASSIC_CONTAINERS = (
    codes.ACCUMULATED_XRAY_DOSE_DATA
    | codes.IRRADIATION_EVENT_XRAY_DATA
    | codes.CT_ACCUMULATED_DOSE_DATA
    | codes.CT_ACQUISITION
)
_PROJECTION_MODALITIES = frozenset({"RF", "XA", "DX", "CR", "MG", "PX"})
# Device identity comes from the irradiating device; these describe the site and may come from the SR.
_SITE_FIELDS = ("institution", "department", "location")


def _root_concept(ds: Dataset) -> codes.Concept | None:
    names = items_of(ds, CONCEPT_NAME_CODE_SEQUENCE)
    return code_concept(names[0]) if names else None


def is_dose_sr(ds: Dataset) -> bool:
    """Whether ``ds`` is a dose SR that :func:`parse_rdsr` reads (by SOP class, or by root concept)."""
    sop_class = common.text(ds, "SOPClassUID")
    if sop_class in _DOSE_SOP_CLASSES:
        return True
    if sop_class in codes.SOP_GENERIC_SR:
        return _root_concept(ds) in _DOSE_ROOTS
    return False


def parse_rdsr(ds: Dataset) -> DoseReport:
    """Read a radiation dose SR into a :class:`DoseReport` in canonical units.

    Raises :class:`NotDoseRelevant` for an SR that is not a dose report, and :class:`RejectedInput`
    (naming the field) for a dose report that cannot be stored: no Study Instance UID, an event without
    its Irradiation Event UID, a value whose unit is unknown for its concept.
    """
    sop_class = common.text(ds, "SOPClassUID") or ""
    if sop_class == codes.SOP_PATIENT_DOSE_SR:
        raise NotDoseRelevant("Patient Radiation Dose SR (TID 10030): estimates made by other software")
    reader = Reader.for_dataset(ds)
    root = Node(ds, reader)
    concept = root.concept
    if concept not in _DOSE_ROOTS:
        if sop_class in _DOSE_SOP_CLASSES:
            raise RejectedInput(
                f"root concept {concept} of a dose SR class is not a dose report this reader knows",
                "ConceptNameCodeSequence (0040,A043)",
            )
        raise NotDoseRelevant(f"SR whose root concept {concept} is not a dose report")
    if sop_class not in _DOSE_SOP_CLASSES:
        reader.warn(f"dose report carried in SOP class {sop_class or '(none)'} instead of a dose SR class")
    if sop_class == codes.SOP_ENHANCED_XRAY_DOSE_SR and not any(
        node.concept in _CLASSIC_CONTAINERS for node in root.children()
    ):
        raise RejectedInput(
            "Enhanced X-Ray Radiation Dose SR without the classic TID 10001/10011 tree (TID 10040 is not "
            "read yet)",
            "ContentSequence (0040,A730)",
        )

    sop_instance_uid = common.text(ds, "SOPInstanceUID")
    if not sop_instance_uid:
        raise RejectedInput("missing, the object cannot be identified", "SOPInstanceUID (0008,0018)")
    study = common.study_info(ds)
    ctx = read_root(root)

    events: list[IrradiationEvent] = []
    accumulated: list[AccumulatedDose] = []
    administrations: list[Administration] = []
    if concept in codes.RADIOPHARMACEUTICAL_DOSE_REPORT:
        kind = ReportKind.RADIOPHARMACEUTICAL
        administrations, modality = parse_radiopharmaceutical(root)
    elif concept in codes.SIEMENS_RADIATION_SUMMARY:
        kind = ReportKind.PROJECTION
        accumulated = [parse_siemens_summary(root)]
        reader.warn(
            "private Siemens radiation summary (99SMS_RADSUM): study totals only, no irradiation events"
        )
        fluoro = accumulated[0].fluoro_time_total_s
        modality = _projection_modality(ds, ctx, [], fluoro_present=bool(fluoro))
    elif ctx.procedure_reported in codes.PROCEDURE_CT or has_ct_acquisitions(root):
        kind = ReportKind.CT
        modality = "CT"
        events, accumulated = parse_ct(root)
    else:
        mammography = ctx.procedure_reported in codes.PROCEDURE_MAMMOGRAPHY
        kind = ReportKind.MAMMOGRAPHY if mammography else ReportKind.PROJECTION
        events, accumulated = parse_projection(root)
        modality = "MG" if mammography else _projection_modality(ds, ctx, events)
        for event in events:
            event.modality = modality
    study.modality = modality
    events = _unique_events(events, reader)

    content_datetime = common.combine_da_tm(common.text(ds, "ContentDate"), common.text(ds, "ContentTime"))
    if study.study_datetime is None:
        study.study_datetime = ctx.start
    if ctx.scope == "study" and ctx.scope_uid and ctx.scope_uid != study.study_instance_uid:
        reader.warn(
            f"scope of accumulation names study {ctx.scope_uid}, the object's Study Instance UID is "
            f"{study.study_instance_uid}"
        )

    patient = common.patient_characteristics(
        ds, study.study_datetime.date() if study.study_datetime else None
    )
    characteristics = root.child(codes.PATIENT_CHARACTERISTICS)
    if characteristics is not None:
        patient = patient_characteristics(characteristics, patient)

    return DoseReport(
        source=DoseSource.RDSR,
        sop_instance_uid=sop_instance_uid,
        sop_class_uid=sop_class,
        study=study,
        kind=kind,
        device=_device(ds, root, ctx, reader),
        patient=patient,
        identity=common.patient_identity(ds),
        series_instance_uid=common.text(ds, "SeriesInstanceUID"),
        content_datetime=content_datetime or ctx.end,
        scope_of_accumulation=ctx.scope,
        source_of_dose_information=";".join(ctx.sources) or None,
        events=events,
        accumulated=accumulated,
        administrations=administrations,
        warnings=reader.warnings,
    )


def _projection_modality(
    ds: Dataset, ctx: RootContext, events: list[IrradiationEvent], fluoro_present: bool = False
) -> str:
    """The exam modality of a projection report whose SR says only 'SR'."""
    declared = common.text(ds, "Modality")
    if declared in _PROJECTION_MODALITIES:
        return declared
    # Biplane and rotational runs exist only on C-arm angiography systems.
    if any(e.acquisition_plane == "plane_b" or e.event_type == "rotational_acquisition" for e in events):
        return "XA"
    if (
        ctx.acquisition_device_type in codes.DEVICE_FLUOROSCOPY_GUIDED
        or ctx.procedure_reported in codes.PROCEDURE_FLUOROSCOPY
        or ctx.procedure_reported in codes.PROCEDURE_FLUORO_AND_RADIOGRAPHY
    ):
        return "RF"
    if ctx.acquisition_device_type in codes.DEVICE_CASSETTE_BASED:
        return "CR"
    # Whether a fluoroscopy system is a C-arm angiography (XA) room cannot be told from the SR.
    if fluoro_present or any(e.event_type == "fluoroscopy" for e in events):
        return "RF"
    return "DX"


def _unique_events(events: list[IrradiationEvent], reader: Reader) -> list[IrradiationEvent]:
    """Events in document order, the first of any repeated Irradiation Event UID kept."""
    seen: set[str] = set()
    unique: list[IrradiationEvent] = []
    for event in events:
        if event.irradiation_event_uid in seen:
            reader.warn(f"irradiation event UID {event.irradiation_event_uid} repeated; first event kept")
            continue
        seen.add(event.irradiation_event_uid)
        unique.append(event)
    return unique


def _device(ds: Dataset, root: Node, ctx: RootContext, reader: Reader) -> Device:
    """Observer context over General Equipment; the Device Participant when it is another device."""
    equipment = common.device(ds)
    observed = common.merge_device(ctx.observer, equipment)
    participant = ctx.participant
    if participant is None:
        containers = [
            n
            for n in root.children()
            if n.concept in codes.ACCUMULATED_XRAY_DOSE_DATA
            or n.concept in codes.IRRADIATION_EVENT_XRAY_DATA
            or n.concept in codes.CT_ACQUISITION
            or n.concept in codes.CT_ACCUMULATED_DOSE_DATA
        ]
        participant = find_participant(containers)
    if participant is None:
        return observed
    if participant_differs(ctx.observer, participant):
        reader.warn(
            "irradiating device differs from the device that recorded the report; device taken from it"
        )
        site = {name: getattr(observed, name) for name in _SITE_FIELDS}
        return common.merge_device(participant, Device(**site))
    return common.merge_device(observed, participant)
