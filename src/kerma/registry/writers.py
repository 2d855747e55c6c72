"""Write a simple sheet model (cells, merged ranges, formulas with or without results) as .xlsx, .xls,
.ods or .csv. Used by the survey simulator and tests to produce files the way facilities' programs do.
"""

# ruff: noqa: E501 - SVG, XML and HTML markup reads better unbroken than split at 110 characters

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import xlsxwriter
import xlwt  # type: ignore[import-untyped]

from kerma.registry.readers.base import column_letter


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula cell; ``cached`` is the result stored in the file (None: never calculated)."""

    text: str
    cached: float | None = None


Value = str | int | float | Formula | None


@dataclass(slots=True)
class SheetModel:
    """Rows of cells (row 1 is ``rows[0]``) with merged ranges (1-based rows, 0-based columns)."""

    name: str
    rows: list[list[Value]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)


def write_xlsx(path: Path, sheets: Sequence[SheetModel], vba: bytes | None = None) -> None:
    """Office Open XML workbook (macro-enabled .xlsm when ``vba`` project bytes are given)."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    if vba is not None:
        tmp = path.with_suffix(".vba.bin")
        tmp.write_bytes(vba)
        wb.add_vba_project(str(tmp))
    for sm in sheets:
        ws = wb.add_worksheet(sm.name[:31])
        merged_cells = set()
        for r1, c1, r2, c2 in sm.merges:
            value = sm.rows[r1 - 1][c1] if c1 < len(sm.rows[r1 - 1]) else None
            ws.merge_range(r1 - 1, c1, r2 - 1, c2, "" if value is None else value)
            merged_cells |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for i, row in enumerate(sm.rows, start=1):
            for j, v in enumerate(row):
                if v is None or (i, j) in merged_cells:
                    continue
                if isinstance(v, Formula):
                    if v.cached is None:
                        ws.write_formula(i - 1, j, v.text)
                    else:
                        ws.write_formula(i - 1, j, v.text, None, v.cached)
                elif isinstance(v, str):
                    ws.write_string(i - 1, j, v)
                else:
                    ws.write_number(i - 1, j, v)
    wb.close()
    if vba is not None:
        path.with_suffix(".vba.bin").unlink()


def write_xls(path: Path, sheets: Sequence[SheetModel]) -> None:
    """Legacy BIFF8 workbook (.xls) with xlwt; formulas are written as their value."""
    wb = xlwt.Workbook(encoding="utf-8")
    for sm in sheets:
        ws = wb.add_sheet(sm.name[:31], cell_overwrite_ok=True)
        merged_cells = set()
        for r1, c1, r2, c2 in sm.merges:
            value = sm.rows[r1 - 1][c1] if c1 < len(sm.rows[r1 - 1]) else None
            ws.write_merge(r1 - 1, r2 - 1, c1, c2, "" if value is None else value)
            merged_cells |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for i, row in enumerate(sm.rows, start=1):
            for j, v in enumerate(row):
                if v is None or (i, j) in merged_cells:
                    continue
                ws.write(i - 1, j, v.cached if isinstance(v, Formula) else v)
    wb.save(str(path))


_ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
_ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)


def _ods_cell(v: Value, span: tuple[int, int] | None) -> str:
    attrs = ""
    if span is not None:
        attrs += f' table:number-rows-spanned="{span[0]}" table:number-columns-spanned="{span[1]}"'
    if v is None:
        return f"<table:table-cell{attrs}/>"
    if isinstance(v, Formula):
        f = quoteattr("of:" + v.text)
        if v.cached is None:
            return f"<table:table-cell{attrs} table:formula={f}/>"
        return (
            f'<table:table-cell{attrs} table:formula={f} office:value-type="float" office:value="{v.cached!r}">'
            f"<text:p>{v.cached}</text:p></table:table-cell>"
        )
    if isinstance(v, str):
        return f'<table:table-cell{attrs} office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>'
    return (
        f'<table:table-cell{attrs} office:value-type="float" office:value="{v!r}">'
        f"<text:p>{v}</text:p></table:table-cell>"
    )


def write_ods(path: Path, sheets: Sequence[SheetModel]) -> None:
    """OpenDocument spreadsheet with merged cells (spanned + covered cells) and formulas."""
    buf = io.StringIO()
    buf.write(_ODS_HEAD)
    for sm in sheets:
        buf.write(f"<table:table table:name={quoteattr(sm.name)}>")
        spans = {(r1, c1): (r2 - r1 + 1, c2 - c1 + 1) for r1, c1, r2, c2 in sm.merges}
        covered = {
            (r, c)
            for r1, c1, r2, c2 in sm.merges
            for r in range(r1, r2 + 1)
            for c in range(c1, c2 + 1)
            if (r, c) != (r1, c1)
        }
        for i, row in enumerate(sm.rows, start=1):
            buf.write("<table:table-row>")
            width = max([len(row)] + [c2 + 1 for r1, _c1, r2, c2 in sm.merges if r1 <= i <= r2])
            for j in range(width):
                v = row[j] if j < len(row) else None
                if (i, j) in covered:
                    buf.write("<table:covered-table-cell/>")
                else:
                    buf.write(_ods_cell(v, spans.get((i, j))))
            buf.write("</table:table-row>")
        buf.write("</table:table>")
    buf.write("</office:spreadsheet></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED
        )
        z.writestr("META-INF/manifest.xml", _ODS_MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", buf.getvalue(), compress_type=zipfile.ZIP_DEFLATED)


def _csv_text(v: Value) -> str:
    if v is None:
        return ""
    if isinstance(v, Formula):
        return "" if v.cached is None else repr(v.cached)
    return str(v)


def write_csv(path: Path, sheet: SheetModel, encoding: str = "utf-8", delimiter: str = ",") -> None:
    """One sheet as CSV (merged ranges become their top-left text)."""
    with path.open("w", encoding=encoding, newline="", errors="strict") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        for row in sheet.rows:
            w.writerow([_csv_text(v) for v in row])


def cell_name(row: int, col: int) -> str:
    """``A1``-style name of a 1-based row and 0-based column."""
    return f"{column_letter(col)}{row}"
