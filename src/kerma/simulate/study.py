"""Planning: which exam, room, patient and date each simulated study gets, and its identifiers.

Everything is drawn from random generators seeded by the simulation seed (and the study's index), and
dates fall in a fixed two-year window, so a seed always gives the same studies, whatever day it runs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydicom.uid import generate_uid

from kerma.simulate.encoding import CODECS
from kerma.simulate.patients import Patient, age_on, new_patient, size_at
from kerma.simulate.protocols import Exam, exams_for, local_names, stable_fraction
from kerma.simulate.rooms import NORDSTADT, RIVERSIDE, SAINTE_CLAIRE, SAN_ROCCO, UID_ROOT, Room, rooms_for

WINDOW_START = date(2024, 1, 1)
WINDOW_DAYS = (date(2025, 12, 31) - WINDOW_START).days + 1
"""Study dates fall between 2024-01-01 and 2025-12-31."""

MODALITY_SHARE = {"CT": 0.32, "DX": 0.40, "MG": 0.12, "RF": 0.06, "XA": 0.10}
REPEAT_PATIENT = 0.2
"""Chance that a study is of a patient the hospital has seen before (when one fits the exam)."""
OUTLIER_RATE = 0.01
WITH_IMAGES_RATE = 0.1
"""Share of RDSR studies (CT, DX, MG) whose image objects are sent as well."""
CT_VARIANTS = (("resent", 0.03), ("superset", 0.04), ("split", 0.01))
"""How CT RDSRs of a study arrive besides once: the same object twice, an earlier cumulative report
that a later one supersedes, or two reports with disjoint events (one per performed procedure step)."""
_EMERGENCY = ("Notaufnahme", "Pronto Soccorso", "Emergency")
_ACCESSION_PREFIX = {NORDSTADT: "NS", SAINTE_CLAIRE: "SC", SAN_ROCCO: "SR", RIVERSIDE: "RG"}


def make_uid(seed: int, index: int, *parts: object) -> str:
    """A UID that depends only on the seed, the study index and ``parts`` (what it identifies)."""
    sources = ["kerma-simulate", str(seed), str(index), *map(str, parts)]
    return generate_uid(prefix=UID_ROOT, entropy_srcs=sources)


@dataclass(frozen=True)
class Study:
    """One planned study and what the room writes about it."""

    index: int
    seed: int
    exam: Exam
    room: Room
    patient: Patient
    start: datetime
    age: float
    child: bool
    height_m: float | None
    """Height as written (None when the room does not send it)."""
    weight_kg: float | None
    """Weight as written."""
    true_weight_kg: float
    outlier: bool
    images_only: bool
    with_images: bool
    variant: str
    """'single', 'resent', 'superset' or 'split' (how the RDSRs arrive)."""
    local_name: str
    protocol_name: str
    accession: str

    @property
    def codec(self) -> str:
        """Python codec of the room's character set."""
        return CODECS[self.room.charset]

    @property
    def study_uid(self) -> str:
        """Study Instance UID."""
        return self.uid("study")

    def uid(self, *parts: object) -> str:
        """A UID of this study (series, instance, event ...), deterministic from the seed."""
        return make_uid(self.seed, self.index, *parts)

    def rng(self, purpose: str) -> random.Random:
        """A random generator for one purpose of this study, independent of the other studies."""
        return random.Random(f"kerma-simulate:{self.seed}:{self.index}:{purpose}")

    def dose_factor(self, rng: random.Random) -> float:
        """Multiplier of the exam median: room habit, study-to-study spread and rare outliers."""
        room_exam = math.exp((stable_fraction(self.room.key, self.exam.key) - 0.5) * 0.3)
        factor = self.room.dose_factor * room_exam * rng.lognormvariate(0.0, self.exam.sigma)
        if self.outlier:
            factor *= rng.uniform(3.0, 6.0)
        return factor


def _weighted(rng: random.Random, items: dict[str, float]) -> str:
    return rng.choices(list(items), weights=list(items.values()))[0]


