"""CT Radiation Dose (TID 10011): accumulated data (TID 10012) and CT acquisitions (TID 10013, with
Scanning Length TID 10014 and CT Dose Check Details TID 10015)."""

from __future__ import annotations

from statistics import fmean
from typing import Any

from kerma.domain.model import AccumulatedDose, IrradiationEvent
from kerma.domain.units import Quantity
from kerma.ingest.rdsr import codes
from kerma.ingest.rdsr.codes import Codes, Concept
from kerma.ingest.rdsr.context import event_uid, yes_no
from kerma.ingest.rdsr.tree import Node, every, first

Index = dict[Concept, list[Node]]


def _q(index: Index, concept: Codes, quantity: Quantity) -> float | None:
    node = first(index, concept)
    return node.quantity(quantity) if node is not None else None


def _count(index: Index, concept: Codes) -> int | None:
    value = _q(index, concept, Quantity.COUNT)
    return round(value) if value is not None else None


def _text(index: Index, concept: Codes) -> str | None:
    node = first(index, concept)
    return node.text() if node is not None else None


def has_ct_acquisitions(root: Node) -> bool:
    """Whether the report holds CT Acquisition containers (a CT report whatever its procedure code)."""
    return any(node.concept in codes.CT_ACQUISITION for node in root.children())


def parse_ct(root: Node) -> tuple[list[IrradiationEvent], list[AccumulatedDose]]:
    """Events and accumulated totals of a TID 10011 tree."""
    events: list[IrradiationEvent] = []
    accumulated: list[AccumulatedDose] = []
    for node in root.children():
        if node.concept in codes.CT_ACQUISITION:
            events.append(parse_acquisition(node, len(events) + 1))
        elif node.concept in codes.CT_ACCUMULATED_DOSE_DATA:
            accumulated.append(parse_accumulated(node))
    return events, accumulated


def parse_accumulated(node: Node) -> AccumulatedDose:
    """TID 10012: DLP total, number of events, effective dose total."""
    index = node.index()
    return AccumulatedDose(
        dlp_total_mgy_cm=_q(index, codes.CT_DLP_TOTAL, Quantity.DLP),
        event_count=_count(index, codes.TOTAL_NUMBER_OF_IRRADIATION_EVENTS),
        effective_dose_total_msv=_q(index, codes.CT_EFFECTIVE_DOSE_TOTAL, Quantity.EFFECTIVE_DOSE),
    )


def _phantom(node: Node | None) -> str | None:
    if node is None:
        return None
    code = node.code()
    if code is None:
        return None
    phantom = codes.CTDI_PHANTOMS.get(code.concept)
    if phantom is None and code.meaning:
        # Private or unusual codes: the two IEC phantoms are still recognisable by name.
        meaning = code.meaning.casefold()
        if "head" in meaning:
            phantom = "head16"
        elif "body" in meaning:
            phantom = "body32"
    if phantom is None:
        node.reader.warn(f"unknown CTDI phantom {code.meaning or code.value!r} ({code.scheme} {code.value})")
    return phantom


def _sources(index: Index) -> list[dict[str, Any]]:
    """Per-source parameters (TID 10013 CT X-Ray Source Parameters), one dict per source."""
    sources: list[dict[str, Any]] = []
    for container in every(index, codes.CT_SOURCE_PARAMETERS):
        sub = container.index()
        sources.append(
            {
                "id": _text(sub, codes.SOURCE_IDENTIFICATION),
                "kvp": _q(sub, codes.KVP, Quantity.VOLTAGE),
                "tube_current_ma": _q(sub, codes.TUBE_CURRENT, Quantity.CURRENT),
                "max_tube_current_ma": _q(sub, codes.MAX_TUBE_CURRENT, Quantity.CURRENT),
                "exposure_time_per_rotation_s": _q(sub, codes.EXPOSURE_TIME_PER_ROTATION, Quantity.TIME),
            }
        )
    return sources


