"""Find the header, the layout and the records of one sheet, as facilities really lay them out.

Handles title and metadata rows above the header, two-row headers with merged group cells, a unit row
under the header, missing header cells, long tables (one exam a row), wide tables (one exam code a
row, values in numbered columns, one device a sheet), CT values on alternating CTDIvol/DLP rows, empty,
duplicated and summary rows. Records go to :mod:`kerma.registry.repair` to become survey rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from kerma.registry.fields import DOSE_KEYS, HeaderField, classify
from kerma.registry.model import Repair
from kerma.registry.readers.base import CellValue, Merge, column_letter
from kerma.registry.textnorm import fold, words
from kerma.registry.values import Unit, decimal_evidence, find_unit, parse_number

HEAD_ROWS = 40
DECIMAL_SAMPLE = 5000

TEMPLATE_ORDER = (
    "data_source",
    "year",
    "facility",
    "device",
    "exam_code",
    "exam_name",
    "dap",
    "agd",
    "ctdivol",
    "dlp",
    "ctdi_phantom",
    "weight",
    "age",
    "sex",
    "value_type",
    "n_exams",
    "comment",
)
"""Column order of Kerma's template; used to name a column whose header cell is missing."""

META_FIELDS = ("facility", "device", "year", "data_source")
_SUMMARY = re.compile(r"^(?:summe|gesamt|total|mittelwert|durchschnitt|median|average|mean|sum)\b", re.I)
_VALUE_TYPE_WORDS = {"mittelwert", "einzelwert", "mw", "ew", "mean", "single", "einzel", "average"}


@dataclass(slots=True)
class Column:
    """A data column: where it is, what it holds and the unit its header states."""

    index: int
    field: str
    unit: Unit | None = None
    number: int | None = None
    title: str = ""

    @property
    def letter(self) -> str:
        """Column name as a spreadsheet shows it."""
        return column_letter(self.index)


@dataclass(slots=True)
class Cell:
    """One cell of a record: the raw value, the column it came from and that column's header unit."""

    value: CellValue
    column: str
    unit: Unit | None = None
    decimal: str | None = None


@dataclass(slots=True)
class Record:
    """The cells that make one exam, before values are parsed."""

    row: int
    column: str = ""
    cells: dict[str, Cell] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    rejected: str | None = None
    repairs: list[Repair] = field(default_factory=list)
    pair_candidate: bool = False


@dataclass(slots=True)
class Layout:
    """What was found about a sheet before its rows are read."""

    header_rows: list[int]
    columns: list[Column]
    wide: bool
    meta: dict[str, str]
    notes: list[str] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)


def _expand(
    rownum: int, cells: list[CellValue], merges: list[Merge], rows: dict[int, list[CellValue]]
) -> list[CellValue]:
    """The row with merged ranges filled from their top-left cell (as the reader sees a merged title)."""
    out = list(cells)
    for m in merges:
        if m.first_row <= rownum <= m.last_row:
            top = rows.get(m.first_row, [])
            value = top[m.first_col] if m.first_col < len(top) else None
            if len(out) <= m.last_col:
                out.extend([None] * (m.last_col + 1 - len(out)))
            for c in range(m.first_col, m.last_col + 1):
                if out[c] is None:
                    out[c] = value
    return out


def _score(cells: list[CellValue]) -> tuple[int, int]:
    found: set[str] = set()
    numbered = 0
    for v in cells:
        if isinstance(v, str):
            hf = classify(v)
            if hf is None:
                continue
            if hf.number is not None:
                numbered += 1
            found.add(hf.field)
    useful = found & {*DOSE_KEYS, "value", "exam_code", "exam_name"}
    if not useful:
        return 0, 0
    return len(found - {"reference"}) + (1 if numbered >= 3 else 0), numbered


def _is_unit_only(v: CellValue) -> bool:
    if not isinstance(v, str):
        return False
    u = find_unit(v)
    return u is not None and not words(v.replace(u.text, " ").replace("in", " "))


