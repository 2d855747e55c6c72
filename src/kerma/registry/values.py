"""Numbers and units as people type them into survey cells.

``parse_number`` turns a cell into a float (or says why not); ``find_unit`` reads a dose unit written
in a header or behind a number. Conversion factors come from :mod:`kerma.domain.units` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from kerma.domain.units import Quantity, UnitError, factor
from kerma.registry.readers.base import CellValue, NoCachedValue
from kerma.registry.textnorm import fold

# Dose units: prefix, gray, optional length (cm, m, mm) with optional square.
_UNIT = re.compile(
    r"(?<![a-z])(?P<prefix>[µμumcd]?)\s*gy\s*(?:[·*.x×⋅•\s]\s*)?(?P<len>cm|mm|dm|m)?\s*(?:\^?\s*(?P<sq>[2²]))?(?![a-z])",
    re.I,
)
_MISSING = {
    "",
    "-",
    "--",
    "---",
    "?",
    "/",
    "x",
    "na",
    "n a",
    "n.a.",
    "n.a",
    "n/a",
    "nv",
    "#nv",
    "#n/a",
    "k.a.",
    "k. a.",
    "ka",
    "k.a",
    "keine angabe",
    "keine angaben",
    "unbekannt",
    "unknown",
    "nicht bekannt",
    "nicht erfasst",
    "entfallt",
    "none",
    "null",
    "nan",
    "leer",
}
_APPROX = re.compile(r"^(?:ca\.?|circa|etwa|approx\.?|about|~|≈|rund)\s*", re.I)
_NUMBER = re.compile(r"[-+]?\d[\d.,'’\u00a0\u202f ]*(?:[eE][-+]?\d+)?")
_CENSORED = re.compile(r"^\s*(?:<|>|≤|≥|<=|>=|unter|über|ueber|kleiner|größer|groesser)\s*\d")
_RANGE = re.compile(r"\d\s*(?:-|–|—|/|bis|to|bzw\.?|oder|or|\+)\s*\d")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(?:,\d{3})+$")


@dataclass(frozen=True, slots=True)
class Unit:
    """A dose unit found in text: its normal form and the quantity family it belongs to."""

    norm: str
    quantity: Quantity
    text: str

    def factor(self) -> float:
        """Multiplier to the canonical unit of its quantity."""
        return factor(self.norm, self.quantity)


def find_unit(text: str) -> Unit | None:
    """The dose unit written in ``text`` (``DAP [µGy·m²]``, ``DLP in mGy*cm``, ``12,5 cGycm2``), if any."""
    for m in _UNIT.finditer(text):
        prefix = (m.group("prefix") or "").lower().replace("µ", "u").replace("μ", "u")
        length = (m.group("len") or "").lower()
        square = bool(m.group("sq"))
        if length and square:
            norm, quantity = f"{prefix}gy.{length}2", Quantity.DAP
        elif length:
            norm, quantity = f"{prefix}gy.{length}", Quantity.DLP
        else:
            norm, quantity = f"{prefix}gy", Quantity.AIR_KERMA
        try:
            factor(norm, quantity)
        except UnitError:
            continue
        return Unit(norm, quantity, m.group(0).strip())
    return None


def decimal_evidence(text: str) -> str | None:
    """Which decimal mark a text number shows beyond doubt: ``","``, ``"."`` or None."""
    t = text.strip()
    last_comma, last_dot = t.rfind(","), t.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        return "," if last_comma > last_dot else "."
    if last_comma >= 0:
        return None if _THOUSANDS_COMMA.match(t) else ","
    if last_dot >= 0:
        return None if _THOUSANDS_DOT.match(t) else "."
    return None


@dataclass(slots=True)
class Parsed:
    """A parsed cell: ``value`` or ``error``; ``rule`` names a repair when the text had to be changed."""

    value: float | None = None
    error: str | None = None
    rule: str | None = None
    unit: Unit | None = None


def _to_float(num: str, decimal: str | None) -> tuple[float, str | None]:
    """A number token to float, with the decimal mark the column uses when the token is ambiguous."""
    t = num.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "").replace("’", "")
    grouped = t != num.strip()
    if "," in t and "." in t:
        dec = "," if t.rfind(",") > t.rfind(".") else "."
        other = "." if dec == "," else ","
        return float(t.replace(other, "").replace(dec, ".")), "thousands_separator_removed"
    if "," in t:
        if _THOUSANDS_COMMA.match(t) and decimal == ".":
            return float(t.replace(",", "")), "thousands_separator_removed"
        if t.count(",") > 1:
            return float(t.replace(",", "")), "thousands_separator_removed"
        return float(t.replace(",", ".")), "decimal_comma"
    if "." in t:
        if _THOUSANDS_DOT.match(t) and decimal == ",":
            return float(t.replace(".", "")), "thousands_separator_removed"
        if t.count(".") > 1:
            return float(t.replace(".", "")), "thousands_separator_removed"
        return float(t), ("thousands_separator_removed" if grouped else None)
    return float(t), ("thousands_separator_removed" if grouped else None)


def parse_number(cell: CellValue, decimal: str | None = None) -> Parsed:
    """Read a numeric cell. ``decimal`` is the column's decimal mark when known (``","`` or ``"."``)."""
    if cell is None:
        return Parsed()
    if isinstance(cell, bool):
        return Parsed(error=f"yes/no value {cell} in a numeric cell")
    if isinstance(cell, (int, float)):
        return Parsed(value=float(cell))
    if isinstance(cell, datetime):
        return Parsed(
            error=f"date {cell.date().isoformat()} in a numeric cell (the number was turned into a date?)"
        )
    if isinstance(cell, NoCachedValue):
        return Parsed(error=f"formula ={cell.formula} has no stored result (the file was never calculated)")
    raw = str(cell).strip()
    low = fold(raw)
    if low in _MISSING or low.rstrip(".") in _MISSING:
        return Parsed(rule="not_available_text")
    if low.startswith("#"):
        return Parsed(error=f"spreadsheet error value {raw}")
    if _CENSORED.match(raw):
        return Parsed(error=f"censored value {raw!r} (below/above a limit), not a measurement")
    text = _APPROX.sub("", raw)
    rule = "text_removed" if text != raw else None
    unit = find_unit(text)
    if unit is not None:
        text = text.replace(unit.text, " ").strip()
    body = text.strip()
    if _RANGE.search(body):
        return Parsed(error=f"several numbers in one cell: {raw!r}")
    found = [m for m in _NUMBER.finditer(body) if any(ch.isdigit() for ch in m.group(0))]
    if not found:
        return Parsed(error=f"no number in {raw!r}")
    if len(found) > 1:
        return Parsed(error=f"several numbers in one cell: {raw!r}")
    token = found[0].group(0).strip()
    rest = (body[: found[0].start()] + body[found[0].end() :]).strip()
    if rest:
        rule = "text_removed"
    try:
        value, sep_rule = _to_float(token, decimal)
    except ValueError:
        return Parsed(error=f"not a number: {raw!r}")
    return Parsed(value=value, rule=rule or sep_rule or ("unit_in_cell" if unit else None), unit=unit)
