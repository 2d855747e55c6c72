"""Turn one sheet's records into survey rows: parse values, convert units, resolve exam codes, repair
what can be repaired with a logged rule per cell, and keep what cannot be repaired with its reason.

Checks that need other rows (a column entered in the wrong unit, two files for one facility) are in
:mod:`kerma.registry.batch`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from kerma.domain.units import Quantity
from kerma.registry.catalogue import Catalogue, Exam
from kerma.registry.fields import DOSE_KEYS, FIELD_TO_ATTR, classify
from kerma.registry.layout import Cell, Record
from kerma.registry.model import RowStatus, SurveyRow
from kerma.registry.textnorm import fold
from kerma.registry.values import Unit, parse_number

DEFAULT_MEAN_COUNT = 10
"""Exams a "mean" row stands for when the facility left the count empty (configurable)."""

_FAMILY = {"dap": Quantity.DAP, "dlp": Quantity.DLP, "ctdivol": Quantity.AIR_KERMA, "agd": Quantity.AIR_KERMA}

# Broad limits of what a single exam (or a mean of exams) can show, in canonical units. A value outside
# them after unit checks is not a dose that happened; the row is kept as rejected for the authority.
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "dap_gy_cm2": (1e-3, 1e4),
    "agd_mgy": (0.05, 30.0),
    "dlp_mgy_cm": (1.0, 5e4),
    "ctdivol_mgy": (0.1, 2000.0),
}
WEIGHT_KG = (0.3, 350.0)
AGE_YEARS = (0.0, 120.0)

_MEAN_WORDS = {"mittelwert", "mw", "mean", "m", "average", "avg", "durchschnitt", "ø", "o", "mittel"}
_SINGLE_WORDS = {"einzelwert", "ew", "single", "e", "einzel", "einzeln", "s", "individual", "patient"}
_HEAD = re.compile(r"\b(?:head|kopf|16)\b")
_BODY = re.compile(r"\b(?:body|korper|rumpf|32)\b")
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)")


@dataclass(slots=True)
class SheetContext:
    """What the repair rules need to know about the sheet being read."""

    file: str
    sheet: str
    catalogue: Catalogue
    default_mean_count: int = DEFAULT_MEAN_COUNT
    modalities: tuple[str, ...] = ()
    pair_ct_rows: bool = True
    counters: dict[str, int] = field(default_factory=dict)


def _text(cell: Cell | None) -> str | None:
    if cell is None or cell.value is None:
        return None
    v = cell.value
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    t = str(v).strip()
    return t or None


def _quantity_of_label(label: str | None) -> tuple[str | None, Unit | None]:
    if not label:
        return None, None
    hf = classify(label)
    if hf is not None and hf.field in DOSE_KEYS:
        return hf.field, hf.unit
    return None, None


def _resolve_exam(rec: Record, row: SurveyRow, ctx: SheetContext, hint: tuple[str, ...]) -> Exam | None:
    cat = ctx.catalogue
    code_cell = rec.cells.get("exam_code")
    name_cell = rec.cells.get("exam_name")
    code_text = _text(code_cell)
    name_text = _text(name_cell)
    if code_text is not None:
        res = cat.resolve_code(code_cell.value if code_cell else None)
        if res is not None:
            if res.rule:
                row.repaired(code_cell.column if code_cell else "", code_text, res.code, res.rule)
            return cat.get(res.code)
        # An exam name written in the code column.
        res = cat.resolve_name(code_text, hint)
        if res is not None:
            row.repaired(code_cell.column if code_cell else "", code_text, res.code, res.rule)
            return cat.get(res.code)
    if name_text is not None:
        res = cat.resolve_name(name_text, hint) or cat.resolve_code(name_text)
        if res is not None:
            column = code_cell.column if code_cell else (name_cell.column if name_cell else "")
            row.repaired(column, code_text or name_text, res.code, res.rule or "exam_name_to_code")
            return cat.get(res.code)
    if code_text is None and name_text is None:
        row.reject("no exam code or exam name")
    else:
        row.reject(f"unknown exam {code_text or name_text!r}: not a code or name of the exam list")
    return None


def _modality_hint(rec: Record) -> tuple[str, ...]:
    keys = {k for k in rec.cells if k in DOSE_KEYS}
    label, _ = _quantity_of_label(_text(rec.cells.get("quantity")))
    if label:
        keys.add(label)
    if keys & {"dlp", "ctdivol"}:
        return ("CT",)
    if "agd" in keys:
        return ("MG",)
    if "dap" in keys:
        return ("DX", "RF", "XA")
    return ()


def _dose_cells(rec: Record, exam: Exam | None, row: SurveyRow) -> dict[str, Cell]:
    """The record's dose cells by header field; a generic value cell gets its quantity here."""
    out = {k: c for k, c in rec.cells.items() if k in DOSE_KEYS}
    value = rec.cells.get("value")
    if value is None:
        return out
    label_q, label_unit = _quantity_of_label(_text(rec.cells.get("quantity")))
    q: str | None = label_q
    unit = label_unit or value.unit
    if q is None and unit is not None:
        if unit.quantity is Quantity.DAP:
            q = "dap"
        elif unit.quantity is Quantity.DLP:
            q = "dlp"
    if q is None and exam is not None:
        if exam.modality == "MG":
            q = "agd"
        elif exam.modality in ("DX", "RF", "XA"):
            q = "dap"
        elif unit is not None and unit.quantity is Quantity.AIR_KERMA:
            q = "ctdivol"
    if q is None:
        if exam is not None and exam.modality == "CT":
            out["ct_unlabelled"] = value
        return out
    out.setdefault(q, Cell(value.value, value.column, unit, value.decimal))
    return out