def meta_from_rows(rows: list[tuple[int, list[CellValue]]]) -> dict[str, str]:
    """``Einrichtung: Klinikum Nord`` / ``Jahr | 2023`` pairs in title rows above the header."""
    meta: dict[str, str] = {}
    for _, cells in rows:
        # A label without ":" only counts in a short row ("Jahr | 2023"), never in a header row.
        short = sum(1 for v in cells if v is not None and str(v).strip()) <= 3
        for i, v in enumerate(cells):
            if not isinstance(v, str) or not v.strip():
                continue
            label, sep, rest = v.partition(":")
            if not sep:
                label, sep, rest = v.partition("=")
            if not sep and not short:
                continue
            hf = classify(label) if label.strip() else None
            if hf is None or hf.field not in META_FIELDS or hf.number is not None:
                continue
            value: object = rest.strip()
            if not value:
                nxt = next((x for x in cells[i + 1 :] if x is not None and str(x).strip()), None)
                value = nxt if nxt is not None else ""
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            text = str(value).strip()
            if text and hf.field not in meta:
                meta[hf.field] = text
    return meta


def find_layout(head: list[tuple[int, list[CellValue]]], merges: list[Merge]) -> Layout | None:
    """Header rows, columns and meta of a sheet from its first rows; None when there is no header."""
    if not head:
        return None
    by_num = dict(head)
    expanded = [(r, _expand(r, c, merges, by_num)) for r, c in head]
    best_i, best = -1, (0, 0)
    for i, (_, cells) in enumerate(expanded):
        sc = _score(cells)
        if sc[0] >= 2 and sc > best:
            best_i, best = i, sc
    if best_i < 0:
        return None
    hrow, hcells = expanded[best_i]
    header_rows = [hrow]
    texts: list[list[str]] = [[str(v) if v is not None else "" for v in hcells]]
    # A group row directly above (merged titles such as "Dosis" over DAP and DLP) joins the header.
    if best_i > 0 and expanded[best_i - 1][0] == hrow - 1:
        above_num, above = expanded[best_i - 1]
        merged_above = any(
            m.first_row <= above_num <= m.last_row and m.last_col > m.first_col for m in merges
        )
        vertical = any(m.first_row <= above_num and m.last_row >= hrow for m in merges)
        if merged_above or vertical:
            header_rows.insert(0, above_num)
            texts.insert(0, [str(v) if v is not None else "" for v in above])
    # A row of units under the header joins it.
    unit_row: list[CellValue] = []
    if best_i + 1 < len(expanded) and expanded[best_i + 1][0] == hrow + 1:
        below = expanded[best_i + 1][1]
        filled = [v for v in below if v is not None and str(v).strip()]
        if filled and all(_is_unit_only(v) for v in filled):
            header_rows.append(hrow + 1)
            unit_row = below
    width = max(len(t) for t in texts)
    columns: list[Column] = []
    for c in range(width):
        parts: list[str] = []
        for t in texts:
            if c < len(t) and t[c].strip() and (not parts or parts[-1] != t[c]):
                parts.append(t[c])  # a title merged over both header rows is read once
        # The lower (more specific) title first; the group title only when the lower one says nothing.
        hf: HeaderField | None = None
        for part in (" ".join(parts), *reversed(parts)):
            hf = classify(part) if part else None
            if hf is not None and hf.field != "value":
                break
        if hf is None:
            for part in reversed(parts):
                hf = classify(part)
                if hf is not None:
                    break
        unit = hf.unit if hf else None
        if c < len(unit_row) and isinstance(unit_row[c], str):
            unit = find_unit(str(unit_row[c])) or unit
        if hf is not None:
            columns.append(Column(c, hf.field, unit, hf.number, " / ".join(parts)))
        elif parts:
            columns.append(Column(c, "ignored", None, None, " / ".join(parts)))
    meta = meta_from_rows([(r, c) for r, c in head if r < header_rows[0]])
    numbered = [col for col in columns if col.number is not None]
    # "Patient 1, Patient 2" is a wide sheet even with two columns; "DAP 1, DAP 2, DAP 3" from three on.
    generic = [col for col in numbered if col.field == "value"]
    return Layout(header_rows, columns, wide=len(numbered) >= 3 or len(generic) >= 2, meta=meta)


