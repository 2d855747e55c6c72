"""Fake patients: names, identifiers, sex, birth date and a plausible size for their age.

Names come from small per-language lists (with the diacritics real names have); identifiers follow
each hospital's format. Height and weight follow median growth values by age and sex, times a
personal factor, so a patient who comes back is about the same size.
"""

from __future__ import annotations

import random
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

from kerma.simulate.rooms import NORDSTADT, RIVERSIDE, SAINTE_CLAIRE, SAN_ROCCO

_FAMILY = {
    "de": (
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weiß",
        "Schäfer",
        "Köhler",
        "Groß",
        "Jäger",
        "Hoffmann",
        "Becker",
        "Krüger",
        "Wagner",
        "Bauer",
        "Zimmermann",
        "Böhm",
        "Hübner",
        "Lehmann",
    ),
    "fr": (
        "Lefèvre",
        "Dubois",
        "Girard",
        "Fontaine",
        "Bérenger",
        "Lemaître",
        "Mercier",
        "Moreau",
        "Faure",
        "Rousseau",
        "Gauthier",
        "Chevalier",
        "Noël",
        "Lécuyer",
        "Perrin",
        "Brûlé",
    ),
    "it": (
        "Rossi",
        "Russo",
        "Ferrari",
        "Esposito",
        "Bianchi",
        "Romano",
        "Colombo",
        "Ricci",
        "Marino",
        "Greco",
        "De Luca",
        "Mancini",
        "D'Angelo",
        "Conti",
        "Fabbri",
        "Niccolò",
    ),
    "en": (
        "Smith",
        "Jones",
        "Taylor",
        "Brown",
        "Williams",
        "Wilson",
        "Johnson",
        "Davies",
        "Robinson",
        "O'Brien",
        "Walsh",
        "Patel",
        "Evans",
        "Hughes",
        "Murphy",
        "Clarke",
    ),
}
_GIVEN = {
    ("de", "M"): ("Jürgen", "Jörg", "Sören", "Michael", "Günther", "Lukas", "Björn", "Klaus", "Ömer"),
    ("de", "F"): ("Anna", "Käthe", "Lena", "Ute", "Jülide", "Sabine", "Hannelore", "Mia", "Bärbel"),
    ("fr", "M"): ("Jérôme", "Benoît", "François", "Gaël", "Théo", "Hervé", "Noël", "Loïc"),
    ("fr", "F"): ("Hélène", "Françoise", "Chloé", "Léa", "Amélie", "Anaïs", "Céline", "Maëlle"),
    ("it", "M"): ("Marco", "Andrea", "Matteo", "Niccolò", "Luca", "Giuseppe", "Gianluca", "Nicolò"),
    ("it", "F"): ("Giulia", "Francesca", "Lucia", "Chiara", "Maria", "Alessia", "Federica", "Ilaria"),
    ("en", "M"): ("Oliver", "Jack", "George", "Harry", "James", "Thomas", "Noah", "Liam"),
    ("en", "F"): ("Amelia", "Isla", "Emily", "Olivia", "Sophie", "Chloë", "Grace", "Zoë"),
}
_LANGUAGE = {NORDSTADT: "de", SAINTE_CLAIRE: "fr", SAN_ROCCO: "it", RIVERSIDE: "en"}
_ID_FORMAT = {NORDSTADT: "40{:08d}", SAINTE_CLAIRE: "IPP{:09d}", SAN_ROCCO: "SR{:07d}", RIVERSIDE: "M{:07d}"}

# Median height (cm) and weight (kg) by age (years) and sex: growth charts for children, population
# surveys for adults.
_AGES = (0, 0.5, 1, 2, 3, 5, 8, 10, 12, 14, 16, 18, 30, 50, 70, 90)
_HEIGHT = {
    "M": (50, 67, 76, 87, 95, 110, 128, 138, 149, 164, 174, 177, 178, 177, 175, 172),
    "F": (49, 65, 74, 86, 94, 109, 128, 138, 151, 160, 163, 164, 165, 164, 161, 157),
}
_WEIGHT = {
    "M": (3.4, 7.9, 9.6, 12.2, 14.3, 18.3, 25.6, 31.2, 40, 51, 61, 69, 80, 85, 82, 74),
    "F": (3.2, 7.3, 8.9, 11.5, 13.9, 17.9, 25.6, 32.6, 41.5, 49.4, 53.5, 57, 65, 71, 70, 63),
}


@dataclass(frozen=True)
class Patient:
    """A fake patient of one hospital."""

    patient_id: str
    family_name: str
    given_name: str
    sex: str
    birth_date: date
    institution: str
    height_factor: float
    weight_factor: float

    @property
    def name(self) -> str:
        """DICOM person name, Family^Given."""
        return f"{self.family_name}^{self.given_name}"


def new_patient(
    rng: random.Random, institution: str, number: int, sex: str, age_years: float, on: date
) -> Patient:
    """A new patient, ``age_years`` old on ``on``; ``number`` makes the identifier unique."""
    lang = _LANGUAGE[institution]
    if rng.random() < 0.1:  # every hospital sees patients from elsewhere
        lang = rng.choice(("de", "fr", "it", "en"))
    # 7919 is coprime with 10**7, so the scrambled number is unique per hospital
    patient_id = _ID_FORMAT[institution].format((number * 7919 + 1234) % 10**7)
    birth = on - timedelta(days=round(age_years * 365.25))
    return Patient(
        patient_id=patient_id,
        family_name=rng.choice(_FAMILY[lang]),
        given_name=rng.choice(_GIVEN[(lang, sex)]),
        sex=sex,
        birth_date=birth,
        institution=institution,
        height_factor=rng.gauss(1.0, 0.04),
        weight_factor=rng.lognormvariate(0.0, 0.18),
    )


def age_on(patient: Patient, day: date) -> float:
    """Age in years on a given day."""
    return (day - patient.birth_date).days / 365.25


def _interpolate(table: tuple[float, ...], age: float) -> float:
    i = min(max(bisect_right(_AGES, age) - 1, 0), len(_AGES) - 2)
    a0, a1 = _AGES[i], _AGES[i + 1]
    t = min(max((age - a0) / (a1 - a0), 0.0), 1.0)
    return table[i] + t * (table[i + 1] - table[i])


def size_at(patient: Patient, age: float) -> tuple[float, float]:
    """(height in m, weight in kg) of the patient at ``age``."""
    height = _interpolate(_HEIGHT[patient.sex], age) * patient.height_factor / 100.0
    weight = _interpolate(_WEIGHT[patient.sex], age) * patient.weight_factor
    return round(height, 2), round(weight, 1)


def age_string(age: float) -> str:
    """DICOM Age String: days under a month, months under two years, else years."""
    if age < 1 / 12:
        return f"{max(int(age * 365.25), 0):03d}D"
    if age < 2:
        return f"{int(age * 12):03d}M"
    return f"{int(age):03d}Y"


_SPELLED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def fit_text(text: str, codec: str) -> str:
    """``text`` as a device with this codec writes it: ASCII-only devices drop the diacritics."""
    try:
        text.encode(codec)
        return text
    except UnicodeEncodeError:
        plain = unicodedata.normalize("NFKD", text.translate(_SPELLED))
        return plain.encode(codec, "ignore").decode(codec)
