"""DRL sets: shipped sets, import with unit conversion, bad files, versions, active sets."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from kerma.drl import sets
from kerma.nomenclature.codes import builtin_codes
from kerma.store import open_store

ROW = {"exam_code": "K-XR-CHEST-PA", "modality": "DX", "quantity": "DAP", "band": "adult"}


def test_builtin_sets_are_clean_and_converted() -> None:
    rows = sets._data("builtin-values.csv")
    by_key: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_key.setdefault(r["set_key"], []).append(r)
    for key, rs in by_key.items():
        parsed = sets.parse_rows(rs, builtin_codes())
        assert parsed.errors == [] and parsed.warnings == [], key
    de = {v.exam_code: v for v in sets.parse_rows(by_key["DE-BFS-2022-DX"]).values}
    # Thorax p.a. 12 cGy·cm² (BfS 2022) = 0.12 Gy·cm², compared per exposure
    assert de["K-XR-CHEST-PA"].value == pytest.approx(0.12)
    assert de["K-XR-CHEST-PA"].per == "exposure"
    uk = sets.parse_rows(by_key["UK-UKHSA-2022-CT"]).values
    head = [v for v in uk if v.exam_code == "1010"]
    assert {(v.quantity, v.per, v.value) for v in head} == {
        ("ctdivol_mgy", "exposure", 47.0),
        ("dlp_mgy_cm", "study", 790.0),
    }
    assert all(v.clinical_indication == "Acute stroke" for v in head)


@pytest.mark.parametrize(
    ("unit", "value", "gy_cm2"),
    [
        ("cGy*cm2", 25, 0.25),
        ("cGy·cm²", 25, 0.25),
        ("µGy·m²", 25, 0.25),
        ("uGy*m2", 25, 0.25),
        ("Gy*cm2", 0.25, 0.25),
        ("mGy*cm2", 250, 0.25),
        ("dGy*cm2", 2.5, 0.25),
    ],
)
def test_units_are_converted(unit: str, value: float, gy_cm2: float) -> None:
    parsed = sets.parse_rows([{**ROW, "value": str(value), "unit": unit}])
    assert parsed.errors == []
    assert parsed.values[0].value == pytest.approx(gy_cm2)
    assert parsed.values[0].published_unit == unit


def test_bad_rows_are_reported() -> None:
    parsed = sets.parse_rows(
        [
            {**ROW, "value": "12", "unit": "cGy*cm2"},
            {**ROW, "value": "12,0", "unit": "cGy*cm2"},  # duplicate, same value (decimal comma): a warning
            {**ROW, "value": "0.2", "unit": "Gy*cm2"},  # duplicate with another value: an error
            {**ROW, "exam_code": "K-XR-PELVIS", "value": "230", "unit": ""},
            {**ROW, "exam_code": "NO-SUCH", "value": "1", "unit": "Gy*cm2"},
            {**ROW, "exam_code": "K-XR-ABDOMEN", "value": "200", "unit": "mSv"},
            {**ROW, "exam_code": "K-XR-KNEE", "value": "x", "unit": "Gy*cm2"},
            {**ROW, "exam_code": "K-XR-HIP", "value": "1", "unit": "Gy*cm2", "band": "toddlers"},
        ],
        builtin_codes(),
    )
    assert len(parsed.values) == 1
    assert len(parsed.warnings) == 1 and "duplicate" in parsed.warnings[0]
    text = "\n".join(parsed.errors)
    assert "given twice with different values" in text
    assert "no unit" in text and "unknown exam code 'NO-SUCH'" in text
    assert "not a number" in text and "patient band" in text
    assert "row 7" in text  # mSv is not a DAP unit


def test_import_csv_and_xlsx_versions_and_activation(db_url: str, tmp_path: Path) -> None:
    csv_file = tmp_path / "local.csv"
    csv_file.write_text(
        "exam_code;modality;quantity;value;unit;band\n"
        "1010;CT;DLP;800;mGy*cm;adult\n1010;CT;CTDIvol;40;mGy;1-<5 y\n",
        encoding="utf-8",
    )
    engine = open_store(db_url)
    with engine.begin() as conn:
        v1, parsed = sets.import_set(conn, sets.read_table(csv_file), key="LOCAL", name="our DRLs")
        assert (v1, parsed.errors) == (1, [])
        wb = Workbook()
        ws = wb.active
        ws.append(["exam_code", "quantity", "value", "unit"])
        ws.append(["1010", "DLP", 0.75, "Gy*cm"])
        xlsx = tmp_path / "local.xlsx"
        wb.save(xlsx)
        v2, parsed = sets.import_set(conn, sets.read_table(xlsx), key="LOCAL")
        assert (v2, parsed.errors) == (2, [])
        assert [v.value for v in sets.set_values(conn, "LOCAL")] == [pytest.approx(750.0)]  # 0.75 Gy·cm
        v3 = sets.edit_value(
            conn, "LOCAL", exam_code="1010", quantity="ctdivol_mgy", value=40, unit="mGy", band="1-<5 y"
        )
        assert v3 == 3
        assert [v.value for v in sets.set_values(conn, "LOCAL", 1) if v.quantity == "dlp_mgy_cm"] == [800.0]
        now = {(v.quantity, v.band.label): v.value for v in sets.set_values(conn, "LOCAL")}
        assert now == {("dlp_mgy_cm", "adult"): pytest.approx(750.0), ("ctdivol_mgy", "1-<5 y"): 40.0}
        # nothing chosen: the German sets are in force everywhere
        assert set(sets.values_in_force(conn)) == {"*"}
        sets.activate(conn, "LOCAL", "Klinikum A")
        force = sets.values_in_force(conn)
        assert list(force) == ["Klinikum A"] and {v.set_key for v in force["Klinikum A"]} == {"LOCAL"}
        listed = {s["key"]: s for s in sets.list_sets(conn)}
        assert listed["LOCAL"]["version"] == 3 and listed["LOCAL"]["active_sites"] == ["Klinikum A"]
        assert "DE-BFS-2022-DX" in listed
        with pytest.raises(ValueError):
            sets.activate(conn, "NOPE")
    engine.dispose()
