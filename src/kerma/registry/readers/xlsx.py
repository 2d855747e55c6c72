"""Streaming reader for .xlsx and .xlsm (Office Open XML) with the standard library's expat parser.

Memory stays flat whatever the sheet size: the sheet XML is decompressed and parsed in chunks and each
row is handed over as soon as it is complete. Formula cells give their cached result; a formula without
one becomes :class:`NoCachedValue`. Macros (``vbaProject.bin``) are never read, let alone run.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import IO
from xml.parsers import expat

from kerma.registry.readers.base import (
    CellValue,
    Merge,
    NoCachedValue,
    Sheet,
    UnreadableFile,
    Workbook,
    column_index,
    split_ref,
)

_CHUNK = 1 << 18  # 256 KiB of XML at a time: a few thousand rows in memory at most
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Built-in number formats that show dates or times (ECMA-376 part 1, 18.8.30).
_DATE_FORMAT_IDS = {*range(14, 23), 27, 30, 36, 45, 46, 47, 50, 57}
_DATE_CODE = re.compile(r"[dmyhs]", re.I)
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Za-z]+\d+)(?::([A-Za-z]+\d+))?"')


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _parse_small(
    data: bytes, start: Callable[[str, dict[str, str]], None], text: Callable[[str], None]
) -> None:
    p = expat.ParserCreate()
    p.StartElementHandler = lambda n, a: start(_local(n), {_local(k): v for k, v in a.items()})
    p.CharacterDataHandler = text
    p.Parse(data, True)


def _read_member(z: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        return z.read(name)
    except KeyError:
        return None


def _shared_strings(z: zipfile.ZipFile, path: str | None) -> list[str]:
    data = _read_member(z, path) if path else None
    if data is None:
        return []
    out: list[str] = []
    buf: list[str] = []
    state = {"in_t": False, "skip": 0}

    p = expat.ParserCreate()
    p.buffer_text = True

    def start(name: str, _a: dict[str, str]) -> None:
        local = _local(name)
        if local == "si":
            buf.clear()
        elif local == "t" and not state["skip"]:
            state["in_t"] = True
        elif local in ("rPh", "phoneticPr"):  # phonetic guides are not part of the text
            state["skip"] += 1

    def end(name: str) -> None:
        local = _local(name)
        if local == "si":
            out.append("".join(buf))
        elif local == "t":
            state["in_t"] = False
        elif local in ("rPh", "phoneticPr"):
            state["skip"] -= 1

    def text(s: str) -> None:
        if state["in_t"]:
            buf.append(s)

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = text
    p.Parse(data, True)
    return out


def _is_date_format(code: str) -> bool:
    return bool(_DATE_CODE.search(_QUOTED.sub("", code))) and "General" not in code


def _date_styles(z: zipfile.ZipFile, path: str | None) -> set[int]:
    """Indexes of cell styles (cellXfs) that display a date."""
    data = _read_member(z, path) if path else None
    if data is None:
        return set()
    custom: dict[int, str] = {}
    xfs: list[int] = []
    state = {"in_xfs": False}

    p = expat.ParserCreate()

    def start(name: str, a: dict[str, str]) -> None:
        local = _local(name)
        if local == "numFmt":
            custom[int(a.get("numFmtId", "0"))] = a.get("formatCode", "")
        elif local == "cellXfs":
            state["in_xfs"] = True
        elif local == "xf" and state["in_xfs"]:
            xfs.append(int(a.get("numFmtId", "0")))

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            state["in_xfs"] = False

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.Parse(data, True)
    return {
        i
        for i, fmt in enumerate(xfs)
        if fmt in _DATE_FORMAT_IDS or (fmt in custom and _is_date_format(custom[fmt]))
    }


def _serial_to_datetime(value: float, date1904: bool) -> datetime:
    base = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    return base + timedelta(days=value)


class XlsxSheet(Sheet):
    """One worksheet, parsed as it is read."""

    def __init__(
        self,
        z: zipfile.ZipFile,
        name: str,
        member: str,
        strings: list[str],
        date_styles: set[int],
        date1904: bool,
    ) -> None:
        super().__init__(name)
        self._z = z
        self._member = member
        self._strings = strings
        self._date_styles = date_styles
        self._date1904 = date1904
        self.merges = self._scan_merges()
        self.formula_cells = 0
        self.uncached_formulas = 0

    def _open(self) -> IO[bytes]:
        return self._z.open(self._member)

    def _scan_merges(self) -> list[Merge]:
        # <mergeCells> follows the cell data, so it is found by one fast byte scan before rows are read.
        merges: list[Merge] = []
        tail = b""
        with self._open() as fh:
            while chunk := fh.read(_CHUNK * 4):
                buf = tail + chunk
                for m in _MERGE.finditer(buf):
                    r1, c1 = split_ref(m.group(1).decode())
                    r2, c2 = split_ref(m.group(2).decode()) if m.group(2) else (r1, c1)
                    merges.append(Merge(r1, c1, r2, c2))
                tail = buf[-200:]
                # A merge whose text straddles two chunks is found in the overlap; drop repeats below.
        return sorted(set(merges), key=lambda g: (g.first_row, g.first_col))

    def rows(self) -> Iterator[tuple[int, list[CellValue]]]:
        """Stream the rows of the sheet."""
        done: list[tuple[int, list[CellValue]]] = []
        row: list[CellValue] = []
        buf: list[str] = []
        names: dict[str, str] = {}
        # Parser state in closure variables: this is the hot loop of a 200 MB sheet.
        r = 0
        col = -1
        ctype = "n"
        style = -1
        formula: str | None = None
        value: str | None = None
        kind = ""
        convert = self._cell

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal r, col, ctype, style, formula, value, kind
            tag = names.get(name) or names.setdefault(name, name.rpartition(":")[2])
            if tag == "c":
                ref = attrs.get("r")
                col = column_index(ref.rstrip("0123456789")) if ref else col + 1
                ctype = attrs.get("t", "n")
                s = attrs.get("s")
                style = int(s) if s else -1
                formula = None
                value = None
            elif tag == "v" or tag == "f" or tag == "t":
                kind = tag
                buf.clear()
            elif tag == "row":
                ref = attrs.get("r")
                r = int(ref) if ref else r + 1
                col = -1
                row.clear()

        def end(name: str) -> None:
            nonlocal formula, value, kind
            tag = names.get(name) or names.setdefault(name, name.rpartition(":")[2])
            if tag == "c":
                v = convert(ctype, style, formula, value)
                if v is not None:
                    if len(row) <= col:
                        row.extend([None] * (col + 1 - len(row)))
                    row[col] = v
            elif tag == "v":
                value = "".join(buf)
                kind = ""
            elif tag == "f":
                formula = "".join(buf) or "(shared formula)"
                kind = ""
            elif tag == "t":
                value = (value or "") + "".join(buf)
                kind = ""
            elif tag == "row" and row:
                done.append((r, list(row)))

        def text(s: str) -> None:
            if kind:
                buf.append(s)

        p = expat.ParserCreate()
        p.buffer_text = True
        p.StartElementHandler = start
        p.EndElementHandler = end
        p.CharacterDataHandler = text
        with self._open() as fh:
            while chunk := fh.read(_CHUNK):
                p.Parse(chunk, False)
                if done:
                    yield from done
                    done.clear()
            p.Parse(b"", True)
        yield from done
        if self.formula_cells:
            self.notes.append(f"{self.formula_cells} formula cells read from their cached results")

    def _cell(self, t: str, style: int, f: str | None, v: str | None) -> CellValue:
        if f is not None:
            self.formula_cells += 1
            if v is None or (v == "" and t != "str"):
                self.uncached_formulas += 1
                return NoCachedValue(f)
        if v is None:
            return None
        if t == "n":
            try:
                num = float(v)
            except ValueError:
                return v
            if style >= 0 and style in self._date_styles:
                try:
                    return _serial_to_datetime(num, self._date1904)
                except OverflowError:
                    return num
            return int(num) if num.is_integer() and abs(num) < 1e15 else num
        if t == "s":
            try:
                return self._strings[int(v)]
            except (ValueError, IndexError):
                return None
        if t == "str" or t == "inlineStr":
            return v
        if t == "b":
            return v.strip() in ("1", "true")
        if t == "d":
            try:
                return datetime.fromisoformat(v)
            except ValueError:
                return v
        return v  # error values such as #DIV/0! stay text; the repair rules reject them


def _workbook_parts(z: zipfile.ZipFile) -> tuple[list[tuple[str, str, str]], bool, dict[str, str]]:
    """[(sheet name, member path, state)], the 1904 date flag, and workbook-level part paths."""
    data = _read_member(z, "xl/workbook.xml")
    if data is None:
        raise UnreadableFile("not a workbook: the zip file has no xl/workbook.xml")
    sheets: list[tuple[str, str, str]] = []
    flags = {"date1904": False}

    def start(name: str, a: dict[str, str]) -> None:
        if name == "sheet":
            sheets.append((a.get("name", "?"), a.get("id", ""), a.get("state", "visible")))
        elif name == "workbookPr":
            flags["date1904"] = a.get("date1904", "0") in ("1", "true")

    _parse_small(data, start, lambda _s: None)
    rels: dict[str, str] = {}
    rel_types: dict[str, str] = {}
    rel_data = _read_member(z, "xl/_rels/workbook.xml.rels")
    if rel_data is not None:

        def rstart(name: str, a: dict[str, str]) -> None:
            if name == "Relationship":
                target = a.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
                rels[a.get("Id", "")] = path
                rel_types[a.get("Type", "").rsplit("/", 1)[-1]] = path

        _parse_small(rel_data, rstart, lambda _s: None)
    out = []
    for i, (name, rid, state) in enumerate(sheets, start=1):
        member = rels.get(rid) or f"xl/worksheets/sheet{i}.xml"
        out.append((name, member, state))
    return out, flags["date1904"], rel_types


def open_xlsx(path: str, z: zipfile.ZipFile) -> Workbook:
    """Open an OOXML workbook (already known to be a zip with xl/workbook.xml)."""
    parts, date1904, rel_types = _workbook_parts(z)
    names = set(z.namelist())
    notes: list[str] = []
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        notes.append("workbook contains macros (VBA); they were not run: only cell values were read")
    strings = _shared_strings(z, rel_types.get("sharedStrings", "xl/sharedStrings.xml"))
    date_styles = _date_styles(z, rel_types.get("styles", "xl/styles.xml"))

    def sheets() -> Iterator[Sheet]:
        for name, member, state in parts:
            if member not in names:
                notes.append(f"sheet {name!r}: part {member} missing from the file")
                continue
            sheet = XlsxSheet(z, name, member, strings, date_styles, date1904)
            if state != "visible":
                sheet.notes.append(f"sheet is {state}")
            yield sheet

    return Workbook("xlsx", sheets(), notes)