def _convert(row: SurveyRow, key: str, cell: Cell) -> float | None:
    """Parse a dose cell and convert it to the canonical unit, logging each change."""
    parsed = parse_number(cell.value, cell.decimal)
    raw = cell.value
    if parsed.error:
        row.repaired(cell.column, raw, None, f"unreadable_value: {parsed.error}")
        return None
    if parsed.value is None:
        if parsed.rule:
            row.repaired(cell.column, raw, None, parsed.rule)
        return None
    value = parsed.value
    if parsed.rule:
        row.repaired(cell.column, raw, value, parsed.rule)
    unit = parsed.unit or cell.unit
    if unit is not None:
        family = _FAMILY[key]
        if unit.quantity is not family:
            row.repaired(cell.column, raw, None, f"unit_conflict: {unit.text} is not a unit of {key.upper()}")
            return None
        f = unit.factor()
        if f != 1.0:
            new = value * f
            rule = "unit_in_cell_converted" if parsed.unit else "unit_from_header_converted"
            row.repaired(cell.column, f"{value:g} {unit.text}", f"{new:g}", rule)
            value = new
    if value < 0:
        row.repaired(cell.column, raw, None, "negative_value")
        return None
    if value == 0:
        row.repaired(cell.column, raw, None, "zero_value")
        return None
    return value


def _simple_number(row: SurveyRow, cell: Cell | None, bounds: tuple[float, float], name: str) -> float | None:
    if cell is None:
        return None
    parsed = parse_number(cell.value, cell.decimal)
    if parsed.error:
        row.repaired(cell.column, cell.value, None, f"unreadable_{name}: {parsed.error}")
        return None
    if parsed.value is None:
        if parsed.rule:
            row.repaired(cell.column, cell.value, None, parsed.rule)
        return None
    if parsed.rule:
        row.repaired(cell.column, cell.value, parsed.value, parsed.rule)
    if not bounds[0] <= parsed.value <= bounds[1]:
        row.repaired(cell.column, cell.value, None, f"implausible_{name}_cleared")
        return None
    return parsed.value


def _year(value: object) -> int | None:
    if isinstance(value, datetime):
        return value.year
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value) if 1980 <= value <= 2100 else None
    m = _YEAR.search(str(value))
    return int(m.group(1)) if m else None


