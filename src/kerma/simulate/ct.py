"""CT studies: irradiation events with realistic technique, and their RDSRs (TID 10011).

A study is one or two localizers (no CT Dose container, as scanners write them), bolus tracking for
contrast studies, and one or more spiral or sequenced acquisitions. CTDIvol follows the exam median,
the room, the patient's size (tube current modulation) and a log-normal spread; DLP is CTDIvol times
the scanning length, and the accumulated DLP is the sum of the events' DLPs, exactly as written.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from kerma.simulate import codes as C
from kerma.simulate.codes import Code
from kerma.simulate.protocols import CtSpec, stable_fraction
from kerma.simulate.quantities import CTDI, DLP, decimal
from kerma.simulate.sr import (
    HAS_OBS_CONTEXT,
    Content,
    device_observer,
    procedure_reported,
    rdsr_file,
    scope_of_accumulation,
    source_of_dose_information,
)
from kerma.simulate.study import Study

# CTDIw per mAs at 120 kV (mGy/mAs) of typical 64-slice scanners; scales with about kV^2.5.
_NCTDIW = {"head": 0.17, "body": 0.075}
_NOTIFICATION_MGY = {"head": 80.0, "body": 50.0}
_PITCHES = (0.6, 0.8, 0.9, 0.984, 1.0, 1.2)
_ROTATIONS = (0.5, 0.5, 0.6, 0.8, 1.0)


@dataclass(slots=True)
class CtTechnique:
    """Acquisition parameters of one CT event (TID 10013 CT Acquisition Parameters)."""

    kvp: int
    tube_current_ma: float
    max_tube_current_ma: float
    rotation_s: float | None
    exposure_time_s: float
    length_mm: int
    single_collimation_mm: float
    total_collimation_mm: float
    pitch: float | None


@dataclass(slots=True)
class CtEvent:
    """One CT irradiation event as the scanner reports it."""

    uid: str
    kind: Code
    """CT acquisition type: constant angle (localizer), spiral, sequenced or stationary."""
    protocol: str
    region: Code
    started: datetime
    series_number: int
    technique: CtTechnique
    contrast: bool
    phantom: str
    ctdivol: int | None = None
    """CTDIvol in counts of :data:`~kerma.simulate.quantities.CTDI` (None for localizers)."""
    dlp: int | None = None
    """DLP in counts of :data:`~kerma.simulate.quantities.DLP`."""

    @property
    def ends(self) -> datetime:
        """End of irradiation."""
        return self.started + timedelta(seconds=self.technique.exposure_time_s)


def _size_factor(study: Study, spec: CtSpec) -> float:
    if spec.size_dependent:
        return min(max(math.sqrt(study.true_weight_kg / 75.0), 0.3), 1.8)
    if study.age < 1:
        return 0.45
    if study.age < 5:
        return 0.6
    if study.age < 10:
        return 0.75
    if study.age < 15:
        return 0.9
    return 1.0


class _EventMaker:
    """Technique for one study's events; keeps the clock and the event numbering."""

    def __init__(self, study: Study, spec: CtSpec, rng: random.Random) -> None:
        self.study, self.spec, self.rng = study, spec, rng
        room = study.room
        self.rows_mm = round(room.detector_rows * room.single_collimation_mm, 3)
        self.pitch = _PITCHES[int(stable_fraction(room.key, study.exam.key, "pitch") * len(_PITCHES))]
        if spec.phantom == "head":
            self.pitch = 0.55
        self.rotation = _ROTATIONS[int(stable_fraction(room.key, study.exam.key, "rot") * len(_ROTATIONS))]
        self.kvp = spec.kvp if not study.child else (80 if study.age < 6 else 100)
        self.clock = study.start + timedelta(seconds=rng.randint(60, 300))
        self.contrast = rng.random() < spec.contrast
        self.events: list[CtEvent] = []

    def _event(
        self,
        kind: Code,
        protocol: str,
        technique: CtTechnique,
        ctdivol: int | None = None,
        dlp: int | None = None,
    ) -> None:
        event = CtEvent(
            uid=self.study.uid("ct-event", len(self.events)),
            kind=kind,
            protocol=protocol,
            region=self.spec.region,
            started=self.clock,
            series_number=len(self.events) + 1,
            technique=technique,
            contrast=self.contrast and kind != C.CONSTANT_ANGLE,
            phantom=self.spec.phantom,
            ctdivol=ctdivol,
            dlp=dlp,
        )
        self.events.append(event)
        self.clock = event.ends + timedelta(seconds=self.rng.randint(10, 90))

    def _tube_current(self, ctdivol_mgy: float, kvp: int, rotation: float, pitch: float) -> float:
        per_mas = _NCTDIW[self.spec.phantom] * math.pow(kvp / 120.0, 2.5)
        return max(ctdivol_mgy / per_mas / rotation * pitch, 10.0)

    def localizer(self, length_mm: int) -> None:
        """A localizer radiograph (no CT Dose container)."""
        time_s = round(length_mm / self.rng.choice((100.0, 125.0, 150.0)), 2)
        single = self.study.room.single_collimation_mm
        technique = CtTechnique(
            self.rng.choice((100, 120)),
            float(self.rng.choice((20, 30, 35, 50))),
            0.0,
            None,
            time_s,
            length_mm,
            single,
            single * 2,
            None,
        )
        self._event(C.CONSTANT_ANGLE, self.study.room.localizer_label, technique)

    def tracking(self, ctdivol_mgy: float) -> None:
        """Bolus tracking: repeated low-dose scans at one table position (stationary)."""
        scans = self.rng.randint(6, 16)
        rotation = 0.5
        ctdi = CTDI.count(ctdivol_mgy, "mGy")
        total_collimation = 10.0
        kvp = min(self.kvp, 100)
        technique = CtTechnique(
            kvp,
            round(self._tube_current(ctdivol_mgy / scans, kvp, rotation, 1.0), 0),
            0.0,
            rotation,
            round(scans * rotation, 2),
            int(total_collimation),
            5.0,
            total_collimation,
            None,
        )
        # stationary: DLP = CTDIvol x nominal total collimation
        self._event(
            C.STATIONARY_CT,
            self.study.room.tracker_label,
            technique,
            ctdi,
            round(ctdi * total_collimation / 10),
        )

    def scan(self, ctdivol_mgy: float, length_mm: int, sequenced: bool, protocol: str) -> None:
        """A spiral or sequenced (axial) acquisition; DLP = CTDIvol x scanning length."""
        rng = self.rng
        kvp = self.kvp
        rotation = self.rotation if not sequenced else 1.0
        pitch = 1.0 if sequenced else self.pitch
        if sequenced:
            exposure = math.ceil(length_mm / self.rows_mm) * rotation
        else:
            exposure = (length_mm / (pitch * self.rows_mm) + 1.0) * rotation
        ctdi = CTDI.count(ctdivol_mgy, "mGy")
        mean_ma = self._tube_current(CTDI.value(ctdi), kvp, rotation, pitch)
        technique = CtTechnique(
            kvp,
            round(mean_ma, 0),
            round(mean_ma * rng.uniform(1.2, 1.8), 0),
            rotation,
            round(exposure, 2),
            length_mm,
            self.study.room.single_collimation_mm,
            self.rows_mm,
            pitch,
        )
        self._event(
            C.SEQUENCED if sequenced else C.SPIRAL, protocol, technique, ctdi, round(ctdi * length_mm / 10)
        )


