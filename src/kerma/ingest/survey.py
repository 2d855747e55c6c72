"""Read one survey spreadsheet (.xlsx/.xlsm, .xls, .ods, .csv) as a facility sent it and repair it.

This is the reader/repair entry of registry mode; the rules live in :mod:`kerma.registry`. Like every
parser here it never touches a database: it returns a :class:`~kerma.registry.model.SurveyFile` with
every row (repaired or rejected with its reason) and every per-cell repair.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from kerma.registry.catalogue import Catalogue
from kerma.registry.fields import DOSE_KEYS
from kerma.registry.layout import (
    DECIMAL_SAMPLE,
    HEAD_ROWS,
    column_decimals,
    find_layout,
    infer_missing_headers,
    iter_records,
    meta_from_rows,
)
from kerma.registry.model import RowStatus, SheetResult, SurveyFile
from kerma.registry.readers import CellValue, Sheet, UnreadableFile, open_workbook
from kerma.registry.repair import DEFAULT_MEAN_COUNT, SheetContext, build_row, pair_ct_rows

_YEAR = re.compile(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)")
_NAME_NOISE = re.compile(
    r"(?i)\b(?:drw|drl|erhebung|survey|umfrage|daten|data|export|final|kopie|copy|v\d+|neu|new|korrigiert)\b"
)


@dataclass(slots=True)
class SurveyOptions:
    """How to read surveys: the exam list, the year when a file does not say, the count of a mean."""

    catalogue: Catalogue = field(default_factory=Catalogue)
    default_year: int | None = None
    default_mean_count: int = DEFAULT_MEAN_COUNT


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def facility_from_name(stem: str) -> str | None:
    """A facility name guessed from a file name: the words left after the year and survey words."""
    text = _NAME_NOISE.sub(" ", _YEAR.sub(" ", stem.replace("_", " ")))
    text = re.sub(r"[_\s]+", " ", text).strip(" -_.")
    return text or None


def read_survey(path: Path, options: SurveyOptions | None = None, name: str | None = None) -> SurveyFile:
    """Read and repair one survey file. ``name`` is how the file is called in logs (default: file name)."""
    opts = options or SurveyOptions()
    display = name or path.name
    out = SurveyFile(
        path=str(path), name=display, fmt=path.suffix.lower().lstrip("."), sha256=sha256_file(path)
    )
    try:
        wb = open_workbook(path)
    except UnreadableFile as exc:
        out.rejected = exc.reason
        return out
    out.fmt = wb.fmt
    file_meta: dict[str, str] = {}
    try:
        for sheet in wb.sheets():
            out.sheets.append(_read_sheet(sheet, display, opts, file_meta))
    except UnreadableFile as exc:
        out.rejected = exc.reason
        return out
    except Exception as exc:  # a damaged container shows up only while reading; the file is kept as rejected
        out.rejected = f"damaged file: {type(exc).__name__}: {exc}"
        return out
    out.notes.extend(wb.notes)
    _fill_file_level(out, Path(display), opts, file_meta)
    return out


def _read_sheet(sheet: Sheet, file: str, opts: SurveyOptions, file_meta: dict[str, str]) -> SheetResult:
    result = SheetResult(sheet.name)
    rows = sheet.rows()
    head = list(islice(rows, HEAD_ROWS))
    layout = find_layout(head, sheet.merges)
    rest: Iterator[tuple[int, list[CellValue]]] = iter(())
    sample: list[tuple[int, list[CellValue]]] = []
    where = (file, sheet.name)
    if layout is not None:
        first_data = layout.header_rows[-1]
        rest = chain(((r, c) for r, c in head if r > first_data), rows)
        sample = list(islice(rest, DECIMAL_SAMPLE))
        infer_missing_headers(layout, sample, where)
    if layout is None or not any(c.field in (*DOSE_KEYS, "value") for c in layout.columns):
        for k, v in meta_from_rows(head).items():
            file_meta.setdefault(k, v)
        n = len(head) + sum(1 for _ in rows) if layout is None else (len(head) + sum(1 for _ in rest))
        if n == 0:
            result.skipped = "empty sheet"
        elif layout is None:
            result.skipped = (
                f"no header row with survey columns in the first {HEAD_ROWS} rows: {n} rows not read"
            )
        else:
            result.skipped = f"no dose columns (exam list, instructions or cover sheet): {n} rows not read"
        result.notes.extend(sheet.notes)
        return result
    for k, v in layout.meta.items():
        file_meta.setdefault(k, v)
    has_device_column = any(c.field == "device" for c in layout.columns)
    if layout.wide and "device" not in layout.meta and not has_device_column:
        layout.meta["device"] = sheet.name
        result.notes.append(f"device taken from the sheet name {sheet.name!r} (one device per sheet)")
    decimals = column_decimals(layout.columns, sample)
    result.layout = "wide" if layout.wide else "long"
    modalities: tuple[str, ...] = ()
    fields = {c.field for c in layout.columns}
    if "value" in fields:
        modalities = ()  # a generic dose column: the row's exam may be of any modality
    elif fields & {"dlp", "ctdivol"}:
        modalities = ("CT",)
    elif "agd" in fields:
        modalities = ("MG",)
    elif "dap" in fields:
        modalities = ("DX", "RF", "XA")
    ctx = SheetContext(file, sheet.name, opts.catalogue, opts.default_mean_count, modalities)
    counters: dict[str, int] = {}
    records = iter_records(layout, chain(sample, rest), decimals, where, counters)
    result.rows = list(pair_ct_rows((rec, build_row(rec, ctx)) for rec in records))
    result.repairs.extend(layout.repairs)
    result.notes.extend(layout.notes)
    result.notes.extend(sheet.notes)
    if counters.get("empty_rows"):
        result.notes.append(f"{counters['empty_rows']} empty rows skipped")
    uncached = getattr(sheet, "uncached_formulas", 0)
    if uncached:
        result.notes.append(f"{uncached} formula cells have no stored result (file never calculated)")
    return result


def _fill_file_level(out: SurveyFile, path: Path, opts: SurveyOptions, file_meta: dict[str, str]) -> None:
    """Facility and year for rows that do not state them: cover sheet, file name, then ``--year``."""
    rows = out.rows()
    if any(r.facility is None for r in rows):
        fac = file_meta.get("facility")
        how = "the cover sheet"
        if fac is None:
            fac = facility_from_name(path.stem)
            how = "the file name"
        if fac is not None:
            out.notes.append(f"facility {fac!r} taken from {how} for rows that do not name one")
            for r in rows:
                r.facility = r.facility or fac
    if any(r.year is None for r in rows):
        year: int | None = None
        how = ""
        if file_meta.get("year"):
            m = _YEAR.search(file_meta["year"])
            year, how = (int(m.group(1)), "the cover sheet") if m else (None, "")
        if year is None:
            m = _YEAR.search(path.stem)
            year, how = (int(m.group(1)), "the file name") if m else (None, "")
        if year is None and opts.default_year is not None:
            year, how = opts.default_year, "--year"
        if year is not None:
            out.notes.append(f"survey year {year} taken from {how} for rows that do not state one")
        for r in rows:
            if r.year is None:
                if year is None:
                    r.reject("no survey year in the row, the file or its name (import with --year)")
                else:
                    r.year = year
    for r in rows:
        if r.facility is None and r.status is not RowStatus.REJECTED:
            r.reject("no facility in the row, the file or its name")
        if r.data_source is None and file_meta.get("data_source"):
            r.data_source = file_meta["data_source"]
        if r.device is None and file_meta.get("device"):
            r.device = file_meta["device"]
