"""Patient bands: adults, and paediatric bands by age or by weight (as DRL tables define them)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, literal, or_
from sqlalchemy.sql.expression import ColumnElement

from kerma.store.schema.core import studies

ADULT_FROM_YEARS = 18.0
KINDS = ("adult", "age", "weight")


@dataclass(frozen=True, slots=True)
class Band:
    """[min, max) in years (age) or kg (weight); 'adult' is age >= ``min`` (18 unless set) or unknown."""

    kind: str
    min: float | None
    max: float | None
    label: str

    def condition(
        self, age: ColumnElement[Any] | None = None, weight: ColumnElement[Any] | None = None
    ) -> ColumnElement[bool]:
        """SQL condition on patient age and weight columns (default: the studies table's)."""
        age = studies.c.patient_age_years if age is None else age
        weight = studies.c.patient_weight_kg if weight is None else weight
        if self.kind == "adult":
            # an unknown age counts as adult: paediatric exams are the ones a DRL band must not mix in
            return or_(age.is_(None), age >= (self.min if self.min is not None else ADULT_FROM_YEARS))
        col = age if self.kind == "age" else weight
        conds: list[ColumnElement[bool]] = [col.is_not(None)]
        if self.min is not None:
            conds.append(col >= self.min)
        if self.max is not None:
            conds.append(col < self.max)
        if self.kind == "weight":
            # weight bands are paediatric: an adult of 50 kg is not an adolescent
            conds.append(or_(age.is_(None), age < ADULT_FROM_YEARS))
        return and_(*conds)


ADULT = Band("adult", None, None, "adult")

# German paediatric bands (BfS): weight for body exams, age for head exams.
DE_AGE_BANDS = (
    Band("age", 0.0, 0.25, "0-<3 months"),
    Band("age", 0.25, 1.0, "3-<12 months"),
    Band("age", 1.0, 5.0, "1-<5 y"),
    Band("age", 5.0, 10.0, "5-<10 y"),
    Band("age", 10.0, 15.0, "10-<15 y"),
)
DE_WEIGHT_BANDS = (
    Band("weight", None, 3.0, "<3 kg"),
    Band("weight", 3.0, 5.0, "3-<5 kg"),
    Band("weight", 5.0, 10.0, "5-<10 kg"),
    Band("weight", 10.0, 19.0, "10-<19 kg"),
    Band("weight", 19.0, 32.0, "19-<32 kg"),
    Band("weight", 32.0, 56.0, "32-<56 kg"),
)
SCHEMES: dict[str, tuple[Band, ...]] = {
    "none": (),
    "adult": (ADULT,),
    "de-age": (*DE_AGE_BANDS, ADULT),
    "de-weight": (*DE_WEIGHT_BANDS, ADULT),
}

_NUM = r"(\d+(?:[.,]\d+)?)"
_UNIT = r"\s*(months?|mo|m|years?|y|yrs?|a|j|kg)?"


def _num(s: str) -> float:
    return float(s.replace(",", "."))


def _scale(unit: str | None, default: str | None) -> tuple[str, float]:
    u = (unit or default or "").lower()
    if u.startswith("kg"):
        return "weight", 1.0
    if u.startswith("mo") or u == "m":
        return "age", 1 / 12
    return "age", 1.0


def parse_band(text: str | None) -> Band:
    """A band as DRL tables write it: 'adult', '0-<3 months', '3 months-<1 y', '>=6 y', '<5 kg', '6-18 y'.

    Raises ValueError for text that is none of these.
    """
    raw = (text or "").strip()
    low = raw.lower()
    if not low or low.startswith("adult") or low in ("erwachsene", "adulte", "adulto", "all"):
        return Band("adult", None, None, "adult")
    m = re.fullmatch(rf"(?:>=|≥|>)\s*{_NUM}{_UNIT}", low)
    if m:
        kind, f = _scale(m.group(2), None)
        return Band(kind, _num(m.group(1)) * f, None, raw)
    m = re.fullmatch(rf"(?:<|≤|<=)\s*{_NUM}{_UNIT}", low)
    if m:
        kind, f = _scale(m.group(2), None)
        return Band(kind, None, _num(m.group(1)) * f, raw)
    m = re.fullmatch(rf"{_NUM}{_UNIT}\s*(?:-|–|to)\s*<?\s*{_NUM}{_UNIT}", low)
    if m:
        kind, f_hi = _scale(m.group(4), None)
        _, f_lo = _scale(m.group(2), m.group(4))
        return Band(kind, _num(m.group(1)) * f_lo, _num(m.group(3)) * f_hi, raw)
    raise ValueError(f"cannot read the patient band {raw!r} (use e.g. 'adult', '1-<5 y', '5-<15 kg')")


def band_case(
    bands_by_code: Mapping[str, Sequence[Band]],
    exam_code: ColumnElement[Any],
    age: ColumnElement[Any] | None = None,
    weight: ColumnElement[Any] | None = None,
) -> ColumnElement[Any]:
    """SQL CASE giving each study its band label, using the bands defined for its exam code."""
    whens = []
    for code, bands in bands_by_code.items():
        for band in bands:
            whens.append((and_(exam_code == code, band.condition(age, weight)), literal(band.label)))
    if not whens:
        return literal("all")
    return case(*whens, else_=None)


def scheme_case(bands: Sequence[Band]) -> ColumnElement[Any]:
    """SQL CASE for one band scheme applied to every study ('all' when the scheme has no bands)."""
    if not bands:
        return literal("all")
    return case(*[(b.condition(), literal(b.label)) for b in bands], else_=None)