def build_row(rec: Record, ctx: SheetContext) -> SurveyRow:
    """One survey row from a record; rejected rows keep their reason."""
    row = SurveyRow(ctx.file, ctx.sheet, rec.row, rec.column)
    row.repairs.extend(rec.repairs)
    for key in ("facility", "device", "data_source"):
        cell = rec.cells.get(key)
        setattr(row, key, _text(cell) or rec.meta.get(key))
    year_cell = rec.cells.get("year")
    if year_cell is not None and year_cell.value is not None:
        row.year = _year(year_cell.value)
        if row.year is None:
            row.repaired(year_cell.column, year_cell.value, None, "unreadable_year")
    if row.year is None and rec.meta.get("year"):
        row.year = _year(rec.meta["year"])
    name_cell = rec.cells.get("exam_name")
    row.exam_name = _text(name_cell)
    if rec.rejected:
        code = _text(rec.cells.get("exam_code"))
        row.exam_code = code
        row.reject(rec.rejected)
        return row
    exam = _resolve_exam(rec, row, ctx, _modality_hint(rec) or ctx.modalities)
    if exam is None:
        return row
    row.exam_code = exam.code
    doses = _dose_cells(rec, exam, row)
    wanted = {k for k, attr in FIELD_TO_ATTR.items() if attr in exam.quantities}
    for key, cell in doses.items():
        if key == "ct_unlabelled":
            continue
        if key not in wanted:
            if _text(cell) is not None:
                row.repaired(cell.column, cell.value, None, f"{key}_not_surveyed_for_{exam.modality}")
            continue
        value = _convert(row, key, cell)
        if value is not None:
            setattr(row, FIELD_TO_ATTR[key], value)
            row.value_columns[FIELD_TO_ATTR[key]] = cell.column
    if "ct_unlabelled" in doses and row.ctdivol_mgy is None and row.dlp_mgy_cm is None:
        cell = doses["ct_unlabelled"]
        value = _convert(row, "dlp", Cell(cell.value, cell.column, None, cell.decimal))
        if value is not None:
            # Quantity decided when the next row pairs with this one (see pair_ct_rows).
            row.value_columns["ct_unlabelled"] = cell.column
            row.dlp_mgy_cm = value
            rec.pair_candidate = True
    _phantom(rec, row)
    row.patient_weight_kg = _simple_number(row, rec.cells.get("weight"), WEIGHT_KG, "weight")
    row.patient_age_years = _simple_number(row, rec.cells.get("age"), AGE_YEARS, "age")
    sex = _text(rec.cells.get("sex"))
    if sex:
        s = fold(sex)[:1]
        row.patient_sex = {"m": "M", "w": "F", "f": "F", "d": "O", "o": "O"}.get(s)
    _mean_or_single(rec, row, ctx)
    if exam.modality == "CT" and row.ctdivol_mgy and row.dlp_mgy_cm and row.ctdivol_mgy > row.dlp_mgy_cm:
        c_col = row.value_columns.get("ctdivol_mgy", "")
        d_col = row.value_columns.get("dlp_mgy_cm", "")
        row.repaired(c_col, row.ctdivol_mgy, row.dlp_mgy_cm, "ctdivol_dlp_swapped")
        row.repaired(d_col, row.dlp_mgy_cm, row.ctdivol_mgy, "ctdivol_dlp_swapped")
        row.ctdivol_mgy, row.dlp_mgy_cm = row.dlp_mgy_cm, row.ctdivol_mgy
    if not rec.pair_candidate and all(getattr(row, a) is None for a in exam.quantities):
        row.reject(f"no readable {' or '.join(q.split('_')[0].upper() for q in exam.quantities)} value")
    return row


def _phantom(rec: Record, row: SurveyRow) -> None:
    cell = rec.cells.get("ctdi_phantom")
    text = _text(cell)
    if not text or cell is None:
        return
    t = fold(text)
    if _HEAD.search(t):
        row.ctdi_phantom = "head16"
    elif _BODY.search(t):
        row.ctdi_phantom = "body32"
    else:
        row.repaired(cell.column, text, None, "unknown_ctdi_phantom")


def _mean_or_single(rec: Record, row: SurveyRow, ctx: SheetContext) -> None:
    vt = rec.cells.get("value_type")
    nc = rec.cells.get("n_exams")
    n: int | None = None
    if nc is not None and nc.value is not None:
        parsed = parse_number(nc.value, nc.decimal)
        if parsed.value is not None and parsed.value >= 1 and float(parsed.value).is_integer():
            n = int(parsed.value)
        else:
            row.repaired(nc.column, nc.value, None, "unreadable_count")
    text = fold(_text(vt) or "")
    if text in _MEAN_WORDS or text.startswith("mittel") or text.startswith("mean"):
        row.is_mean = True
    elif text and not (text in _SINGLE_WORDS or text.startswith("einzel") or text.startswith("single")):
        assert vt is not None
        if n is not None and n > 1:
            row.is_mean = True
            row.repaired(vt.column, _text(vt), "mean", "value_type_from_count")
        else:
            row.repaired(vt.column, _text(vt), "single", "unknown_value_type_taken_as_single")
    elif not text and n is not None and n > 1:
        row.is_mean = True
        row.repaired(nc.column if nc else "", None, "mean", "value_type_from_count")
    if row.is_mean:
        if n is None:
            n = ctx.default_mean_count
            row.repaired(nc.column if nc else (vt.column if vt else ""), None, n, "mean_count_default")
        row.n_exams = n
    else:
        row.n_exams = 1


