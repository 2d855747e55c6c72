"""Exact decimal handling of summed dose quantities."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerma.simulate.quantities import AGD, DAP, DLP, KERMA, TIME, decimal, fixed


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=-3, max_value=10))
def test_fixed_is_the_exact_decimal(count: int, places: int) -> None:
    text = fixed(count, places)
    assert Decimal(text) == Decimal(count).scaleb(-places)
    assert not text.endswith(".") and (("." not in text) or not text.endswith("0"))


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=50))
def test_sum_of_written_values_is_the_written_sum(counts: list[int]) -> None:
    for quantum in (DAP, KERMA, DLP, AGD, TIME):
        assert sum(Decimal(quantum.text(c)) for c in counts) == Decimal(quantum.text(sum(counts)))


def test_values_written_in_other_units_by_hand() -> None:
    count = DAP.count(0.1, "Gy.cm2")  # 0.1 Gy·cm² = 1e-5 Gy·m² = 1000 x 1e-8 Gy·m²
    assert count == 1000
    assert DAP.text(count) == "0.00001"
    assert DAP.text(count, "Gy.cm2") == "0.1"
    assert DAP.text(count, "dGy.cm2") == "1"  # header (0018,115E) unit
    assert KERMA.text(KERMA.count(250.0, "mGy")) == "0.25"  # 250 mGy = 0.25 Gy
    assert AGD.text(AGD.count(1.37, "mGy"), "dGy") == "0.0137"  # (0040,0316) Organ Dose in dGy
    assert TIME.text(TIME.count(1500.0, "ms")) == "1.5"


def test_decimal_strings() -> None:
    assert decimal(12.0, 2) == "12"
    assert decimal(0.125, 2) == "0.12"  # round half to even, as Python formats
    assert decimal(-0.0001, 2) == "0"
    assert decimal(1085.6, 1) == "1085.6"


def test_units_that_are_not_a_power_of_ten_apart_are_refused() -> None:
    from kerma.domain.units import Quantity
    from kerma.simulate.quantities import Quantum

    with pytest.raises(ValueError):
        Quantum("mCi", 0, Quantity.ACTIVITY).text(1, "MBq")
