"""Reader for CSV survey files as facilities save them: UTF-8 (with or without BOM), UTF-16 or
Windows-1252, separated by semicolons (German spreadsheet programs), commas or tabs. Streams rows.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from kerma.registry.readers.base import CellValue, Sheet, Workbook

_SNIFF_BYTES = 64 * 1024


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    # A byte that is not UTF-8 in an otherwise UTF-8 file is read as Windows-1252 (mixed saves happen).
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return bytes(bad).decode("cp1252", errors="replace"), exc.end


codecs.register_error("kerma-cp1252", _cp1252_fallback)


def detect_encoding(head: bytes) -> str:
    """The encoding to read a text file with, from its first bytes."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sniff window is still UTF-8.
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
        return "cp1252"


def detect_delimiter(sample: str) -> str:
    """The field separator: the candidate that splits the first lines most consistently."""
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    best, best_score = ",", -1.0
    for cand in (";", ",", "\t", "|"):
        counts = [ln.count(cand) for ln in lines]
        if not counts or max(counts) == 0:
            continue
        # Most lines sharing the same (non-zero) count is what a real separator looks like.
        common = max(set(counts), key=counts.count)
        score = counts.count(common) * (1 if common else 0) + min(common, 20) / 100
        if cand == "," and ";" in sample:
            score -= 0.5  # German files use "," as the decimal mark inside ;-separated fields
        if score > best_score:
            best, best_score = cand, score
    return best


class CsvSheet(Sheet):
    """The one sheet of a CSV file; rows are numbered by record, as a spreadsheet program shows them."""

    def __init__(self, path: Path, encoding: str, delimiter: str) -> None:
        super().__init__(path.stem)
        self._path = path
        self._encoding = encoding
        self._delimiter = delimiter

    def rows(self) -> Iterator[tuple[int, list[CellValue]]]:
        """Stream the records."""
        errors = "kerma-cp1252" if self._encoding.startswith("utf-8") else "replace"
        with self._path.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding=self._encoding, errors=errors, newline="")
            reader = csv.reader(text, delimiter=self._delimiter)
            for n, rec in enumerate(reader, start=1):
                cells: list[CellValue] = [v if v.strip() != "" else None for v in rec]
                while cells and cells[-1] is None:
                    cells.pop()
                if cells:
                    yield n, cells


def open_csv(path: Path, head: bytes) -> Workbook:
    """Open a CSV file, noting the encoding and separator it was read with."""
    encoding = detect_encoding(head[:_SNIFF_BYTES])
    sample = head[:_SNIFF_BYTES].decode(
        encoding if encoding != "utf-8-sig" else "utf-8-sig", errors="replace"
    )
    delimiter = detect_delimiter(sample)
    names = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (with BOM)", "utf-16": "UTF-16", "cp1252": "Windows-1252"}
    seps = {";": "semicolon", ",": "comma", "\t": "tab", "|": "vertical bar"}
    notes = [f"read as {names.get(encoding, encoding)} text, {seps[delimiter]}-separated"]
    return Workbook("csv", iter([CsvSheet(path, encoding, delimiter)]), notes)
