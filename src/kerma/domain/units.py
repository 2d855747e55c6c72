"""Canonical units and the only place where a conversion factor is written.

Every stored dose value has one canonical unit, named in its column (``dap_gy_cm2``, ``dlp_mgy_cm``...).
Parsers hand the value *and the unit the object declared* to :func:`to_canonical`; a unit that is not
known for the quantity raises :class:`UnitError` instead of being guessed.
"""

from __future__ import annotations

from enum import Enum


class UnitError(ValueError):
    """A value came with a unit that cannot be converted to the quantity's canonical unit."""


class Quantity(Enum):
    """Physical quantities Kerma stores, each with one canonical unit."""

    DAP = "gy_cm2"
    """Air kerma-area product (DAP, P_KA), canonical Gy·cm²."""
    AIR_KERMA = "mgy"
    """Air kerma / absorbed dose (Ka,r, CTDIvol, AGD, entrance dose, SSDE), canonical mGy."""
    DLP = "mgy_cm"
    """Dose-length product, canonical mGy·cm."""
    TIME = "s"
    """Time, canonical seconds."""
    LENGTH = "mm"
    """Length, canonical millimetres."""
    AREA = "cm2"
    """Area (collimated field), canonical cm²."""
    ACTIVITY = "mbq"
    """Activity, canonical MBq."""
    EFFECTIVE_DOSE = "msv"
    """Effective dose, canonical mSv."""
    VOLTAGE = "kv"
    """Tube voltage, canonical kV."""
    CURRENT = "ma"
    """Tube current, canonical mA."""
    CHARGE = "mas"
    """Tube current-time product, canonical mAs."""
    ANGLE = "deg"
    """Angle, canonical degrees."""
    MASS = "kg"
    """Mass (patient weight), canonical kg."""
    RATE = "per_s"
    """Pulse or frame rate, canonical per second."""
    COUNT = "1"
    """Dimensionless count or ratio."""
    AGE = "a"
    """Age (RDSR Subject Age), canonical years."""


# Spellings vendors actually write, mapped to one normal form. The corpus has `Gym2`, `mGycm`, `uAs`.
_ALIASES: dict[str, str] = {
    "gym2": "gy.m2",
    "gy*m2": "gy.m2",
    "gy·m²": "gy.m2",
    "gym^2": "gy.m2",
    "gy.m^2": "gy.m2",
    "gycm2": "gy.cm2",
    "gy*cm2": "gy.cm2",
    "gy.cm^2": "gy.cm2",
    "gy·cm²": "gy.cm2",
    "gycm^2": "gy.cm2",
    "dgycm2": "dgy.cm2",
    "dgy*cm2": "dgy.cm2",
    "dgy·cm²": "dgy.cm2",
    "cgycm2": "cgy.cm2",
    "cgy*cm2": "cgy.cm2",
    "cgy·cm²": "cgy.cm2",
    "mgycm2": "mgy.cm2",
    "mgy*cm2": "mgy.cm2",
    "mgy·cm²": "mgy.cm2",
    "ugym2": "ugy.m2",
    "ugy*m2": "ugy.m2",
    "µgy.m2": "ugy.m2",
    "µgym2": "ugy.m2",
    "µgy·m²": "ugy.m2",
    "mgycm": "mgy.cm",
    "mgy*cm": "mgy.cm",
    "mgy-cm": "mgy.cm",
    "mgy·cm": "mgy.cm",
    "gycm": "gy.cm",
    "gy*cm": "gy.cm",
    "gy·cm": "gy.cm",
    "uas": "ua.s",
    "µas": "ua.s",
    "µa.s": "ua.s",
    "mas": "ma.s",
    "µgy": "ugy",
    "µa": "ua",
    "µs": "us",
    "{pulse}/s": "/s",
    "pulse/s": "/s",
    "{pulses}/s": "/s",
    "{frames}/s": "/s",
    "frames/s": "/s",
    "1/s": "/s",
    "hz": "/s",
    "{events}": "1",
    "{ratio}": "1",
    "{x-ray sources}": "1",
    "x-ray sources": "1",
    # normalise_unit drops spaces before the look-up, so spellings with spaces need these forms too.
    "{x-raysources}": "1",
    "x-raysources": "1",
    "nounits": "1",
    "{pulses}": "1",
    "{frames}": "1",
    "{images}": "1",
    "ratio": "1",
    "no units": "1",
    "": "1",
    "min": "min",
    "sec": "s",
    "mci": "mci",
    "°": "deg",
    "degrees": "deg",
}

