"""Write rows as CSV, XLSX or JSON, streaming: memory stays flat whatever the row count."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import xlsxwriter

FORMATS = ("csv", "xlsx", "json")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep="T")
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]], fh: IO[str]) -> int:
    """CSV with a header row; returns the number of data rows."""
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(columns)
    n = 0
    for r in rows:
        w.writerow(["" if v is None else _cell(v) for v in r])
        n += 1
    return n


def write_json(columns: Sequence[str], rows: Iterable[Sequence[Any]], fh: IO[str]) -> int:
    """A JSON array of objects, one per row, written incrementally."""
    fh.write("[")
    n = 0
    for r in rows:
        fh.write(",\n" if n else "\n")
        fh.write(json.dumps({c: _cell(v) for c, v in zip(columns, r, strict=True)}, ensure_ascii=False))
        n += 1
    fh.write("\n]\n" if n else "]\n")
    return n


def write_xlsx(columns: Sequence[str], rows: Iterable[Sequence[Any]], path: Path, sheet: str = "data") -> int:
    """An XLSX workbook in constant-memory mode (rows are flushed as they are written)."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet(sheet[:31])
    bold = wb.add_format({"bold": True})
    dt_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws.write_row(0, 0, list(columns), bold)
    ws.freeze_panes(1, 0)
    n = 0
    for i, r in enumerate(rows, start=1):
        for j, v in enumerate(r):
            if v is None:
                continue
            if isinstance(v, datetime):
                ws.write_datetime(i, j, v, dt_fmt)
            elif isinstance(v, bool):
                ws.write_boolean(i, j, v)
            elif isinstance(v, (int, float)):
                ws.write_number(i, j, v)
            else:
                ws.write_string(i, j, str(_cell(v)))
        n = i
    wb.close()
    return n


def write_rows(
    fmt: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], out: Path | None, stdout: IO[str]
) -> int:
    """Write in ``fmt`` to ``out`` (or stdout for csv/json); returns the number of rows."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "xlsx":
        if out is None:
            raise ValueError("--format xlsx needs --out FILE")
        return write_xlsx(columns, rows, out)
    writer = write_csv if fmt == "csv" else write_json
    if out is None:
        return writer(columns, rows, stdout)
    with out.open("w", encoding="utf-8", newline="") as fh:
        return writer(columns, rows, fh)