def pair_ct_rows(rows: Iterable[tuple[Record, SurveyRow]]) -> Iterator[SurveyRow]:
    """Join CT rows that carry CTDIvol and DLP on alternating rows into one exam each.

    A row with only CTDIvol followed (in the same numbered column of a wide sheet) by a row with only
    DLP for the same exam code becomes one row; without labels, the smaller of two values is CTDIvol.
    """
    pending: dict[str, tuple[Record, SurveyRow]] = {}

    def single_ct(rec: Record, row: SurveyRow) -> bool:
        return (
            row.status is not RowStatus.REJECTED
            and row.exam_code is not None
            and (rec.pair_candidate or ((row.ctdivol_mgy is None) != (row.dlp_mgy_cm is None)))
            and ("quantity" in rec.cells or rec.pair_candidate or _alternating_columns(row))
        )

    def flush(key: str) -> Iterator[SurveyRow]:
        rec, row = pending.pop(key)
        if rec.pair_candidate:
            row.reject("CT value without CTDIvol/DLP label and no partner row to tell which it is")
        yield row

    for rec, row in rows:
        key = rec.column
        if not single_ct(rec, row):
            if key in pending:
                yield from flush(key)
            yield row
            continue
        if key in pending:
            prec, prow = pending[key]
            if (
                prow.exam_code == row.exam_code
                and rec.row == prec.row + 1
                and _complement(prec, prow, rec, row)
            ):
                pending.pop(key)
                _join(prec, prow, rec, row)
                yield prow
                continue
            yield from flush(key)
        pending[key] = (rec, row)
    for key in list(pending):
        yield from flush(key)


def _alternating_columns(row: SurveyRow) -> bool:
    return (
        bool(row.value_columns) and len(row.value_columns) == 1 and "ct_unlabelled" not in row.value_columns
    )


def _complement(prec: Record, prow: SurveyRow, rec: Record, row: SurveyRow) -> bool:
    for attr in ("patient_weight_kg", "patient_age_years", "device", "facility"):
        a, b = getattr(prow, attr), getattr(row, attr)
        if a is not None and b is not None and a != b:
            return False  # two patients (or rooms), not one exam on two rows
    if prec.pair_candidate and rec.pair_candidate:
        return True
    if prec.pair_candidate or rec.pair_candidate:
        return False
    return (prow.ctdivol_mgy is None) != (row.ctdivol_mgy is None)


def _join(prec: Record, prow: SurveyRow, rec: Record, row: SurveyRow) -> None:
    """Merge ``row`` into ``prow`` (the first of the pair keeps the row number)."""
    if prec.pair_candidate:
        a, b = prow.dlp_mgy_cm, row.dlp_mgy_cm
        assert a is not None and b is not None
        ctdi, dlp = (a, b) if a <= b else (b, a)
        prow.ctdivol_mgy, prow.dlp_mgy_cm = ctdi, dlp
        col = prow.value_columns.pop("ct_unlabelled", "")
        prow.value_columns["ctdivol_mgy" if a <= b else "dlp_mgy_cm"] = col
        prow.value_columns["dlp_mgy_cm" if a <= b else "ctdivol_mgy"] = row.value_columns.get(
            "ct_unlabelled", ""
        )
        prow.repaired(col, None, "CTDIvol" if a <= b else "DLP", "ct_quantity_from_magnitude")
    else:
        for attr in ("ctdivol_mgy", "dlp_mgy_cm"):
            if getattr(prow, attr) is None and getattr(row, attr) is not None:
                setattr(prow, attr, getattr(row, attr))
                prow.value_columns[attr] = row.value_columns.get(attr, "")
    for attr in ("patient_weight_kg", "patient_age_years", "ctdi_phantom"):
        if getattr(prow, attr) is None and getattr(row, attr) is not None:
            setattr(prow, attr, getattr(row, attr))
    prow.repairs.extend(row.repairs)
    prow.repaired(
        "", f"row {row.source_row}", f"joined to row {prow.source_row}", "ct_alternating_rows_joined"
    )
