"""Projection X-Ray Radiation Dose (TID 10001): accumulated dose per plane (TID 10002 with 10004,
10005, 10006, 10007) and irradiation events (TID 10003 with its detector, source and mechanical parts
10003A/B/C), for RF, XA, DX, CR and mammography."""

from __future__ import annotations

from typing import Any

from kerma.domain.model import AccumulatedDose, IrradiationEvent
from kerma.domain.units import MS_TO_S, Quantity
from kerma.ingest.rdsr import codes
from kerma.ingest.rdsr.codes import Codes, Concept
from kerma.ingest.rdsr.context import event_uid, laterality
from kerma.ingest.rdsr.tree import Node, every, first

Index = dict[Concept, list[Node]]


def _q(index: Index, concept: Codes, quantity: Quantity) -> float | None:
    node = first(index, concept)
    return node.quantity(quantity) if node is not None else None


def _coded(node: Node | None, table: dict[Concept, str]) -> str | None:
    """A CODE item through a table of known codes, else its meaning; TEXT items give their text."""
    if node is None:
        return None
    if node.value_type != "CODE":
        return node.text()
    code = node.code()
    if code is None:
        return None
    return table.get(code.concept, code.meaning or code.value)


def parse_projection(root: Node) -> tuple[list[IrradiationEvent], list[AccumulatedDose]]:
    """Events and per-plane accumulated totals of a TID 10001 tree (modality filled in by the caller)."""
    events: list[IrradiationEvent] = []
    accumulated: list[AccumulatedDose] = []
    for node in root.children():
        if node.concept in codes.IRRADIATION_EVENT_XRAY_DATA:
            events.append(parse_event(node, len(events) + 1))
        elif node.concept in codes.ACCUMULATED_XRAY_DOSE_DATA:
            accumulated.append(parse_accumulated(node))
    return events, accumulated


def parse_accumulated(node: Node) -> AccumulatedDose:
    """TID 10002 for one plane, with whichever of TID 10004-10007 the device wrote."""
    index = node.index()
    agd: dict[str, float] = {}
    for agd_node in every(index, codes.ACCUMULATED_AGD):
        value = agd_node.quantity(Quantity.AIR_KERMA)
        if value is None:
            continue
        side = laterality([c for c in agd_node.children() if c.concept in codes.LATERALITY])
        if side not in ("L", "R", "B"):
            node.reader.warn("accumulated average glandular dose without a breast laterality: read as both")
            side = "B"
        agd[side] = value
    return AccumulatedDose(
        plane=_coded(first(index, codes.ACQUISITION_PLANE), codes.PLANES),
        dap_total_gy_cm2=_q(index, codes.DAP_TOTAL, Quantity.DAP),
        kar_total_mgy=_q(index, codes.DOSE_RP_TOTAL, Quantity.AIR_KERMA),
        fluoro_dap_total_gy_cm2=_q(index, codes.FLUORO_DAP_TOTAL, Quantity.DAP),
        fluoro_kar_total_mgy=_q(index, codes.FLUORO_DOSE_RP_TOTAL, Quantity.AIR_KERMA),
        fluoro_time_total_s=_q(index, codes.TOTAL_FLUORO_TIME, Quantity.TIME),
        acquisition_dap_total_gy_cm2=_q(index, codes.ACQUISITION_DAP_TOTAL, Quantity.DAP),
        acquisition_kar_total_mgy=_q(index, codes.ACQUISITION_DOSE_RP_TOTAL, Quantity.AIR_KERMA),
        acquisition_time_total_s=_q(index, codes.TOTAL_ACQUISITION_TIME, Quantity.TIME),
        total_frames=_q(index, codes.TOTAL_NUMBER_OF_RADIOGRAPHIC_FRAMES, Quantity.COUNT),
        agd_left_mgy=agd.get("L"),
        agd_right_mgy=agd.get("R"),
        agd_both_mgy=agd.get("B"),
        calibration_factor=_q(index, codes.CALIBRATION_FACTOR, Quantity.COUNT),
        reference_point_definition=_coded(
            first(index, codes.REFERENCE_POINT_DEFINITION), codes.REFERENCE_POINTS
        ),
    )


def _number(value: float) -> str:
    return f"{value:g}"


