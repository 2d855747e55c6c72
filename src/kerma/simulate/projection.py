"""Projection X-ray studies (DX radiography, RF and XA fluoroscopy) and their RDSRs (TID 10001).

DX: one stationary acquisition per view, with exposure index, DAP and Ka,r in the detector plane.
RF/XA: pulsed fluoroscopy runs and acquisition runs (cine, DSA, spot, sometimes a rotational run), one
or two planes. Accumulated values (TID 10004 / 10007) are, per plane, the exact sums of the events.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kerma.domain.units import Quantity, factor
from kerma.simulate import codes as C
from kerma.simulate.codes import Code
from kerma.simulate.protocols import FluoroSpec
from kerma.simulate.quantities import DAP, KERMA, TIME, decimal
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

_M2_PER_CM2 = 1.0 / factor("m2", Quantity.AREA)
_TARGET_EI = {"Siemens": 250.0, "Agfa": 2500.0, "Carestream Health": 300.0, "Canon Inc.": 200.0}
_ISOCENTER_MM = 765.0
_IRP_OFFSET_MM = 150.0


@dataclass(slots=True)
class XrayEvent:
    """One projection irradiation event (an exposure, a fluoroscopy run or an acquisition run)."""

    uid: str
    plane: Code
    kind: Code
    protocol: str
    region: Code
    started: datetime
    kvp: float
    tube_current_ma: float
    exposure_time_ms: float
    dap: int
    """DAP in counts of :data:`~kerma.simulate.quantities.DAP` (1e-8 Gy·m²)."""
    kar: int
    """Dose (RP) in counts of :data:`~kerma.simulate.quantities.KERMA` (µGy)."""
    duration: int = 0
    """Irradiation duration in counts of :data:`~kerma.simulate.quantities.TIME` (ms)."""
    laterality: Code | None = None
    view: Code | None = None
    exposure_uas: float | None = None
    pulse_rate: float | None = None
    pulses: int = 1
    pulse_width_ms: float | None = None
    copper_mm: float | None = None
    primary_angle: float = 0.0
    secondary_angle: float = 0.0
    sid_mm: float = 1150.0
    field_cm2: float = 0.0
    exposure_index: float | None = None
    target_exposure_index: float | None = None
    series_number: int = 1

    @property
    def is_fluoro(self) -> bool:
        """A fluoroscopy run (not stored as an image)."""
        return self.kind == C.FLUOROSCOPY


def _split(total: float, weights: list[float]) -> list[float]:
    scale = total / sum(weights)
    return [w * scale for w in weights]


# --- DX -------------------------------------------------------------------------------------------------


def dx_events(study: Study) -> list[XrayEvent]:
    """The exposures of a radiography study."""
    rng = study.rng("dx")
    exam, room = study.exam, study.room
    dose = study.dose_factor(rng)
    size = min(max(study.true_weight_kg / 75.0, 0.15), 1.8) if study.child else 1.0
    body = min(max((study.height_m or 1.7) / 1.7, 0.4), 1.2) if study.child else 1.0
    laterality = rng.choice((C.LEFT, C.RIGHT)) if exam.limb else None
    target_ei = _TARGET_EI.get(room.manufacturer, 400.0)
    clock = study.start + timedelta(seconds=rng.randint(60, 400))
    events: list[XrayEvent] = []
    views = list(exam.dx)
    if rng.random() < 0.04:  # a repeated exposure (positioning or exposure error)
        views.insert(0, rng.choice(views))
    for view in views:
        jitter = rng.lognormvariate(0.0, 0.15)
        dap_gy_cm2 = view.dap_gy_cm2 * dose * size * jitter
        area_cm2 = view.field_cm2 * body * body * rng.lognormvariate(0.0, 0.08)
        mas = max(view.mas * dose * size * jitter, 0.5)
        current = float(rng.choice((200, 250, 320, 400, 500)))
        deviation = rng.gauss(0.0, 1.2)
        dap = DAP.count(dap_gy_cm2, "Gy.cm2")
        events.append(
            XrayEvent(
                uid=study.uid("dx-event", len(events)),
                plane=C.SINGLE_PLANE,
                kind=C.STATIONARY_ACQUISITION,
                protocol=view.label,
                region=view.region,
                started=clock,
                kvp=view.kvp + rng.choice((-4, 0, 0, 0, 4)),
                tube_current_ma=current,
                exposure_time_ms=round(mas / current * 1000.0, 1),
                dap=dap,
                kar=KERMA.count(DAP.value(dap, "Gy.cm2") / area_cm2, "Gy"),
                laterality=laterality,
                view=view.view,
                exposure_uas=round(mas * 1000.0),
                sid_mm=1800.0 if view.region == C.CHEST else 1150.0,
                field_cm2=round(area_cm2, 1),
                exposure_index=round(target_ei * 10 ** (deviation / 10.0), 1),
                target_exposure_index=target_ei,
                series_number=len(events) + 1,
            )
        )
        clock += timedelta(seconds=rng.randint(30, 150))
    return events


# --- RF / XA --------------------------------------------------------------------------------------------


def _runs(
    study: Study,
    spec: FluoroSpec,
    rng: random.Random,
    plane: Code,
    n_fluoro: int,
    n_acq: int,
    dap_gy_cm2: float,
    fluoro_time_s: float,
) -> list[tuple[XrayEvent, float]]:
    """Fluoroscopy and acquisition runs of one plane, each with a provisional start offset (s)."""
    fluoro_share = min(max(spec.fluoro_share + rng.uniform(-0.1, 0.1), 0.1), 0.9)
    durations = _split(fluoro_time_s, [rng.expovariate(1.0) + 0.05 for _ in range(n_fluoro)])
    fluoro_dap = _split(dap_gy_cm2 * fluoro_share, [d * rng.lognormvariate(0, 0.3) for d in durations])
    rotational = rng.random() < spec.rotational
    acq_runs = []
    for i in range(n_acq):
        if rotational and i == 0:
            acq_runs.append((C.ROTATIONAL_ACQUISITION, 30.0, rng.uniform(4.0, 6.0)))
        else:
            acq_runs.append(
                (C.STATIONARY_ACQUISITION, rng.choice(spec.acq_rate), rng.uniform(*spec.acq_seconds))
            )
    acq_dap = _split(
        dap_gy_cm2 * (1 - fluoro_share),
        [rate * secs * rng.lognormvariate(0, 0.3) for _, rate, secs in acq_runs],
    )
    plane_b = plane == C.PLANE_B
    runs: list[tuple[XrayEvent, float]] = []
    for seconds, dap_value in zip(durations, fluoro_dap, strict=True):
        rate = rng.choice(spec.fluoro_rate)
        pulses = max(int(rate * seconds), 1)
        width = round(rng.uniform(3.0, 10.0), 1)
        runs.append(
            (
                _run(
                    study,
                    spec,
                    rng,
                    plane,
                    C.FLUOROSCOPY,
                    spec.fluoro_label,
                    dap_value,
                    seconds,
                    rate,
                    pulses,
                    width,
                    rng.uniform(10.0, 80.0),
                    plane_b,
                ),
                rng.random(),
            )
        )
    for (kind, rate, seconds), dap_value in zip(acq_runs, acq_dap, strict=True):
        pulses = max(int(rate * seconds), 1)
        width = round(rng.uniform(4.0, 8.0), 1)
        label = "Rotational" if kind == C.ROTATIONAL_ACQUISITION else spec.acq_label
        runs.append(
            (
                _run(
                    study,
                    spec,
                    rng,
                    plane,
                    kind,
                    label,
                    dap_value,
                    seconds,
                    rate,
                    pulses,
                    width,
                    rng.uniform(200.0, 800.0),
                    plane_b,
                ),
                rng.random(),
            )
        )
    return runs


def _run(
    study: Study,
    spec: FluoroSpec,
    rng: random.Random,
    plane: Code,
    kind: Code,
    label: str,
    dap_gy_cm2: float,
    seconds: float,
    rate: float,
    pulses: int,
    width: float,
    current: float,
    plane_b: bool,
) -> XrayEvent:
    area = spec.field_cm2 * rng.lognormvariate(0.0, 0.25)
    dap = DAP.count(dap_gy_cm2, "Gy.cm2")
    fluoro = kind == C.FLUOROSCOPY
    low, high = spec.kvp
    return XrayEvent(
        uid="",
        plane=plane,
        kind=kind,
        protocol=label,
        region=spec.region,
        started=study.start,
        kvp=float(rng.randint(low, high) + (0 if fluoro else 5)),
        tube_current_ma=round(current, 1),
        exposure_time_ms=round(pulses * width, 1),
        dap=dap,
        kar=KERMA.count(DAP.value(dap, "Gy.cm2") / area, "Gy"),
        duration=TIME.count(seconds, "s"),
        pulse_rate=rate,
        pulses=pulses,
        pulse_width_ms=width,
        copper_mm=rng.choice((0.3, 0.6, 0.9)) if fluoro else rng.choice((0.1, 0.2, 0.3)),
        primary_angle=(rng.choice((-90.0, 90.0)) if plane_b else round(rng.uniform(-45.0, 45.0), 1)),
        secondary_angle=(0.0 if plane_b else round(rng.uniform(-35.0, 35.0), 1)),
        sid_mm=float(rng.choice((1000, 1050, 1100, 1200))),
        field_cm2=round(area, 1),
    )


def fluoro_events(study: Study) -> list[XrayEvent]:
    """Fluoroscopy and acquisition runs of an RF or XA study, in time order, per plane."""
    spec = study.exam.fluoro
    assert spec is not None
    rng = study.rng("fluoro")
    dose = study.dose_factor(rng)
    size = min(max(study.true_weight_kg / 75.0, 0.1), 2.0)
    dap = spec.dap_gy_cm2 * dose * size
    fluoro_time = max(spec.fluoro_time_s * math.pow(dose, 0.8) * rng.lognormvariate(0.0, 0.2), 5.0)
    n_fluoro = rng.randint(*spec.fluoro_events)
    n_acq = rng.randint(*spec.acquisitions)
    if study.room.biplane:
        share_b = rng.uniform(0.3, 0.45)
        runs = _runs(study, spec, rng, C.PLANE_A, n_fluoro, n_acq, dap * (1 - share_b), fluoro_time)
        runs += _runs(
            study,
            spec,
            rng,
            C.PLANE_B,
            max(n_fluoro // 2, 1),
            max(n_acq // 2, 1),
            dap * share_b,
            fluoro_time * 0.6,
        )
    else:
        runs = _runs(study, spec, rng, C.SINGLE_PLANE, n_fluoro, n_acq, dap, fluoro_time)
    runs.sort(key=lambda run: run[1])
    clock = study.start + timedelta(seconds=rng.randint(120, 600))
    events = []
    for number, (event, _order) in enumerate(runs):
        event.uid = study.uid("xr-event", number)
        event.started = clock
        event.series_number = number + 1
        events.append(event)
        clock += timedelta(seconds=TIME.value(event.duration) + rng.uniform(10.0, 120.0))
    return events


# --- the RDSR ---------------------------------------------------------------------------------------------


def _event_item(content: Content, event: XrayEvent, study: Study) -> bytes:
    region_mods = (
        [content.code(C.LATERALITY, event.laterality, HAS_CONCEPT_MOD)] if event.laterality else None
    )
    items = [
        content.code(C.ACQUISITION_PLANE, event.plane, HAS_CONCEPT_MOD),
        content.uidref(C.IRRADIATION_EVENT_UID, event.uid),
        content.datetime(C.DATETIME_STARTED, event.started),
        content.code(C.IRRADIATION_EVENT_TYPE, event.kind),
        content.text(C.ACQUISITION_PROTOCOL, event.protocol),
        content.code(C.TARGET_REGION, event.region, children=region_mods),
    ]
    if event.view is not None:
        items.append(content.code(C.IMAGE_VIEW, event.view))
    items.append(content.num(C.DAP, DAP.text(event.dap), C.U_GY_M2))
    if event.exposure_index is not None and event.target_exposure_index is not None:
        deviation = 10.0 * math.log10(event.exposure_index / event.target_exposure_index)
        items += [
            content.num(C.EXPOSURE_INDEX, decimal(event.exposure_index, 1), C.U_ONE),
            content.num(C.TARGET_EXPOSURE_INDEX, decimal(event.target_exposure_index, 1), C.U_ONE),
            content.num(C.DEVIATION_INDEX, decimal(deviation, 2), C.U_ONE),
        ]
    items.append(content.num(C.DOSE_RP, KERMA.text(event.kar), C.U_GY))
    if study.exam.modality == "DX":
        items += [
            content.num(C.COLLIMATED_FIELD_AREA, decimal(event.field_cm2 * _M2_PER_CM2, 5), C.U_M2),
            content.num(C.NUMBER_OF_PULSES, "1", C.U_ONE),
            content.num(C.KVP, decimal(event.kvp, 0), C.U_KV),
            content.num(C.TUBE_CURRENT, decimal(event.tube_current_ma, 0), C.U_MA),
            content.num(C.EXPOSURE_TIME, decimal(event.exposure_time_ms, 1), C.U_MS),
            content.num(C.EXPOSURE, decimal(event.exposure_uas or 0.0, 0), C.U_UAS),
            content.num(C.DISTANCE_SOURCE_TO_DETECTOR, decimal(event.sid_mm, 0), C.U_MM),
        ]
        return content.container(C.IRRADIATION_EVENT_XRAY_DATA, items)
    items += [
        content.num(C.DISTANCE_SOURCE_TO_RP, decimal(_ISOCENTER_MM - _IRP_OFFSET_MM, 0), C.U_MM),
        content.num(C.POSITIONER_PRIMARY_ANGLE, decimal(event.primary_angle, 1), C.U_DEG),
        content.num(C.POSITIONER_SECONDARY_ANGLE, decimal(event.secondary_angle, 1), C.U_DEG),
        content.container(
            C.XRAY_FILTERS,
            [
                content.code(C.FILTER_TYPE, C.FLAT_FILTER),
                content.code(C.FILTER_MATERIAL, C.COPPER),
                content.num(C.FILTER_THICKNESS_MIN, decimal(event.copper_mm or 0.0, 1), C.U_MM),
                content.num(C.FILTER_THICKNESS_MAX, decimal(event.copper_mm or 0.0, 1), C.U_MM),
            ],
        ),
    ]
    if event.is_fluoro:
        items.append(content.code(C.FLUORO_MODE, C.PULSED))
    items += [
        content.num(C.PULSE_RATE, decimal(event.pulse_rate or 0.0, 1), C.U_PULSE_RATE),
        content.num(C.NUMBER_OF_PULSES, str(event.pulses), C.U_ONE),
        content.num(C.PULSE_WIDTH, decimal(event.pulse_width_ms or 0.0, 1), C.U_MS),
        content.num(C.IRRADIATION_DURATION, TIME.text(event.duration), C.U_S),
        content.num(C.KVP, decimal(event.kvp, 0), C.U_KV),
        content.num(C.TUBE_CURRENT, decimal(event.tube_current_ma, 1), C.U_MA),
        content.num(C.EXPOSURE_TIME, decimal(event.exposure_time_ms, 1), C.U_MS),
        content.num(C.DISTANCE_SOURCE_TO_DETECTOR, decimal(event.sid_mm, 0), C.U_MM),
        content.num(C.DISTANCE_SOURCE_TO_ISOCENTER, decimal(_ISOCENTER_MM, 0), C.U_MM),
    ]
    return content.container(C.IRRADIATION_EVENT_XRAY_DATA, items)


@dataclass(slots=True)
class PlaneTotals:
    """Accumulated values of one plane, as counts (exact sums of the events)."""

    plane: Code
    dap: int = 0
    kar: int = 0
    fluoro_dap: int = 0
    fluoro_kar: int = 0
    fluoro_time: int = 0
    acq_dap: int = 0
    acq_kar: int = 0
    acq_time: int = 0
    frames: int = 0
    events: int = 0


def plane_totals(events: list[XrayEvent]) -> list[PlaneTotals]:
    """Per-plane sums, in plane order (single, or A then B)."""
    planes: dict[str, PlaneTotals] = {}
    for event in events:
        totals = planes.setdefault(event.plane.value, PlaneTotals(event.plane))
        totals.dap += event.dap
        totals.kar += event.kar
        totals.events += 1
        if event.is_fluoro:
            totals.fluoro_dap += event.dap
            totals.fluoro_kar += event.kar
            totals.fluoro_time += event.duration
        else:
            totals.acq_dap += event.dap
            totals.acq_kar += event.kar
            totals.acq_time += event.duration
            totals.frames += event.pulses
    return [planes[key] for key in sorted(planes)]


def _calibration(content: Content, study: Study) -> bytes:
    calibrated = datetime.combine(date(study.start.year - 1, 11, 4), datetime.min.time()).replace(hour=9)
    return content.container(
        C.CALIBRATION,
        [
            content.code(C.DOSE_MEASUREMENT_DEVICE, C.DOSIMETER, HAS_CONCEPT_MOD),
            content.datetime(C.CALIBRATION_DATETIME, calibrated),
            content.num(C.CALIBRATION_FACTOR, "1", C.U_ONE),
            content.num(C.CALIBRATION_UNCERTAINTY, "5", C.U_PERCENT),
            content.text(C.CALIBRATION_RESPONSIBLE, f"{study.room.manufacturer} Service"),
        ],
    )


def _accumulated(content: Content, totals: PlaneTotals, study: Study, fluoroscopy: bool) -> bytes:
    items = [content.code(C.ACQUISITION_PLANE, totals.plane, HAS_CONCEPT_MOD)]
    if fluoroscopy and study.room.manufacturer == "Siemens":
        items.append(_calibration(content, study))
    if fluoroscopy:  # TID 10004
        items += [
            content.num(C.FLUORO_DAP_TOTAL, DAP.text(totals.fluoro_dap), C.U_GY_M2),
            content.num(C.FLUORO_RP_TOTAL, KERMA.text(totals.fluoro_kar), C.U_GY),
            content.num(C.TOTAL_FLUORO_TIME, TIME.text(totals.fluoro_time), C.U_S),
            content.num(C.ACQUISITION_DAP_TOTAL, DAP.text(totals.acq_dap), C.U_GY_M2),
            content.num(C.ACQUISITION_RP_TOTAL, KERMA.text(totals.acq_kar), C.U_GY),
            content.num(C.TOTAL_ACQUISITION_TIME, TIME.text(totals.acq_time), C.U_S),
        ]
    items += [  # TID 10007
        content.num(C.DAP_TOTAL, DAP.text(totals.dap), C.U_GY_M2),
        content.num(C.RP_TOTAL, KERMA.text(totals.kar), C.U_GY),
        content.num(C.TOTAL_FRAMES, str(totals.frames if fluoroscopy else totals.events), C.U_ONE),
        content.code(C.REFERENCE_POINT_DEFINITION, C.IRP_15CM if fluoroscopy else C.IN_DETECTOR_PLANE),
    ]
    return content.container(C.ACCUMULATED_XRAY_DOSE, items)


def projection_rdsr(study: Study, events: list[XrayEvent]) -> bytes:
    """The RDSR (TID 10001) of a DX, RF or XA study."""
    room = study.room
    fluoroscopy = study.exam.modality in ("RF", "XA")
    content = Content(study.codec, room.legacy_codes)
    spec = study.exam.fluoro
    intent = C.THERAPEUTIC_INTENT if spec is not None and spec.therapeutic else C.DIAGNOSTIC_INTENT
    items = [
        procedure_reported(content, C.PROJECTION_XRAY, intent),
        content.code(
            C.ACQUISITION_DEVICE_TYPE,
            C.FLUORO_GUIDED_SYSTEM if fluoroscopy else C.INTEGRATED_SYSTEM,
            HAS_CONCEPT_MOD,
        ),
        *device_observer(content, room),
        scope_of_accumulation(content, study.study_uid),
        *(_accumulated(content, totals, study, fluoroscopy) for totals in plane_totals(events)),
        *(_event_item(content, event, study) for event in events),
        source_of_dose_information(content),
    ]
    last = events[-1]
    end = last.started + timedelta(seconds=TIME.value(last.duration) + 60)
    return rdsr_file(
        study,
        items,
        template="10001",
        sop_uid=study.uid("sr", 1),
        series_uid=study.uid("sr-series"),
        instance_number=1,
        content_time=end,
    )
