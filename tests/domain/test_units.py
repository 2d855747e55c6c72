"""Unit conversions against values worked out by hand, and algebraic properties with hypothesis."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerma.domain.units import Quantity, UnitError, factor, normalise_unit, to_canonical

# (value, unit as vendors write it, quantity, expected canonical value worked out by hand)
HAND = [
    (0.0012, "Gy.m2", Quantity.DAP, 12.0),  # 0.0012 Gy·m² x 10 000 cm²/m² = 12 Gy·cm²
    (0.0012, "Gym2", Quantity.DAP, 12.0),  # non-UCUM spelling seen in real files
    (25.0, "cGy*cm2", Quantity.DAP, 0.25),  # German survey unit: 25 cGy·cm² = 0.25 Gy·cm²
    (25.0, "µGy·m²", Quantity.DAP, 0.25),  # 1 µGy·m² = 1e-6 Gy x 1e4 cm² = 0.01 Gy·cm²
    (153.0, "dGy.cm2", Quantity.DAP, 15.3),  # header (0018,115E) unit
    (2500.0, "mGy.cm2", Quantity.DAP, 2.5),
    (0.25, "Gy", Quantity.AIR_KERMA, 250.0),
    (3.0, "dGy", Quantity.AIR_KERMA, 300.0),
    (850.0, "uGy", Quantity.AIR_KERMA, 0.85),
    (236.09, "mGycm", Quantity.DLP, 236.09),
    (0.5, "Gy.cm", Quantity.DLP, 500.0),
    (1.2, "Gy.m", Quantity.DLP, 120000.0),  # 1.2 Gy·m = 1200 mGy x 100 cm
    (1500.0, "ms", Quantity.TIME, 1.5),
    (2.0, "min", Quantity.TIME, 120.0),
    (12.5, "cm", Quantity.LENGTH, 125.0),
    (0.04, "m2", Quantity.AREA, 400.0),
    (10.0, "mCi", Quantity.ACTIVITY, 370.0),  # 1 mCi = 37 MBq
    (370e6, "Bq", Quantity.ACTIVITY, 370.0),
    (25000.0, "uA.s", Quantity.CHARGE, 25.0),
    (25000.0, "uAs", Quantity.CHARGE, 25.0),
]


@pytest.mark.parametrize(("value", "unit", "quantity", "expected"), HAND)
def test_hand_worked_conversions(value: float, unit: str, quantity: Quantity, expected: float) -> None:
    assert to_canonical(value, unit, quantity) == pytest.approx(expected, rel=1e-12)


def test_unknown_unit_is_an_error_naming_the_unit() -> None:
    with pytest.raises(UnitError, match="'mSv'"):
        to_canonical(1.0, "mSv", Quantity.DAP)
    with pytest.raises(UnitError):
        factor("Gy.m2", Quantity.DLP)


def test_aliases_normalise_case_and_spaces() -> None:
    assert normalise_unit(" GY.M2 ") == "gy.m2"
    assert normalise_unit("{events}") == "1"
    assert normalise_unit(None) == "1"


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(finite)
def test_dap_units_agree_with_each_other(v: float) -> None:
    # 1 Gy·m² = 1e4 Gy·cm² = 1e6 cGy·cm² = 1e6 µGy·m²
    a = to_canonical(v, "Gy.m2", Quantity.DAP)
    assert math.isclose(a, to_canonical(v * 1e6, "cGy.cm2", Quantity.DAP), rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(a, to_canonical(v * 1e6, "uGy.m2", Quantity.DAP), rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(a, to_canonical(v * 1e5, "dGy.cm2", Quantity.DAP), rel_tol=1e-9, abs_tol=1e-9)


@given(finite, st.sampled_from(["Gy", "dGy", "cGy", "mGy", "uGy"]))
def test_conversion_is_linear(v: float, unit: str) -> None:
    one = to_canonical(1.0, unit, Quantity.AIR_KERMA)
    assert math.isclose(to_canonical(v, unit, Quantity.AIR_KERMA), v * one, rel_tol=1e-11, abs_tol=1e-12)
    assert math.isclose(
        to_canonical(2 * v, unit, Quantity.AIR_KERMA),
        2 * to_canonical(v, unit, Quantity.AIR_KERMA),
        rel_tol=1e-11,
        abs_tol=1e-9,
    )


def test_clean_drops_float_noise_only() -> None:
    from kerma.domain.units import clean

    assert 0.1 + 0.2 != 0.3 and clean(0.1 + 0.2) == 0.3
    assert clean(0.0327999999999999996) == 0.0328
    assert clean(1234.56789012345) == 1234.56789012