def ct_events(study: Study) -> list[CtEvent]:
    """The irradiation events of a CT study."""
    spec = study.exam.ct
    assert spec is not None
    rng = study.rng("ct")
    maker = _EventMaker(study, spec, rng)
    ctdivol = spec.ctdivol_mgy * study.dose_factor(rng) * _size_factor(study, spec)
    body_scale = min(max(study.patient.height_factor * (study.height_m or 1.70) / 1.70, 0.3), 1.25)
    length = max(int(spec.length_mm * body_scale * rng.lognormvariate(0.0, 0.1)), 40)
    maker.localizer(length + rng.randint(80, 200))
    if study.room.two_localizers and spec.phantom == "body":
        maker.localizer(length + rng.randint(80, 200))
    protocol = study.protocol_name
    if spec.mode == "cardiac":
        maker.scan(3.0 * ctdivol / spec.ctdivol_mgy * rng.lognormvariate(0.0, 0.1), 120, True, "CaScore")
        maker.tracking(rng.uniform(8.0, 25.0))
        maker.scan(ctdivol, length, True, protocol)
        return maker.events
    if maker.contrast and spec.tracking:
        maker.tracking(rng.uniform(8.0, 30.0))
    sequenced = spec.mode == "head" and study.room.sequenced_head
    maker.scan(ctdivol, length, sequenced, protocol)
    if maker.contrast and rng.random() < spec.extra_phase:
        second = max(int(length * rng.uniform(0.6, 1.0)), 40)
        maker.scan(ctdivol * rng.lognormvariate(0.0, 0.08), second, False, protocol)
    return maker.events