def filters_text(containers: list[Node]) -> str | None:
    """The X-Ray Filters containers as one readable text, e.g. 'Cu 0.1 mm; Al 1 mm' or 'none'."""
    parts: list[str] = []
    no_filter = False
    for container in containers:
        index = container.index()
        type_node = first(index, codes.XRAY_FILTER_TYPE)
        material = _coded(first(index, codes.XRAY_FILTER_MATERIAL), codes.MATERIALS)
        if material is None:
            if type_node is not None and type_node.code_concept() in codes.NO_FILTER:
                no_filter = True
            continue
        low = _q(index, codes.XRAY_FILTER_THICKNESS_MIN, Quantity.LENGTH)
        high = _q(index, codes.XRAY_FILTER_THICKNESS_MAX, Quantity.LENGTH)
        thicknesses = [v for v in (low, high) if v is not None]
        if len(thicknesses) == 2 and low != high:
            thickness = f" {_number(thicknesses[0])}-{_number(thicknesses[1])} mm"
        elif thicknesses:
            thickness = f" {_number(thicknesses[0])} mm"
        else:
            thickness = ""
        part = f"{material}{thickness}"
        if part not in parts:  # one filter listed once per pulse is still one filter
            parts.append(part)
    if parts:
        return "; ".join(parts)
    return "none" if no_filter else None


def _all(index: Index, concept: Codes, quantity: Quantity) -> list[float]:
    values = [n.quantity(quantity) for n in every(index, concept)]
    return [v for v in values if v is not None]


