"""The readers: every format, merged cells, formulas with and without results, macros, encryption,
Windows-1252 CSV and a large sheet read in constant memory."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from kerma.ingest.survey import read_survey
from kerma.registry.model import RowStatus
from kerma.registry.readers import NoCachedValue, UnreadableFile, open_workbook
from kerma.registry.writers import Formula, SheetModel, write_csv, write_ods, write_xls, write_xlsx

SHEET = SheetModel(
    "Daten",
    [
        ["Einrichtung:", "Klinikum Testfeld"],
        ["Jahr: 2024"],
        [],
        ["Gerät", "Code", "Dosis", None, "Patient", None],
        [None, None, "DAP [cGy·cm²]", "AGD [mGy]", "Gewicht (kg)", "Alter"],
        ["Raum 1", "K-XR-CHEST-PA", 12.5, None, 70, 40],
        ["Raum 1", "K-XR-CHEST-PA", Formula("10*1", 10.0), None, 80, 50],
        ["Mammo", "K-MG-SCREENING", None, 1.4, None, 60],
    ],
    merges=[(4, 0, 5, 0), (4, 1, 5, 1), (4, 2, 4, 3), (4, 4, 4, 5)],
)


def _rows(path: Path) -> list[tuple[int, object, object, object]]:
    f = read_survey(path)
    assert f.rejected is None, f.rejected
    return [(r.source_row, r.exam_code, r.dap_gy_cm2, r.agd_mgy) for r in f.rows()]


EXPECTED = [
    (6, "K-XR-CHEST-PA", 0.125, None),
    (7, "K-XR-CHEST-PA", 0.1, None),
    (8, "K-MG-SCREENING", None, 1.4),
]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_formats_with_merged_two_row_header_and_title_block(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"survey.{fmt}"
    {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}[fmt](path, [SHEET])
    assert _rows(path) == EXPECTED
    f = read_survey(path)
    assert {r.facility for r in f.rows()} == {"Klinikum Testfeld"}
    assert {r.year for r in f.rows()} == {2024}
    assert {r.device for r in f.rows()} == {"Raum 1", "Mammo"}


def test_csv_windows_1252_semicolons(tmp_path: Path) -> None:
    sm = SheetModel(
        "x",
        [
            ["Gerät", "Untersuchung", "DFP [µGy·m²]", "Körpergewicht"],
            ["Raum 1", "Thorax p.a.", "1.234,5", "70,5"],
        ],
    )
    path = tmp_path / "nord_2023.csv"
    write_csv(path, sm, encoding="cp1252", delimiter=";")
    assert "ä".encode("cp1252") in path.read_bytes()
    f = read_survey(path)
    assert any("Windows-1252" in n for n in f.notes)
    (row,) = f.rows()
    assert row.exam_code == "K-XR-CHEST-PA"
    assert row.dap_gy_cm2 == pytest.approx(12.345)
    assert row.patient_weight_kg == 70.5
    rules = {r.rule for r in row.repairs}
    assert {
        "exam_name_to_code",
        "thousands_separator_removed",
        "unit_from_header_converted",
        "decimal_comma",
    } <= rules


def test_formulas_without_results_are_reported_per_cell(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Code", "DAP (Gy·cm²)", "Gewicht"])
    ws.append(["K-XR-CHEST-PA", "=0.1*1", "=70+0"])
    ws.append(["K-XR-CHEST-PA", 0.2, 80])
    path = tmp_path / "formulas.xlsx"
    wb.save(path)  # openpyxl writes formulas without computed results, as scripts do
    wbk = open_workbook(path)
    sheet = next(wbk.sheets())
    cells = dict(sheet.rows())
    assert isinstance(cells[2][1], NoCachedValue)
    f = read_survey(path, name="formulas_2024.xlsx")
    first, second = f.rows()
    assert first.status is RowStatus.REJECTED
    unreadable = [r for r in first.repairs if r.rule.startswith("unreadable")]
    assert {r.column for r in unreadable} == {"B", "C"}
    assert all("no stored result" in r.rule for r in unreadable)
    assert second.status is RowStatus.OK and second.dap_gy_cm2 == 0.2
    assert any("no stored result" in n for n in f.sheets[0].notes)


def test_macro_workbook_is_read_without_running_macros(tmp_path: Path) -> None:
    path = tmp_path / "survey_2024.xlsm"
    # The VBA project bytes are never executed or even parsed; only cell values are read.
    write_xlsx(
        path,
        [SheetModel("Data", [["Code", "DAP (Gy·cm²)"], ["K-XR-PELVIS", 1.5]])],
        vba=b"\xd0\xcf\x11\xe0 not run",
    )
    f = read_survey(path)
    assert f.rejected is None
    assert any("macros" in n and "not run" in n for n in f.notes)
    assert [(r.exam_code, r.dap_gy_cm2) for r in f.rows()] == [("K-XR-PELVIS", 1.5)]


def test_password_protected_workbook_is_rejected_with_reason(tmp_path: Path) -> None:
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = tmp_path / "plain.xlsx"
    write_xlsx(plain, [SheetModel("Data", [["Code", "DAP"], ["K-XR-PELVIS", 1.5]])])
    enc = tmp_path / "protected_2024.xlsx"
    with plain.open("rb") as src, enc.open("wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    del msoffcrypto
    f = read_survey(enc)
    assert f.rejected is not None and "password-protected" in f.rejected
    with pytest.raises(UnreadableFile):
        open_workbook(enc)


def test_not_a_spreadsheet(tmp_path: Path) -> None:
    p = tmp_path / "survey.xlsx"
    p.write_bytes(b"<html><body>export</body></html>")
    assert "HTML" in (read_survey(p).rejected or "")
    p.write_bytes(b"")
    assert read_survey(p).rejected == "empty file"


def test_large_sheet_is_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first rows arrive after reading one chunk of the sheet, not the whole sheet (the benchmark reads a
    200 MB sheet; here a 3 MB one keeps the suite fast)."""
    from kerma.registry.readers import xlsx

    path = tmp_path / "big.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Daten")
    ws.write_row(0, 0, ["Gerät", "Code", "DAP (Gy·cm²)", "Gewicht", "Alter", "Kommentar"])
    for i in range(1, 10_001):
        ws.write_row(
            i, 0, [f"Raum {i % 5}", "K-XR-CHEST-PA", 0.1 + i / 1e6, 60 + i % 40, 20 + i % 70, "x" * 40]
        )
    wb.close()
    xml_size = sum(i.file_size for i in zipfile.ZipFile(path).infolist() if "worksheets" in i.filename)
    consumed = [0]

    class Counting:
        def __init__(self, fh: object) -> None:
            self.fh = fh

        def read(self, n: int) -> bytes:
            data: bytes = self.fh.read(n)  # type: ignore[attr-defined]
            consumed[0] += len(data)
            return data

        def __enter__(self) -> Counting:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()  # type: ignore[attr-defined]

    sheet = next(open_workbook(path).sheets())
    original = xlsx.XlsxSheet._open
    monkeypatch.setattr(xlsx.XlsxSheet, "_open", lambda self: Counting(original(self)))
    rows = sheet.rows()
    first = [next(rows) for _ in range(10)]
    assert first[0][1][1] == "Code" and first[9][0] == 10
    assert consumed[0] <= xlsx._CHUNK < xml_size / 10, (consumed[0], xml_size)
    assert sum(1 for _ in rows) == 10_001 - 10