def _study_start(rng: random.Random, room: Room) -> datetime:
    emergency = room.department in _EMERGENCY
    while True:
        day = WINDOW_START + timedelta(days=rng.randrange(WINDOW_DAYS))
        if day.weekday() < 5 or (emergency and rng.random() < 0.8) or rng.random() < 0.05:
            break
    hours = rng.uniform(0.0, 24.0) if emergency else rng.uniform(7.0, 17.5)
    return datetime(day.year, day.month, day.day) + timedelta(seconds=round(hours * 3600))


class Planner:
    """Draws the studies of one simulation in order."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(f"kerma-simulate:{seed}:plan")
        self.patients: dict[str, list[Patient]] = {}
        self.accession_counter = 0

    def _patient(self, exam: Exam, room: Room, start: datetime) -> Patient:
        rng = self.rng
        pool = self.patients.setdefault(room.institution, [])
        child = rng.random() < exam.child_share
        if pool and not child and rng.random() < REPEAT_PATIENT:
            low, high, _mode = exam.adult_ages
            for _ in range(4):
                candidate = rng.choice(pool)
                if low <= age_on(candidate, start.date()) <= high and _sex_fits(exam, candidate.sex):
                    return candidate
        sex = "F" if rng.random() < exam.female_share else "M"
        if child:
            age = rng.uniform(*exam.child_ages)
        else:
            low, high, mode = exam.adult_ages
            age = rng.triangular(low, high, mode)
        patient = new_patient(rng, room.institution, len(pool) + 1, sex, age, start.date())
        pool.append(patient)
        return patient

    def plan(self, index: int) -> Study:
        """The study with this index (call with 0, 1, 2, ... in order)."""
        rng = self.rng
        modality = _weighted(rng, MODALITY_SHARE)
        exam = _weighted_exam(rng, exams_for(modality))
        room = rng.choice(rooms_for(modality, exam.key))
        start = _study_start(rng, room)
        patient = self._patient(exam, room, start)
        age = age_on(patient, start.date())
        child = age < 18.0
        height, weight = size_at(patient, age)
        images_only = rng.random() < room.images_only_rate
        with_images = (not images_only) and modality in ("CT", "DX", "MG") and rng.random() < WITH_IMAGES_RATE
        variant = "single"
        if modality == "CT" and not images_only:
            roll = rng.random()
            for name, share in CT_VARIANTS:
                if roll < share:
                    variant = name
                    break
                roll -= share
        outlier = rng.random() < OUTLIER_RATE
        written_height = None if rng.random() < room.height_missing else height
        written_weight = None if rng.random() < room.weight_missing else weight
        name_rng = random.Random(f"kerma-simulate:{self.seed}:{index}:names")
        local_name, protocol_name = local_names(exam, room, child, name_rng)
        self.accession_counter += 1
        accession = f"{_ACCESSION_PREFIX[room.institution]}{start:%y}{self.accession_counter:07d}"
        return Study(
            index=index,
            seed=self.seed,
            exam=exam,
            room=room,
            patient=patient,
            start=start,
            age=age,
            child=child,
            height_m=written_height,
            weight_kg=written_weight,
            true_weight_kg=weight,
            outlier=outlier,
            images_only=images_only,
            with_images=with_images,
            variant=variant,
            local_name=local_name,
            protocol_name=protocol_name,
            accession=accession,
        )


def _sex_fits(exam: Exam, sex: str) -> bool:
    if exam.female_share >= 0.97:
        return sex == "F"
    return exam.female_share > 0.03 or sex == "M"


def _weighted_exam(rng: random.Random, exams: tuple[Exam, ...]) -> Exam:
    return rng.choices(exams, weights=[exam.weight for exam in exams])[0]


def plan_studies(seed: int, count: int) -> Iterator[Study]:
    """The ``count`` studies of a simulation, in order."""
    planner = Planner(seed)
    for index in range(count):
        yield planner.plan(index)
