"""Exact decimal values for dose quantities that are summed.

Totals in an RDSR must equal the sum of its events. Summing floats and formatting the result can be off
in the last digit, so quantities that are summed are held as integer counts of a fixed quantum in the
unit the RDSR uses (DAP in 1e-8 Gy·m², Ka,r in µGy, DLP in 0.01 mGy·cm ...). Sums of counts are exact,
and writing a count in another unit only moves the decimal point, by the power of ten that
:mod:`kerma.domain.units` defines between the two units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kerma.domain.units import Quantity, factor


def fixed(count: int, places: int) -> str:
    """``count`` × 10^-``places`` as a plain decimal string without trailing zeros ('0.00012')."""
    if places <= 0:
        return str(count * 10**-places)
    sign = "-" if count < 0 else ""
    digits = str(abs(count)).rjust(places + 1, "0")
    whole, frac = digits[:-places], digits[-places:].rstrip("0")
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


def decimal(value: float, places: int) -> str:
    """A float rounded to ``places`` decimals, written without trailing zeros (for DS values)."""
    text = f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Quantum:
    """Counts of 10^-``places`` ``unit`` of a quantity."""

    unit: str
    places: int
    quantity: Quantity

    def _shift(self, unit: str) -> int:
        ratio = math.log10(factor(self.unit, self.quantity) / factor(unit, self.quantity))
        shift = round(ratio)
        if abs(ratio - shift) > 1e-9:
            raise ValueError(f"{self.unit} and {unit} do not differ by a power of ten")
        return shift

    def count(self, value: float, unit: str) -> int:
        """Round ``value`` given in ``unit`` to a count of this quantum."""
        return round(value * 10.0 ** (self.places - self._shift(unit)))

    def value(self, count: int, unit: str | None = None) -> float:
        """The count as a float in ``unit`` (default: the quantum's unit)."""
        return float(self.text(count, unit))

    def text(self, count: int, unit: str | None = None) -> str:
        """The count written exactly as a decimal in ``unit`` (default: the quantum's unit)."""
        return fixed(count, self.places - (self._shift(unit) if unit else 0))


DAP = Quantum("Gy.m2", 8, Quantity.DAP)
KERMA = Quantum("Gy", 6, Quantity.AIR_KERMA)
DLP = Quantum("mGy.cm", 2, Quantity.DLP)
CTDI = Quantum("mGy", 2, Quantity.AIR_KERMA)
AGD = Quantum("mGy", 2, Quantity.AIR_KERMA)
TIME = Quantum("s", 3, Quantity.TIME)
