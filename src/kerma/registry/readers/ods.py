"""Streaming reader for OpenDocument spreadsheets (.ods) with the standard library's expat parser.

All sheets live in one ``content.xml``; it is parsed in chunks and rows are handed over sheet by sheet.
Repeated rows and columns (how LibreOffice stores identical neighbours) are expanded, except trailing
empty ones; merged cells come from the spanned attributes, so they are known before the rows below.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Iterator
from datetime import datetime
from xml.parsers import expat

from kerma.registry.readers.base import CellValue, Merge, NoCachedValue, Sheet, UnreadableFile, Workbook

_CHUNK = 1 << 18  # 256 KiB of XML at a time: a few thousand rows in memory at most
# Identical non-empty rows are expanded up to this many times; more is a malformed or hostile file.
_MAX_ROW_REPEAT = 100_000
_MAX_COL_REPEAT = 1_000


class _Event:
    __slots__ = ("cells", "kind", "name", "repeat", "row")

    def __init__(
        self, kind: str, name: str = "", cells: list[CellValue] | None = None, repeat: int = 1
    ) -> None:
        self.kind = kind
        self.name = name
        self.cells = cells or []
        self.repeat = repeat
        self.row = 0


class OdsSheet(Sheet):
    """A sheet whose rows are pulled from the shared content.xml stream."""

    def __init__(self, name: str, events: Iterator[_Event], owner: OdsWorkbookStream) -> None:
        super().__init__(name)
        self._events = events
        self._owner = owner
        self.done = False

    def rows(self) -> Iterator[tuple[int, list[CellValue]]]:
        """Rows of this sheet, until the stream reaches the next sheet."""
        if self.done:
            return
        r = 0
        for ev in self._events:
            if ev.kind == "merge":
                self.merges.append(Merge(r + 1, ev.repeat, r + ev.row, ev.repeat + len(ev.cells) - 1))
                continue
            if ev.kind != "row":
                self._owner.pending = ev
                self.done = True
                return
            if any(c is not None for c in ev.cells):
                for _ in range(min(ev.repeat, _MAX_ROW_REPEAT)):
                    r += 1
                    yield r, list(ev.cells)
                r += max(0, ev.repeat - _MAX_ROW_REPEAT)
            else:
                r += ev.repeat
        self._owner.pending = None
        self.done = True


class OdsWorkbookStream:
    """Parses content.xml into sheet and row events."""

    def __init__(self, z: zipfile.ZipFile) -> None:
        self._z = z
        self.pending: _Event | None = None
        self.uncached_formulas = 0

    def events(self) -> Iterator[_Event]:
        """Sheet starts, merges and rows in document order."""
        out: list[_Event] = []
        row: list[CellValue] = []
        st: dict[str, object] = {}
        text: list[str] = []
        paras: list[str] = []
        depth = {"p": 0, "cell": False, "annotation": 0}

        def start(name: str, a: dict[str, str]) -> None:
            if name == "table:table":
                out.append(_Event("sheet", a.get("table:name", "?")))
            elif name == "table:table-row":
                row.clear()
                st["row_repeat"] = int(a.get("table:number-rows-repeated", "1"))
                st["pending_empty"] = 0
            elif name in ("table:table-cell", "table:covered-table-cell"):
                depth["cell"] = True
                st["cell"] = a
                st["covered"] = name == "table:covered-table-cell"
                paras.clear()
                rows_span = int(a.get("table:number-rows-spanned", "1"))
                cols_span = int(a.get("table:number-columns-spanned", "1"))
                if rows_span > 1 or cols_span > 1:
                    col = len(row) + int(st.get("pending_empty", 0))  # type: ignore[call-overload]
                    ev = _Event("merge", cells=[None] * cols_span, repeat=col)
                    ev.row = rows_span
                    out.append(ev)
            elif name == "office:annotation":
                depth["annotation"] += 1
            elif name == "text:p" and depth["cell"] and not depth["annotation"]:
                depth["p"] += 1
                text.clear()
            elif name == "text:s" and depth["p"]:
                text.append(" " * int(a.get("text:c", "1")))
            elif name == "text:tab" and depth["p"]:
                text.append("\t")
            elif name == "text:line-break" and depth["p"]:
                text.append("\n")

        def end(name: str) -> None:
            if name in ("table:table-cell", "table:covered-table-cell"):
                depth["cell"] = False
                a = st["cell"]
                assert isinstance(a, dict)
                value = self._value(a, paras)
                repeat = min(int(a.get("table:number-columns-repeated", "1")), _MAX_COL_REPEAT)
                if value is None:
                    st["pending_empty"] = int(st.get("pending_empty", 0)) + repeat  # type: ignore[call-overload]
                else:
                    row.extend([None] * int(st.get("pending_empty", 0)))  # type: ignore[call-overload]
                    st["pending_empty"] = 0
                    row.extend([value] * repeat)
            elif name == "table:table-row":
                out.append(_Event("row", cells=list(row), repeat=int(st.get("row_repeat", 1))))  # type: ignore[call-overload]
            elif name == "text:p" and depth["p"]:
                depth["p"] -= 1
                paras.append("".join(text))
            elif name == "office:annotation":
                depth["annotation"] -= 1

        def chars(s: str) -> None:
            if depth["p"] and not depth["annotation"]:
                text.append(s)

        p = expat.ParserCreate()
        p.buffer_text = True
        p.StartElementHandler = start
        p.EndElementHandler = end
        p.CharacterDataHandler = chars
        try:
            fh = self._z.open("content.xml")
        except KeyError:
            raise UnreadableFile("not a spreadsheet: the OpenDocument file has no content.xml") from None
        with fh:
            while chunk := fh.read(_CHUNK):
                p.Parse(chunk, False)
                yield from out
                out.clear()
            p.Parse(b"", True)
        yield from out

    def _value(self, a: dict[str, str], paras: list[str]) -> CellValue:
        vtype = a.get("office:value-type")
        formula = a.get("table:formula")
        if vtype is None:
            if formula:
                self.uncached_formulas += 1
                return NoCachedValue(formula)
            return "\n".join(paras) if paras and any(paras) else None
        if vtype in ("float", "percentage", "currency"):
            raw = a.get("office:value")
            if raw is None:
                if formula:
                    self.uncached_formulas += 1
                    return NoCachedValue(formula)
                return "\n".join(paras) or None
            num = float(raw)
            return int(num) if num.is_integer() and abs(num) < 1e15 else num
        if vtype == "date":
            raw = a.get("office:date-value", "")
            try:
                return datetime.fromisoformat(raw)
            except ValueError:
                return raw or None
        if vtype == "boolean":
            return a.get("office:boolean-value", "false") == "true"
        return "\n".join(paras) if paras else (a.get("office:string-value") or None)


def open_ods(path: str, z: zipfile.ZipFile) -> Workbook:
    """Open an OpenDocument spreadsheet; an encrypted one is rejected with the reason."""
    manifest = b""
    with contextlib.suppress(KeyError):
        manifest = z.read("META-INF/manifest.xml")
    if b"encryption-data" in manifest:
        raise UnreadableFile(
            "password-protected (encrypted) spreadsheet: it cannot be read without the password; "
            "ask the facility for a copy saved without a password"
        )
    stream = OdsWorkbookStream(z)
    events = stream.events()
    notes: list[str] = []

    def sheets() -> Iterator[Sheet]:
        ev: _Event | None = next(events, None)
        while ev is not None:
            if ev.kind == "sheet":
                sheet = OdsSheet(ev.name, events, stream)
                stream.pending = None
                yield sheet
                # Drain what the caller did not read, then continue with the next sheet event.
                for _ in sheet.rows():
                    pass
                ev = stream.pending
            else:
                ev = next(events, None)

    return Workbook("ods", sheets(), notes)
