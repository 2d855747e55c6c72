"""Numbers, units, header titles and exam codes as facilities write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerma.registry.catalogue import BUILTIN, Catalogue
from kerma.registry.fields import classify
from kerma.registry.values import find_unit, parse_number


@pytest.mark.parametrize(
    ("text", "decimal", "value", "rule"),
    [
        ("12,5", None, 12.5, "decimal_comma"),
        ("1.234,5", None, 1234.5, "thousands_separator_removed"),
        ("1,234.5", None, 1234.5, "thousands_separator_removed"),
        ("1.234", ",", 1234.0, "thousands_separator_removed"),  # German column: the dot groups thousands
        ("1.234", ".", 1.234, None),
        ("1 234,5", None, 1234.5, "decimal_comma"),
        ("ca. 12", None, 12.0, "text_removed"),
        ("12 (geschätzt)", None, 12.0, "text_removed"),
        ("12.5", None, 12.5, None),
        ("k.A.", None, None, "not_available_text"),
        ("-", None, None, "not_available_text"),
    ],
)
def test_parse_number(text: str, decimal: str | None, value: float | None, rule: str | None) -> None:
    p = parse_number(text, decimal)
    assert p.error is None
    assert p.value == value
    assert p.rule == rule


@pytest.mark.parametrize("text", ["<1", "10-20", "12/15", "#DIV/0!", "abc"])
def test_unreadable_numbers_say_why(text: str) -> None:
    p = parse_number(text)
    assert p.value is None and p.error


def test_unit_in_cell_is_found() -> None:
    p = parse_number("12,5 cGy·cm²")
    assert p.value == 12.5 and p.unit is not None and p.unit.norm == "cgy.cm2"


@pytest.mark.parametrize(
    ("header", "norm", "factor"),
    [
        ("DAP [µGy·m²]", "ugy.m2", 0.01),
        ("DFP (cGy cm2)", "cgy.cm2", 0.01),
        ("DAP in Gy*cm^2", "gy.cm2", 1.0),
        ("Dosis [dGy·cm²]", "dgy.cm2", 0.1),
        ("DLP (mGy*cm)", "mgy.cm", 1.0),
        ("CTDIvol [mGy]", "mgy", 1.0),
    ],
)
def test_units_in_headers(header: str, norm: str, factor: float) -> None:
    u = find_unit(header)
    assert u is not None and u.norm == norm and u.factor() == pytest.approx(factor)


@given(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False))
def test_german_text_numbers_round_trip(d: object) -> None:
    x = float(d)  # type: ignore[arg-type]
    whole, frac = f"{x:.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    assert parse_number(f"{grouped},{frac}", ",").value == pytest.approx(x)


@pytest.mark.parametrize(
    ("title", "field", "number"),
    [
        ("Dosisflächenprodukt [µGy·m²]", "dap", None),
        ("Körpergewicht in kg", "weight", None),
        ("CTDI-Phantom", "ctdi_phantom", None),
        ("Dosis (DAP)", "dap", None),
        ("Mittelwert/Einzelwert", "value_type", None),
        ("Patient 7", "value", 7),
        ("Gewicht 3", "weight", 3),
        ("DRW DLP (mGy·cm)", "reference", None),
        ("Untersuchungscode", "exam_code", None),
    ],
)
def test_header_titles(title: str, field: str, number: int | None) -> None:
    hf = classify(title)
    assert hf is not None and hf.field == field and hf.number == number


def test_codes_names_and_old_codes() -> None:
    cat = Catalogue(code_map={"OLD-7": "1030"})
    for text in ("1010", "1010.0", "CT-1010", "1.010", " 1010 ", "1010 Cranium"):
        res = cat.resolve_code(text)
        assert res is not None and res.code == "1010", text
    assert cat.resolve_code(1010.0).code == "1010"  # type: ignore[union-attr]
    assert cat.resolve_code("OLD-7").code == "1030"  # type: ignore[union-attr]
    assert cat.resolve_name("Thorax p.a.").code == "K-XR-CHEST-PA"  # type: ignore[union-attr]
    assert cat.resolve_name("Hirnschaedel").code == "1010"  # type: ignore[union-attr]
    # "Thorax" is an X-ray in a DAP sheet and a CT in a CT sheet; ambiguous without a hint.
    assert cat.resolve_name("Thorax", ["CT"]).code == "1030"  # type: ignore[union-attr]
    assert cat.resolve_name("Thorax", ["DX"]).code == "K-XR-CHEST-PA"  # type: ignore[union-attr]
    assert cat.resolve_name("Unbekannt") is None


def test_registry_codes_are_the_nomenclature_and_drl_codes() -> None:
    from kerma.nomenclature.codes import builtin_codes

    known = builtin_codes()
    assert [e.code for e in BUILTIN if e.code not in known] == []