def _values(sources: list[dict[str, Any]], key: str) -> list[float]:
    return [s[key] for s in sources if s[key] is not None]


# TID 10015 rows: (key in IrradiationEvent.dose_check, concept, quantity; None for a Yes/No item).
_Row = tuple[str, Codes, Quantity | None]
_ALERT_ROWS: tuple[_Row, ...] = (
    ("dlp_value_configured", codes.DLP_ALERT_VALUE_CONFIGURED, None),
    ("ctdivol_value_configured", codes.CTDIVOL_ALERT_VALUE_CONFIGURED, None),
    ("dlp_alert_value_mgy_cm", codes.DLP_ALERT_VALUE, Quantity.DLP),
    ("ctdivol_alert_value_mgy", codes.CTDIVOL_ALERT_VALUE, Quantity.AIR_KERMA),
)
_ALERT_ESTIMATES: tuple[_Row, ...] = (
    ("accumulated_dlp_forward_estimate_mgy_cm", codes.ACCUMULATED_DLP_FORWARD_ESTIMATE, Quantity.DLP),
    (
        "accumulated_ctdivol_forward_estimate_mgy",
        codes.ACCUMULATED_CTDIVOL_FORWARD_ESTIMATE,
        Quantity.AIR_KERMA,
    ),
)
_NOTIFICATION_ROWS: tuple[_Row, ...] = (
    ("dlp_value_configured", codes.DLP_NOTIFICATION_VALUE_CONFIGURED, None),
    ("ctdivol_value_configured", codes.CTDIVOL_NOTIFICATION_VALUE_CONFIGURED, None),
    ("dlp_notification_value_mgy_cm", codes.DLP_NOTIFICATION_VALUE, Quantity.DLP),
    ("ctdivol_notification_value_mgy", codes.CTDIVOL_NOTIFICATION_VALUE, Quantity.AIR_KERMA),
)
_NOTIFICATION_ESTIMATES: tuple[_Row, ...] = (
    ("dlp_forward_estimate_mgy_cm", codes.DLP_FORWARD_ESTIMATE, Quantity.DLP),
    ("ctdivol_forward_estimate_mgy", codes.CTDIVOL_FORWARD_ESTIMATE, Quantity.AIR_KERMA),
)


def _dose_check_part(container: Node, alert: bool) -> tuple[bool, dict[str, Any]]:
    """One TID 10015 container: whether a configured value was exceeded, and what the container says."""
    index = container.index()
    rows, estimates = (
        (_ALERT_ROWS, _ALERT_ESTIMATES) if alert else (_NOTIFICATION_ROWS, _NOTIFICATION_ESTIMATES)
    )
    details: dict[str, Any] = {}
    for key, concept, quantity in rows + estimates:
        node = first(index, concept)
        if node is None:
            continue
        value = yes_no(node) if quantity is None else node.quantity(quantity)
        if value is not None:
            details[key] = value
    reason = _text(index, codes.REASON_FOR_PROCEEDING)
    if reason:
        details["reason_for_proceeding"] = reason
    configured = bool(details.get("dlp_value_configured") or details.get("ctdivol_value_configured"))
    # The standard writes a forward estimate (and the operator's reason) only when a value is exceeded.
    exceeded = any(key in details for key, _, _ in estimates) or "reason_for_proceeding" in details
    return configured and exceeded, details