_TEXT_FIELDS = {"exam_name", "device", "facility", "data_source", "value_type", "comment", "sex", "exam_code"}
_CT_FIELDS = ("ctdivol", "dlp")


def infer_missing_headers(
    layout: Layout, sample: list[tuple[int, list[CellValue]]], where: tuple[str, str]
) -> None:
    """Name data columns whose header cell is empty: by template position and by their values.

    Candidates are the template fields between the named neighbours that the sheet does not have yet;
    numbers rule out text fields; a sheet with one CT quantity is missing the other; several dose
    quantities left over make a generic dose column whose quantity the exam code decides.
    """
    named = {c.index: c for c in layout.columns}
    used = {c.field for c in layout.columns}
    width = max((len(cells) for _, cells in sample), default=0)
    file, sheet = where
    for idx in range(width):
        if idx in named:
            continue
        values = [cells[idx] for _, cells in sample if idx < len(cells) and cells[idx] is not None]
        if not values:
            continue
        left = next((named[i].field for i in range(idx - 1, -1, -1) if i in named), None)
        right = next((named[i].field for i in range(idx + 1, width + 64) if i in named), None)
        guess = _guess(values, _between(left, right), used)
        letter = column_letter(idx)
        if guess is None:
            layout.notes.append(
                f"column {letter} has no header and could not be identified: "
                f"its {len(values)} values were not read"
            )
            continue
        col = Column(idx, guess, None, None, "")
        layout.columns.append(col)
        named[idx] = col
        used.add(guess)
        layout.repairs.append(
            Repair(file, sheet, layout.header_rows[-1], letter, None, guess, "missing_header_inferred")
        )
    layout.columns.sort(key=lambda c: c.index)


def _between(left: str | None, right: str | None) -> list[str]:
    order = list(TEMPLATE_ORDER)
    lo = order.index(left) + 1 if left in order else 0
    hi = order.index(right) if right in order else len(order)
    return order[lo:hi] if lo < hi else order


def _numeric(v: CellValue) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    return isinstance(v, str) and parse_number(v, None).value is not None


def _guess(values: list[CellValue], between: list[str], used: set[str]) -> str | None:
    texts = [fold(str(v)) for v in values]
    if "value_type" not in used and all(t in _VALUE_TYPE_WORDS for t in texts):
        return "value_type"
    cands = [f for f in between if f not in used]
    numeric = sum(_numeric(v) for v in values) >= 0.8 * len(values)
    if numeric:
        cands = [f for f in cands if f not in _TEXT_FIELDS]
        if "ctdi_phantom" in cands and not all(t.strip() in ("16", "32", "16.0", "32.0") for t in texts):
            cands.remove("ctdi_phantom")
        if "year" in cands and not all(t.isdigit() and 1990 <= int(t) <= 2100 for t in texts):
            cands.remove("year")
    else:
        cands = [f for f in cands if f in _TEXT_FIELDS]
    doses = [f for f in cands if f in DOSE_KEYS]
    if doses:
        present_ct = [f for f in _CT_FIELDS if f in used]
        if present_ct and len(present_ct) == 1:
            partner = "dlp" if present_ct[0] == "ctdivol" else "ctdivol"
            if partner in doses:
                return partner
        others = [f for f in cands if f not in DOSE_KEYS]
        if not others:
            return doses[0] if len(doses) == 1 else "value"
    return cands[0] if len(cands) == 1 else None


def column_decimals(
    columns: list[Column], sample: list[tuple[int, list[CellValue]]]
) -> dict[int, str | None]:
    """The decimal mark each column's text numbers use (``","``/``"."``), from unambiguous values."""
    votes: dict[int, dict[str, int]] = {}
    for _, cells in sample:
        for col in columns:
            if col.index < len(cells) and isinstance(cells[col.index], str):
                ev = decimal_evidence(str(cells[col.index]))
                if ev:
                    v = votes.setdefault(col.index, {",": 0, ".": 0})
                    v[ev] += 1
    out: dict[int, str | None] = {}
    sheet_total = {",": 0, ".": 0}
    for v in votes.values():
        sheet_total[","] += v[","]
        sheet_total["."] += v["."]
    sheet_mark = "," if sheet_total[","] > sheet_total["."] else "." if sheet_total["."] else None
    for col in columns:
        cv = votes.get(col.index)
        if cv and cv[","] != cv["."]:
            out[col.index] = "," if cv[","] > cv["."] else "."
        else:
            out[col.index] = sheet_mark
    return out


