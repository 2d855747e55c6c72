"""Reader for legacy .xls (BIFF) workbooks with xlrd; such files are at most 65 536 rows a sheet.

Formula cells give the result the file stores; macros are never read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import xlrd  # type: ignore[import-untyped]

from kerma.registry.readers.base import CellValue, Merge, Sheet, UnreadableFile, Workbook


class XlsSheet(Sheet):
    """One BIFF worksheet (already in memory: BIFF has no streaming access)."""

    def __init__(self, sh: Any, datemode: int) -> None:
        super().__init__(str(sh.name))
        self._sh = sh
        self._datemode = datemode
        self.merges = [Merge(r1 + 1, c1, r2, c2 - 1) for r1, r2, c1, c2 in sh.merged_cells]

    def rows(self) -> Iterator[tuple[int, list[CellValue]]]:
        """Rows with content, numbered as a spreadsheet program shows them."""
        sh = self._sh
        for rx in range(sh.nrows):
            cells: list[CellValue] = []
            for cell in sh.row(rx):
                cells.append(self._value(cell))
            while cells and cells[-1] is None:
                cells.pop()
            if cells:
                yield rx + 1, cells

    def _value(self, cell: Any) -> CellValue:
        ctype = cell.ctype
        if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return None
        if ctype == xlrd.XL_CELL_TEXT:
            text = str(cell.value)
            return text if text != "" else None
        if ctype == xlrd.XL_CELL_NUMBER:
            num = float(cell.value)
            return int(num) if num.is_integer() and abs(num) < 1e15 else num
        if ctype == xlrd.XL_CELL_DATE:
            try:
                return xlrd.xldate_as_datetime(cell.value, self._datemode)  # type: ignore[no-any-return]
            except (ValueError, OverflowError):
                return float(cell.value)
        if ctype == xlrd.XL_CELL_BOOLEAN:
            return bool(cell.value)
        if ctype == xlrd.XL_CELL_ERROR:
            return "#" + str(xlrd.error_text_from_code.get(cell.value, "ERROR")).lstrip("#")
        return None


def open_xls(path: str, data: bytes) -> Workbook:
    """Open a BIFF workbook; an encrypted one is rejected with the reason."""
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except xlrd.XLRDError as exc:
        msg = str(exc)
        if "encrypt" in msg.lower():
            raise UnreadableFile(
                "password-protected (encrypted) workbook: it cannot be read without the password; "
                "ask the facility for a copy saved without a password"
            ) from None
        raise UnreadableFile(f"not a readable .xls workbook: {msg}") from None
    except Exception as exc:  # xlrd raises assorted errors on damaged BIFF streams
        raise UnreadableFile(f"damaged .xls workbook: {exc}") from None
    notes: list[str] = []

    def sheets() -> Iterator[Sheet]:
        try:
            for i in range(book.nsheets):
                sh = book.sheet_by_index(i)
                yield XlsSheet(sh, book.datemode)
                book.unload_sheet(i)
        finally:
            book.release_resources()

    return Workbook("xls", sheets(), notes)