def parse_event(node: Node, number: int) -> IrradiationEvent:
    """TID 10003 Irradiation Event X-Ray Data as one event in canonical units (modality set later)."""
    index = node.index()
    uid = event_uid(node, number)
    event_type: str | None = None
    type_node = first(index, codes.IRRADIATION_EVENT_TYPE)
    if type_node is not None:
        code = type_node.code()
        if code is not None:
            event_type = codes.PROJECTION_EVENT_TYPES.get(code.concept)
            if event_type is None:
                node.reader.warn(
                    f"unknown irradiation event type {code.meaning!r} ({code.scheme} {code.value})"
                )

    extra: dict[str, Any] = {}
    # Some systems (e.g. mammography with a pre-exposure) give one value per pulse: keep all of them.
    kvps = _all(index, codes.KVP, Quantity.VOLTAGE)
    currents = _all(index, codes.TUBE_CURRENT, Quantity.CURRENT)
    widths = [v / MS_TO_S for v in _all(index, codes.PULSE_WIDTH, Quantity.TIME)]
    for key, values in (
        ("kvp_values", kvps),
        ("tube_current_values_ma", currents),
        ("pulse_width_values_ms", widths),
    ):
        if len(values) > 1:
            extra[key] = values
    average_current = _q(index, codes.AVERAGE_TUBE_CURRENT, Quantity.CURRENT)
    if average_current is not None:
        extra["average_tube_current_ma"] = average_current
    for key, concept in (
        ("patient_orientation", codes.PATIENT_ORIENTATION),
        ("patient_orientation_modifier", codes.PATIENT_ORIENTATION_MODIFIER),
        ("patient_table_relationship", codes.PATIENT_TABLE_RELATIONSHIP),
        ("irradiation_event_label", codes.IRRADIATION_EVENT_LABEL),
    ):
        value_node = first(index, concept)
        value = value_node.code_meaning_or_text() if value_node is not None else None
        if value:
            extra[key] = value

    exposure_time = _q(index, codes.EXPOSURE_TIME, Quantity.TIME)
    if exposure_time is None:
        exposure_time = _q(index, codes.EXPOSURE_TIME_RETIRED, Quantity.TIME)
    duration = _q(index, codes.IRRADIATION_DURATION, Quantity.TIME)
    started = first(index, codes.DATETIME_STARTED)
    target = first(index, codes.TARGET_REGION)
    anatomy = first(index, codes.ANATOMICAL_STRUCTURE)
    pulses = _q(index, codes.NUMBER_OF_PULSES, Quantity.COUNT)

    return IrradiationEvent(
        irradiation_event_uid=uid,
        modality="",
        event_type=event_type,
        datetime_started=started.datetime() if started is not None else None,
        protocol=_text(index, codes.ACQUISITION_PROTOCOL),
        target_region=target.code_meaning_or_text() if target is not None else None,
        laterality=laterality(every(index, codes.LATERALITY)),
        acquisition_plane=_coded(first(index, codes.ACQUISITION_PLANE), codes.PLANES),
        comment=_text(index, codes.COMMENT),
        kvp=kvps[0] if kvps else None,
        tube_current_ma=currents[0] if currents else average_current,
        exposure_time_s=exposure_time,
        exposure_mas=_q(index, codes.EXPOSURE, Quantity.CHARGE),
        dap_gy_cm2=_q(index, codes.DAP, Quantity.DAP),
        kar_mgy=_q(index, codes.DOSE_RP, Quantity.AIR_KERMA),
        fluoro_time_s=(duration if duration is not None else exposure_time)
        if event_type == "fluoroscopy"
        else None,
        irradiation_duration_s=duration,
        fluoro_mode=_coded(first(index, codes.FLUORO_MODE), codes.FLUORO_MODES),
        pulse_rate_per_s=_q(index, codes.PULSE_RATE, Quantity.RATE),
        pulse_width_ms=widths[0] if widths else None,
        number_of_pulses=pulses,
        reference_point_definition=_coded(
            first(index, codes.REFERENCE_POINT_DEFINITION), codes.REFERENCE_POINTS
        ),
        distance_source_to_rp_mm=_q(index, codes.DISTANCE_SOURCE_TO_RP, Quantity.LENGTH),
        distance_source_to_detector_mm=_q(index, codes.DISTANCE_SOURCE_TO_DETECTOR, Quantity.LENGTH),
        distance_source_to_isocenter_mm=_q(index, codes.DISTANCE_SOURCE_TO_ISOCENTER, Quantity.LENGTH),
        positioner_primary_angle_deg=_q(index, codes.POSITIONER_PRIMARY_ANGLE, Quantity.ANGLE),
        positioner_secondary_angle_deg=_q(index, codes.POSITIONER_SECONDARY_ANGLE, Quantity.ANGLE),
        positioner_primary_end_angle_deg=_q(index, codes.POSITIONER_PRIMARY_END_ANGLE, Quantity.ANGLE),
        positioner_secondary_end_angle_deg=_q(index, codes.POSITIONER_SECONDARY_END_ANGLE, Quantity.ANGLE),
        column_angulation_deg=_q(index, codes.COLUMN_ANGULATION, Quantity.ANGLE),
        table_longitudinal_position_mm=_q(index, codes.TABLE_LONGITUDINAL_POSITION, Quantity.LENGTH),
        table_lateral_position_mm=_q(index, codes.TABLE_LATERAL_POSITION, Quantity.LENGTH),
        table_height_position_mm=_q(index, codes.TABLE_HEIGHT_POSITION, Quantity.LENGTH),
        collimated_field_area_cm2=_q(index, codes.COLLIMATED_FIELD_AREA, Quantity.AREA),
        collimated_field_height_mm=_q(index, codes.COLLIMATED_FIELD_HEIGHT, Quantity.LENGTH),
        collimated_field_width_mm=_q(index, codes.COLLIMATED_FIELD_WIDTH, Quantity.LENGTH),
        filters=filters_text(every(index, codes.XRAY_FILTERS)),
        focal_spot_mm=_q(index, codes.FOCAL_SPOT_SIZE, Quantity.LENGTH),
        grid=_coded(first(index, codes.XRAY_GRID), codes.GRIDS),
        exposure_index=_q(index, codes.EXPOSURE_INDEX, Quantity.COUNT),
        target_exposure_index=_q(index, codes.TARGET_EXPOSURE_INDEX, Quantity.COUNT),
        deviation_index=_q(index, codes.DEVIATION_INDEX, Quantity.COUNT),
        agd_mgy=_q(index, codes.AVERAGE_GLANDULAR_DOSE, Quantity.AIR_KERMA),
        entrance_dose_mgy=_q(index, codes.ENTRANCE_EXPOSURE_AT_RP, Quantity.AIR_KERMA),
        compression_thickness_mm=_q(index, codes.COMPRESSION_THICKNESS, Quantity.LENGTH),
        half_value_layer_mm=_q(index, codes.HALF_VALUE_LAYER, Quantity.LENGTH),
        anode_target=_coded(first(index, codes.ANODE_TARGET_MATERIAL), codes.MATERIALS),
        view=_coded(first(index, codes.IMAGE_VIEW), codes.VIEWS),
        body_part=anatomy.code_meaning_or_text() if anatomy is not None else None,
        extra=extra,
    )


def _text(index: Index, concept: Codes) -> str | None:
    node = first(index, concept)
    return node.text() if node is not None else None