def is_summary_row(rec: Record) -> bool:
    """A total/average line under the data ("Summe", "Mittelwert") rather than an exam."""
    for key in ("exam_code", "exam_name", "facility", "device", "data_source"):
        cell = rec.cells.get(key)
        if cell is not None and isinstance(cell.value, str) and _SUMMARY.match(cell.value.strip()):
            return True
    return False


def iter_records(
    layout: Layout,
    rows: Iterator[tuple[int, list[CellValue]]],
    decimals: dict[int, str | None],
    where: tuple[str, str],
    counters: dict[str, int],
) -> Iterator[Record]:
    """Records of the data rows: one per long row, one per filled numbered column of a wide row."""
    file, sheet = where
    plain = [c for c in layout.columns if c.number is None and c.field not in ("ignored", "reference")]
    numbered = [c for c in layout.columns if c.number is not None]
    first_of: dict[str, Column] = {}
    for c in plain:
        if c.field in first_of:
            layout.notes.append(
                f"column {c.letter} ({c.title}) repeats {c.field} of column "
                f"{first_of[c.field].letter}: not read"
            )
        else:
            first_of[c.field] = c
    seen: dict[tuple[object, ...], int] = {}
    last_code: Cell | None = None
    last_code_row = -1
    for rownum, cells in rows:
        if rownum in layout.header_rows:
            continue
        filled = [v for v in cells if v is not None and not (isinstance(v, str) and not v.strip())]
        if not filled:
            counters["empty_rows"] = counters.get("empty_rows", 0) + 1
            continue
        base = Record(row=rownum, meta=dict(layout.meta))
        for fld, col in first_of.items():
            if col.index < len(cells) and cells[col.index] is not None:
                base.cells[fld] = Cell(cells[col.index], col.letter, col.unit, decimals.get(col.index))
        sig = tuple(filled)
        if len(filled) >= 2 and sig in seen:
            base.rejected = f"duplicate of row {seen[sig]}"
            yield base
            continue
        seen.setdefault(sig, rownum)
        if is_summary_row(base):
            base.rejected = "summary row (total or average of the rows above), not an exam"
            yield base
            continue
        # A code written once for a block of rows (the CT DLP row under its CTDIvol row) carries down.
        code = base.cells.get("exam_code") or base.cells.get("exam_name")
        if code is None and last_code is not None and last_code_row == rownum - 1:
            key = "exam_code" if "exam_code" in first_of else "exam_name"
            base.cells[key] = last_code
            base.repairs.append(
                Repair(file, sheet, rownum, last_code.column, None, str(last_code.value), "exam_carried_down")
            )
            code = last_code
        if code is not None:
            last_code = code
            last_code_row = rownum
        if not layout.wide:
            yield base
            continue
        by_number: dict[int, dict[str, Column]] = {}
        for col in numbered:
            by_number.setdefault(col.number or 0, {})[col.field] = col
        produced = False
        for num in sorted(by_number):
            group = by_number[num]
            dose_col = next((group[f] for f in (*DOSE_KEYS, "value") if f in group), None)
            if dose_col is None or dose_col.index >= len(cells) or cells[dose_col.index] is None:
                continue
            rec = Record(row=rownum, column=dose_col.letter, cells=dict(base.cells), meta=base.meta)
            for fld, col in group.items():
                if col.index < len(cells) and cells[col.index] is not None:
                    rec.cells[fld] = Cell(cells[col.index], col.letter, col.unit, decimals.get(col.index))
            produced = True
            yield rec
        if not produced:
            base.rejected = "row has no values in the numbered columns"
            yield base