def parse_acquisition(node: Node, number: int) -> IrradiationEvent:
    """TID 10013 CT Acquisition as one irradiation event in canonical units."""
    index = node.index()
    uid = event_uid(node, number, "CT acquisition")
    event_type: str | None = None
    type_node = first(index, codes.CT_ACQUISITION_TYPE)
    if type_node is not None:
        code = type_node.code()
        if code is not None:
            event_type = codes.CT_ACQUISITION_TYPES.get(code.concept)
            if event_type is None:
                node.reader.warn(f"unknown CT acquisition type {code.meaning!r} ({code.scheme} {code.value})")
    target = first(index, codes.TARGET_REGION)
    started = first(index, codes.DATETIME_STARTED)

    sources = _sources(index)
    currents = _values(sources, "tube_current_ma")
    max_currents = _values(sources, "max_tube_current_ma")
    kvps = _values(sources, "kvp")
    rotation = _values(sources, "exposure_time_per_rotation_s")
    if not sources:
        # Some systems write the technique directly in the acquisition parameters.
        kvps = [v for v in (_q(index, codes.KVP, Quantity.VOLTAGE),) if v is not None]
        currents = [v for v in (_q(index, codes.TUBE_CURRENT, Quantity.CURRENT),) if v is not None]

    extra: dict[str, Any] = {}
    if len(sources) > 1:
        extra["sources"] = sources
    modulation = _text(index, codes.XRAY_MODULATION_TYPE)
    if modulation:
        extra["xray_modulation_type"] = modulation
    label = _text(index, codes.IRRADIATION_EVENT_LABEL)
    if label:
        extra["irradiation_event_label"] = label

    alert = notification = None
    dose_check: dict[str, Any] = {}
    for container in every(index, codes.DOSE_CHECK_ALERT_DETAILS):
        alert, dose_check["alert"] = _dose_check_part(container, alert=True)
    for container in every(index, codes.DOSE_CHECK_NOTIFICATION_DETAILS):
        notification, dose_check["notification"] = _dose_check_part(container, alert=False)

    ssde_node = first(index, codes.SSDE)
    count = _count(index, codes.NUMBER_OF_XRAY_SOURCES)
    return IrradiationEvent(
        irradiation_event_uid=uid,
        modality="CT",
        event_type=event_type,
        datetime_started=started.datetime() if started is not None else None,
        protocol=_text(index, codes.ACQUISITION_PROTOCOL),
        target_region=target.code_meaning_or_text() if target is not None else None,
        comment=_text(index, codes.COMMENT),
        ctdivol_mgy=_q(index, codes.MEAN_CTDIVOL, Quantity.AIR_KERMA),
        dlp_mgy_cm=_q(index, codes.DLP, Quantity.DLP),
        ctdi_phantom=_phantom(first(index, codes.CTDIW_PHANTOM_TYPE)),
        scanning_length_mm=_q(index, codes.SCANNING_LENGTH, Quantity.LENGTH),
        exposed_range_mm=_q(index, codes.EXPOSED_RANGE, Quantity.LENGTH),
        pitch_factor=_q(index, codes.PITCH_FACTOR, Quantity.COUNT),
        nominal_single_collimation_mm=_q(index, codes.NOMINAL_SINGLE_COLLIMATION, Quantity.LENGTH),
        nominal_total_collimation_mm=_q(index, codes.NOMINAL_TOTAL_COLLIMATION, Quantity.LENGTH),
        number_of_sources=count if count is not None else (len(sources) or None),
        exposure_time_per_rotation_s=rotation[0] if rotation else None,
        max_tube_current_ma=max(max_currents) if max_currents else None,
        water_equivalent_diameter_mm=_q(index, codes.WATER_EQUIVALENT_DIAMETER, Quantity.LENGTH),
        ssde_mgy=ssde_node.quantity(Quantity.AIR_KERMA) if ssde_node is not None else None,
        effective_dose_msv=_q(index, codes.EFFECTIVE_DOSE, Quantity.EFFECTIVE_DOSE),
        dose_check_alert=alert,
        dose_check_notification=notification,
        dose_check=dose_check or None,
        # Dual-source scanners: kVp of the first source (all sources in extra), mean tube current.
        kvp=kvps[0] if kvps else None,
        tube_current_ma=fmean(currents) if currents else None,
        exposure_time_s=_q(index, codes.EXPOSURE_TIME, Quantity.TIME),
        exposure_mas=_q(index, codes.EXPOSURE, Quantity.CHARGE),
        extra=extra,
    )
