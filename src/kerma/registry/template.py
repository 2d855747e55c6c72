"""`kerma registry template`: the facility survey workbook.

Sheet "Survey": one row per exam (or per mean of n exams) with data validation in the cells: exam codes
from the list, years, positive numbers, phantom 16/32, mean or single. Sheet "Exam codes": every code
with its names, modality, surveyed quantities and the DRL in force (read from the DRL sets).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import xlsxwriter

from kerma.registry.catalogue import Catalogue
from kerma.registry.drlref import Reference

COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (field, header, help shown when the cell is selected)
    ("data_source", "Data source", "Where the values come from: DMS, RIS, device display, manual"),
    ("year", "Year", "Survey year, four digits"),
    ("facility", "Facility ID", "Your facility's ID as given by the authority"),
    ("device", "Device ID", "Room or device (one name per device)"),
    ("exam_code", "Exam code", "Code from the sheet 'Exam codes'"),
    ("exam_name", "Exam name", "Optional: the exam's name"),
    ("dap", "DAP (Gy·cm²)", "Dose-area product in Gy·cm² (1 Gy·cm² = 100 cGy·cm² = 100 µGy·m²)"),
    ("agd", "AGD (mGy)", "Mammography: average glandular dose in mGy"),
    ("ctdivol", "CTDIvol (mGy)", "CT: CTDIvol in mGy"),
    ("dlp", "DLP (mGy·cm)", "CT: dose-length product of the whole exam in mGy·cm"),
    ("ctdi_phantom", "CTDI phantom (cm)", "CT: 16 (head) or 32 (body)"),
    ("weight", "Patient weight (kg)", "Optional: weight in kg"),
    ("age", "Patient age (years)", "Optional: age in years"),
    ("sex", "Sex (M/F)", "Optional"),
    ("value_type", "Mean or single", "single: one exam; mean: the mean of several exams"),
    ("n_exams", "Number of exams", "For a mean: how many exams it averages"),
    ("comment", "Comment", "Optional"),
)
_QUANTITY_LABEL = {
    "dap_gy_cm2": "DAP (Gy·cm²)",
    "agd_mgy": "AGD (mGy)",
    "ctdivol_mgy": "CTDIvol (mGy)",
    "dlp_mgy_cm": "DLP (mGy·cm)",
}
TEMPLATE_ROWS = 2000


def write_template(
    out: Path, catalogue: Catalogue | None = None, drls: Mapping[tuple[str, str], Reference] | None = None
) -> int:
    """Write the template workbook; returns the number of exam codes listed."""
    cat = catalogue or Catalogue()
    drls = drls or {}
    wb = xlsxwriter.Workbook(str(out))
    head = wb.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top", "border": 1}
    )
    ws = wb.add_worksheet("Survey")
    codes_ws = wb.add_worksheet("Exam codes")
    for j, (_fld, title, help_text) in enumerate(COLUMNS):
        ws.write_string(0, j, title, head)
        ws.write_comment(0, j, help_text)
        ws.set_column(j, j, max(12, len(title) + 2))
    ws.freeze_panes(1, 0)
    ws.set_row(0, 32)
    last = TEMPLATE_ROWS
    col = {fld: j for j, (fld, _t, _h) in enumerate(COLUMNS)}
    n_codes = len(cat.exams)
    ws.data_validation(
        1, col["exam_code"], last, col["exam_code"],
        {"validate": "list", "source": f"='Exam codes'!$A$2:$A${n_codes + 1}",
         "error_title": "Exam code", "error_message": "Choose a code from the sheet 'Exam codes'."},
    )  # fmt: skip
    ws.data_validation(
        1, col["year"], last, col["year"],
        {"validate": "integer", "criteria": "between", "minimum": 2000, "maximum": 2100,
         "error_message": "A four-digit year."},
    )  # fmt: skip
    for fld in ("dap", "agd", "ctdivol", "dlp", "weight", "age"):
        ws.data_validation(
            1, col[fld], last, col[fld],
            {"validate": "decimal", "criteria": ">", "value": 0,
             "error_message": "A positive number (no units in the cell: the unit is in the header)."},
        )  # fmt: skip
    ws.data_validation(
        1, col["ctdi_phantom"], last, col["ctdi_phantom"], {"validate": "list", "source": ["16", "32"]}
    )
    ws.data_validation(
        1, col["value_type"], last, col["value_type"], {"validate": "list", "source": ["single", "mean"]}
    )
    ws.data_validation(1, col["sex"], last, col["sex"], {"validate": "list", "source": ["M", "F", "O"]})
    ws.data_validation(
        1, col["n_exams"], last, col["n_exams"],
        {"validate": "integer", "criteria": ">=", "value": 1, "error_message": "A whole number of exams."},
    )  # fmt: skip
    quantities = ("ctdivol_mgy", "dlp_mgy_cm", "dap_gy_cm2", "agd_mgy")
    code_heads = ["Code", "Name", "Name (German)", "Modality", "Quantities"]
    code_heads += [f"Current DRL {_QUANTITY_LABEL[q]}" for q in quantities] + ["DRL source"]
    for j, t in enumerate(code_heads):
        codes_ws.write_string(0, j, t, head)
    codes_ws.set_column(0, 0, 22)
    codes_ws.set_column(1, 2, 40)
    codes_ws.set_column(3, 9, 16)
    codes_ws.freeze_panes(1, 0)
    for i, e in enumerate(cat.exams, start=1):
        codes_ws.write_string(i, 0, e.code)
        codes_ws.write_string(i, 1, e.name)
        codes_ws.write_string(i, 2, e.name_de)
        codes_ws.write_string(i, 3, e.modality)
        codes_ws.write_string(i, 4, ", ".join(_QUANTITY_LABEL[q] for q in e.quantities))
        sources = []
        for j, q in enumerate(quantities, start=5):
            ref = drls.get((e.code, q))
            if ref is not None:
                codes_ws.write_number(i, j, ref.value)
                sources.append(f"{ref.set_key}")
        if sources:
            codes_ws.write_string(i, 9, ", ".join(sorted(set(sources))))
    wb.close()
    return n_codes