def _event_item(content: Content, event: CtEvent, room_checks: bool) -> bytes:
    t = event.technique
    source = [
        content.text(C.SOURCE_ID, "A"),
        content.num(C.KVP, str(t.kvp), C.U_KV),
    ]
    if t.max_tube_current_ma:
        source.append(content.num(C.MAX_TUBE_CURRENT, decimal(t.max_tube_current_ma, 0), C.U_MA))
    source.append(content.num(C.TUBE_CURRENT, decimal(t.tube_current_ma, 0), C.U_MA))
    if t.rotation_s is not None:
        source.append(content.num(C.EXPOSURE_TIME_PER_ROTATION, decimal(t.rotation_s, 2), C.U_S))
    parameters = [
        content.num(C.EXPOSURE_TIME, decimal(t.exposure_time_s, 2), C.U_S),
        content.num(C.SCANNING_LENGTH, str(t.length_mm), C.U_MM),
        content.num(C.SINGLE_COLLIMATION, decimal(t.single_collimation_mm, 3), C.U_MM),
        content.num(C.TOTAL_COLLIMATION, decimal(t.total_collimation_mm, 3), C.U_MM),
    ]
    if t.pitch is not None:
        parameters.append(content.num(C.PITCH_FACTOR, decimal(t.pitch, 3), C.U_RATIO))
    parameters += [
        content.num(C.NUMBER_OF_SOURCES, "1", C.U_SOURCES),
        content.container(C.CT_SOURCE_PARAMETERS, source),
    ]
    items = [
        content.text(C.ACQUISITION_PROTOCOL, event.protocol),
        content.code(C.TARGET_REGION, event.region),
        content.code(C.CT_ACQUISITION_TYPE, event.kind),
        content.code(C.PROCEDURE_CONTEXT, C.WITH_CONTRAST if event.contrast else C.WITHOUT_CONTRAST),
        content.uidref(C.IRRADIATION_EVENT_UID, event.uid),
        content.datetime(C.DATETIME_STARTED, event.started),
        content.container(C.CT_ACQUISITION_PARAMETERS, parameters),
    ]
    if event.ctdivol is not None and event.dlp is not None:
        dose = [
            content.num(C.MEAN_CTDIVOL, CTDI.text(event.ctdivol), C.U_MGY),
            content.code(C.CTDIW_PHANTOM_TYPE, C.HEAD_PHANTOM if event.phantom == "head" else C.BODY_PHANTOM),
            content.num(C.DLP, DLP.text(event.dlp), C.U_MGY_CM),
        ]
        if room_checks:
            dose += _dose_check(content, event)
        items.append(content.container(C.CT_DOSE, dose))
    return content.container(C.CT_ACQUISITION, items)