# Factor from each unit (normal form) to the canonical unit of its quantity.
_FACTORS: dict[Quantity, dict[str, float]] = {
    Quantity.DAP: {
        "gy.m2": 1e4,
        "dgy.m2": 1e3,
        "cgy.m2": 1e2,
        "mgy.m2": 10.0,
        "ugy.m2": 1e-2,
        "gy.cm2": 1.0,
        "dgy.cm2": 0.1,
        "cgy.cm2": 0.01,
        "mgy.cm2": 1e-3,
        "ugy.cm2": 1e-6,
    },
    Quantity.AIR_KERMA: {"gy": 1e3, "dgy": 100.0, "cgy": 10.0, "mgy": 1.0, "ugy": 1e-3},
    Quantity.DLP: {"gy.cm": 1e3, "mgy.cm": 1.0, "mgy.mm": 0.1, "gy.m": 1e5, "mgy.m": 100.0, "dgy.cm": 100.0},
    Quantity.TIME: {"s": 1.0, "ms": 1e-3, "us": 1e-6, "min": 60.0, "h": 3600.0},
    Quantity.LENGTH: {"mm": 1.0, "cm": 10.0, "m": 1e3, "um": 1e-3},
    Quantity.AREA: {"cm2": 1.0, "mm2": 0.01, "m2": 1e4},
    Quantity.ACTIVITY: {"mbq": 1.0, "kbq": 1e-3, "bq": 1e-6, "gbq": 1e3, "mci": 37.0, "uci": 0.037},
    Quantity.EFFECTIVE_DOSE: {"msv": 1.0, "sv": 1e3, "usv": 1e-3},
    Quantity.VOLTAGE: {"kv": 1.0, "v": 1e-3},
    Quantity.CURRENT: {"ma": 1.0, "ua": 1e-3, "a": 1e3},
    Quantity.CHARGE: {"ma.s": 1.0, "ua.s": 1e-3, "a.s": 1e3},
    Quantity.ANGLE: {"deg": 1.0},
    Quantity.MASS: {"kg": 1.0, "g": 1e-3},
    Quantity.RATE: {"/s": 1.0},
    Quantity.COUNT: {"1": 1.0},
    Quantity.AGE: {"a": 1.0, "mo": 1 / 12, "wk": 7 / 365.25, "d": 1 / 365.25},
}


def normalise_unit(unit: str | None) -> str:
    """Return the normal form of a unit string as written by a vendor (case, aliases, UCUM braces)."""
    text = (unit or "").strip().lower().replace(" ", "")
    return _ALIASES.get(text, text)


def factor(unit: str | None, quantity: Quantity) -> float:
    """Multiplier that turns a value in ``unit`` into ``quantity``'s canonical unit.

    Raises :class:`UnitError` when the unit is unknown for that quantity.
    """
    norm = normalise_unit(unit)
    try:
        return _FACTORS[quantity][norm]
    except KeyError:
        raise UnitError(
            f"unit {unit!r} cannot be converted to {quantity.value} ({quantity.name.lower()})"
        ) from None


def clean(value: float) -> float:
    """Drop binary floating-point noise (0.0327999999999 -> 0.0328): 12 significant digits are kept,
    far beyond any dosimeter's precision."""
    return float(f"{value:.12g}")


def to_canonical(value: float, unit: str | None, quantity: Quantity) -> float:
    """Convert ``value`` given in ``unit`` to the canonical unit of ``quantity``."""
    return clean(float(value) * factor(unit, quantity))


# Named conversions for the fixed units of DICOM header attributes (PS3.3 defines their units).
DGY_CM2_TO_GY_CM2 = _FACTORS[Quantity.DAP]["dgy.cm2"]
"""(0018,115E) Image and Fluoroscopy Area Dose Product is in dGy·cm²."""
DGY_TO_MGY = _FACTORS[Quantity.AIR_KERMA]["dgy"]
"""(0040,0302) Entrance Dose and (0040,0316) Organ Dose are in dGy."""
UAS_TO_MAS = _FACTORS[Quantity.CHARGE]["ua.s"]
"""(0018,1153) Exposure in µAs."""
UA_TO_MA = _FACTORS[Quantity.CURRENT]["ua"]
"""(0018,8151) X-Ray Tube Current in µA."""
US_TO_MS = 1e-3
"""(0018,8150) Exposure Time in µS, to milliseconds."""
MS_TO_S = _FACTORS[Quantity.TIME]["ms"]
"""Milliseconds to seconds."""
GY_M2_TO_GY_CM2 = _FACTORS[Quantity.DAP]["gy.m2"]
"""RDSR DAP (Gy·m²) to Gy·cm²."""
CGY_CM2_TO_GY_CM2 = _FACTORS[Quantity.DAP]["cgy.cm2"]
"""Survey sheets' cGy·cm² (= µGy·m²) to Gy·cm²."""
BQ_TO_MBQ = _FACTORS[Quantity.ACTIVITY]["bq"]
"""(0018,1074) Radionuclide Total Dose: Bq in PET images (PS3.3 C.8.9.2), MBq in NM images (C.8.4.10.1.7)."""
