"""Mammography studies and their RDSRs (TID 10001 with TID 10005 accumulated AGD per breast).

Each view has a compressed breast thickness; AGD and entrance air kerma grow with thickness, tube
voltage follows the automatic exposure control's choice for that thickness. The accumulated AGD of a
breast is the exact sum of its views' AGDs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from kerma.simulate import codes as C
from kerma.simulate.codes import Code
from kerma.simulate.quantities import AGD, decimal
from kerma.simulate.sr import (
    HAS_CONCEPT_MOD,
    Content,
    device_observer,
    procedure_reported,
    rdsr_file,
    scope_of_accumulation,
    source_of_dose_information,
)
from kerma.simulate.study import Study

VIEWS = {"CC": C.CRANIO_CAUDAL, "MLO": C.MEDIO_LATERAL_OBLIQUE}
SIDES = {"L": C.LEFT, "R": C.RIGHT}
MATERIALS = {"TUNGSTEN": C.TUNGSTEN, "MOLYBDENUM": C.MOLYBDENUM, "RHODIUM": C.RHODIUM, "SILVER": C.SILVER}
_FILTER_MM = {"RHODIUM": 0.05, "SILVER": 0.05, "MOLYBDENUM": 0.03}


@dataclass(slots=True)
class MammoEvent:
    """One mammography exposure."""

    uid: str
    laterality: str
    """'L' or 'R'."""
    view: str
    """'CC' or 'MLO'."""
    protocol: str
    started: datetime
    thickness_mm: int
    force_n: int
    kvp: int
    tube_current_ma: float
    exposure_time_ms: float
    exposure_uas: int
    agd: int
    """AGD in counts of :data:`~kerma.simulate.quantities.AGD` (0.01 mGy)."""
    entrance: int
    """Entrance exposure at the reference point, same counts."""
    anode: Code
    filter: Code
    hvl_mm: float
    angle: float
    series_number: int
    sid_mm: float = 660.0


def mammo_events(study: Study) -> list[MammoEvent]:
    """The exposures of a mammography study."""
    spec = study.exam.mammo
    assert spec is not None
    rng = study.rng("mg")
    dose = study.dose_factor(rng)
    views = list(spec.views)
    if study.exam.key == "mg-unilateral" and rng.random() < 0.5:
        views = [("L", view) for _side, view in views]
    for _ in range(rng.randint(0, spec.extra_views)):
        views.append((rng.choice(("L", "R")), "CC"))
    thickness = {side: min(max(rng.gauss(55.0, 12.0), 20.0), 95.0) for side in ("L", "R")}
    targets = study.room.mammo_targets or (("TUNGSTEN", "RHODIUM"),)
    clock = study.start + timedelta(seconds=rng.randint(60, 240))
    events: list[MammoEvent] = []
    for number, (side, view) in enumerate(views):
        t = thickness[side] + (5.0 if view == "MLO" else 0.0) + rng.uniform(-2.0, 2.0)
        anode_name, filter_name = targets[-1] if t > 65 else targets[0]
        agd_mgy = spec.agd_mgy * math.pow(t / 50.0, 1.2) * dose * rng.lognormvariate(0.0, 0.08)
        entrance_mgy = agd_mgy * (2.5 + 0.05 * (t - 50.0))
        kvp = round((22.0 if anode_name == "MOLYBDENUM" else 24.0) + 0.13 * t)
        mas = 100.0 * math.pow(t / 50.0, 1.5) * dose
        current = float(rng.choice((100, 120, 150, 180)))
        extra = number >= len(spec.views)
        events.append(
            MammoEvent(
                uid=study.uid("mg-event", number),
                laterality=side,
                view=view,
                protocol=f"{'Spot ' if extra else ''}{side}{view}",
                started=clock,
                thickness_mm=round(t),
                force_n=rng.randint(60, 140),
                kvp=kvp,
                tube_current_ma=current,
                exposure_time_ms=round(mas / current * 1000.0, 0),
                exposure_uas=round(mas * 1000.0),
                agd=AGD.count(agd_mgy, "mGy"),
                entrance=AGD.count(entrance_mgy, "mGy"),
                anode=MATERIALS[anode_name],
                filter=MATERIALS[filter_name],
                hvl_mm=round(0.3 + 0.01 * kvp + rng.uniform(-0.02, 0.02), 3),
                angle=0.0 if view == "CC" else (45.0 if side == "R" else -45.0),
                series_number=number + 1,
                sid_mm=700.0 if study.room.manufacturer.startswith("HOLOGIC") else 660.0,
            )
        )
        clock += timedelta(seconds=rng.randint(40, 120))
    return events


def agd_per_breast(events: list[MammoEvent]) -> dict[str, int]:
    """Accumulated AGD counts per breast ('L', 'R') that were exposed."""
    totals: dict[str, int] = {}
    for event in events:
        totals[event.laterality] = totals.get(event.laterality, 0) + event.agd
    return totals


def _event_item(content: Content, event: MammoEvent) -> bytes:
    side = content.code(C.LATERALITY, SIDES[event.laterality], HAS_CONCEPT_MOD)
    filter_mm = _FILTER_MM.get(event.filter.meaning.upper(), 0.05)
    return content.container(
        C.IRRADIATION_EVENT_XRAY_DATA,
        [
            content.code(C.ACQUISITION_PLANE, C.SINGLE_PLANE, HAS_CONCEPT_MOD),
            content.uidref(C.IRRADIATION_EVENT_UID, event.uid),
            content.datetime(C.DATETIME_STARTED, event.started),
            content.code(C.IRRADIATION_EVENT_TYPE, C.STATIONARY_ACQUISITION),
            content.text(C.ACQUISITION_PROTOCOL, event.protocol),
            content.code(C.TARGET_REGION, C.BREAST, children=[side]),
            content.code(C.IMAGE_VIEW, VIEWS[event.view]),
            content.num(C.COMPRESSION_THICKNESS, str(event.thickness_mm), C.U_MM),
            content.num(C.HALF_VALUE_LAYER, decimal(event.hvl_mm, 3), C.U_MM),
            content.num(C.ENTRANCE_EXPOSURE_AT_RP, AGD.text(event.entrance), C.U_MGY),
            content.code(C.REFERENCE_POINT_DEFINITION, C.BREAST_SUPPORT_4CM),
            content.num(C.AVERAGE_GLANDULAR_DOSE, AGD.text(event.agd), C.U_MGY),
            content.num(C.KVP, str(event.kvp), C.U_KV),
            content.num(C.TUBE_CURRENT, decimal(event.tube_current_ma, 0), C.U_MA),
            content.num(C.EXPOSURE_TIME, decimal(event.exposure_time_ms, 0), C.U_MS),
            content.num(C.EXPOSURE, str(event.exposure_uas), C.U_UAS),
            content.num(C.FOCAL_SPOT_SIZE, "0.3", C.U_MM),
            content.code(C.ANODE_TARGET_MATERIAL, event.anode),
            content.container(
                C.XRAY_FILTERS,
                [
                    content.code(C.FILTER_TYPE, C.FLAT_FILTER),
                    content.code(C.FILTER_MATERIAL, event.filter),
                    content.num(C.FILTER_THICKNESS_MIN, decimal(filter_mm, 3), C.U_MM),
                    content.num(C.FILTER_THICKNESS_MAX, decimal(filter_mm, 3), C.U_MM),
                ],
            ),
            content.num(C.POSITIONER_PRIMARY_ANGLE, decimal(event.angle, 0), C.U_DEG),
            content.num(C.DISTANCE_SOURCE_TO_DETECTOR, decimal(event.sid_mm, 0), C.U_MM),
        ],
    )


def mammo_rdsr(study: Study, events: list[MammoEvent]) -> bytes:
    """The RDSR (TID 10001, procedure reported Mammography) of a mammography study."""
    room = study.room
    content = Content(study.codec, room.legacy_codes)
    accumulated = [content.code(C.ACQUISITION_PLANE, C.SINGLE_PLANE, HAS_CONCEPT_MOD)]
    for side, total in sorted(agd_per_breast(events).items()):
        laterality = content.code(C.LATERALITY, SIDES[side], HAS_CONCEPT_MOD)
        accumulated.append(content.num(C.ACCUMULATED_AGD, AGD.text(total), C.U_MGY, children=[laterality]))
    items = [
        procedure_reported(content, C.MAMMOGRAPHY, C.DIAGNOSTIC_INTENT),
        *device_observer(content, room),
        scope_of_accumulation(content, study.study_uid),
        content.container(C.ACCUMULATED_XRAY_DOSE, accumulated),
        *(_event_item(content, event) for event in events),
        source_of_dose_information(content),
    ]
    end = events[-1].started + timedelta(seconds=90)
    return rdsr_file(
        study,
        items,
        template="10001",
        sop_uid=study.uid("sr", 1),
        series_uid=study.uid("sr-series"),
        instance_number=1,
        content_time=end,
    )