def _dose_check(content: Content, event: CtEvent) -> list[bytes]:
    """TID 10015: a CTDIvol alert of 1000 mGy and a CTDIvol notification value per phantom."""
    notification = _NOTIFICATION_MGY[event.phantom]
    alert = content.container(
        C.DOSE_CHECK_ALERT_DETAILS,
        [
            content.code(C.DLP_ALERT_CONFIGURED, C.NO),
            content.code(C.CTDIVOL_ALERT_CONFIGURED, C.YES),
            content.num(C.CTDIVOL_ALERT_VALUE, "1000", C.U_MGY),
        ],
    )
    notes = [
        content.code(C.DLP_NOTIFICATION_CONFIGURED, C.NO),
        content.code(C.CTDIVOL_NOTIFICATION_CONFIGURED, C.YES),
        content.num(C.CTDIVOL_NOTIFICATION_VALUE, decimal(notification, 0), C.U_MGY),
    ]
    assert event.ctdivol is not None
    if CTDI.value(event.ctdivol) > notification:
        notes += [
            content.num(C.dcm("113914", "CTDIvol Forward Estimate"), CTDI.text(event.ctdivol), C.U_MGY),
            content.text(C.dcm("113907", "Reason for Proceeding"), "Clinical indication"),
        ]
    return [alert, content.container(C.DOSE_CHECK_NOTIFICATION_DETAILS, notes)]


def ct_rdsr(
    study: Study,
    events: list[CtEvent],
    *,
    sop_uid: str,
    instance_number: int,
    pps_uid: str | None = None,
) -> bytes:
    """An RDSR (TID 10011) reporting ``events``; accumulated values are the sums over them."""
    room = study.room
    content = Content(study.codec, room.legacy_codes)
    total_dlp = sum(event.dlp or 0 for event in events)
    accumulated = content.container(
        C.CT_ACCUMULATED_DOSE_DATA,
        [
            content.num(C.TOTAL_NUMBER_OF_EVENTS, str(len(events)), C.U_EVENTS),
            content.num(C.CT_DLP_TOTAL, DLP.text(total_dlp), C.U_MGY_CM),
        ],
    )
    end = max(event.ends for event in events)
    items = [
        procedure_reported(content, C.COMPUTED_TOMOGRAPHY, C.DIAGNOSTIC_INTENT),
        *device_observer(content, room),
        content.datetime(C.START_OF_IRRADIATION, events[0].started, HAS_OBS_CONTEXT),
        content.datetime(C.END_OF_IRRADIATION, end, HAS_OBS_CONTEXT),
        scope_of_accumulation(content, study.study_uid, pps_uid),
        accumulated,
        *(_event_item(content, event, room.dose_check) for event in events),
        source_of_dose_information(content),
    ]
    return rdsr_file(
        study,
        items,
        template="10011",
        sop_uid=sop_uid,
        series_uid=study.uid("sr-series"),
        instance_number=instance_number,
        content_time=end + timedelta(seconds=20 + 7 * instance_number),
    )


def ct_reports(study: Study, events: list[CtEvent]) -> list[tuple[str, bytes]]:
    """The RDSR file(s) of a study, by the study's arrival variant (see ``CT_VARIANTS``)."""
    if study.variant == "split" and len(events) >= 2:
        cut = max(1, len(events) // 2)
        return [
            (
                f"SR_{n}.dcm",
                ct_rdsr(
                    study, part, sop_uid=study.uid("sr", n), instance_number=n, pps_uid=study.uid("pps", n)
                ),
            )
            for n, part in ((1, events[:cut]), (2, events[cut:]))
        ]
    full = ct_rdsr(study, events, sop_uid=study.uid("sr", 1), instance_number=1)
    if study.variant == "resent":
        return [("SR_1.dcm", full), ("SR_1_resent.dcm", full)]
    if study.variant == "superset":
        # the scanner reported after the first acquisition with dose, then again at the end
        first_dose = next((i for i, event in enumerate(events) if event.dlp is not None), 0)
        cut = min(first_dose + 1, len(events) - 1)
        partial = ct_rdsr(study, events[:cut], sop_uid=study.uid("sr", 0), instance_number=1)
        full = ct_rdsr(study, events, sop_uid=study.uid("sr", 1), instance_number=2)
        return [("SR_0.dcm", partial), ("SR_1.dcm", full)]
    return [("SR_1.dcm", full)]
