"""DRL sets: the shipped (built-in) sets, import from CSV/XLSX with unit conversion, edits as new
versions, and which sets are active at which site.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from kerma.analytics.bands import Band, parse_band
from kerma.analytics.quantities import DEFAULT_PER, PER, QUANTITIES
from kerma.domain.units import Quantity, UnitError, to_canonical
from kerma.nomenclature.codes import catalogue
from kerma.store.schema.drl import drl_active_sets, drl_sets, drl_values
from kerma.store.writer import utcnow

ALL_SITES = "*"
DEFAULT_ACTIVE = ("DE-BFS-2022-DX", "DE-BFS-2016-CT", "DE-BFS-2010")
"""Sets in force where no site has chosen any: the German sets, whose exam codes Kerma ships."""

_QUANTITY_NAMES = {
    "dlp": "dlp_mgy_cm",
    "dlp_mgy_cm": "dlp_mgy_cm",
    "ctdivol": "ctdivol_mgy",
    "ctdi_vol": "ctdivol_mgy",
    "ctdivol_mgy": "ctdivol_mgy",
    "dap": "dap_gy_cm2",
    "kap": "dap_gy_cm2",
    "pka": "dap_gy_cm2",
    "dfp": "dap_gy_cm2",
    "dap_gy_cm2": "dap_gy_cm2",
    "agd": "agd_mgy",
    "mgd": "agd_mgy",
    "agd_mgy": "agd_mgy",
}
_UNIT_QUANTITY = {
    "dlp_mgy_cm": Quantity.DLP,
    "ctdivol_mgy": Quantity.AIR_KERMA,
    "dap_gy_cm2": Quantity.DAP,
    "agd_mgy": Quantity.AIR_KERMA,
}
_COLUMNS = {
    "exam_code": ("exam_code", "code", "exam_code_or_name"),
    "exam_name": ("exam_name", "name", "exam"),
    "modality": ("modality",),
    "clinical_indication": ("clinical_indication", "indication"),
    "band": ("band", "age_or_size_band", "band_label", "patient_band"),
    "quantity": ("quantity",),
    "per": ("per",),
    "value": ("value", "drl"),
    "unit": ("unit",),
    "note": ("note",),
}


@dataclass(frozen=True, slots=True)
class DrlValue:
    """One DRL value in canonical units."""

    modality: str
    exam_code: str
    exam_name: str | None
    clinical_indication: str
    band: Band
    quantity: str
    per: str
    value: float
    published_value: float | None = None
    published_unit: str | None = None
    note: str | None = None
    set_key: str = ""
    set_version: int = 0
    set_year: int | None = None

    @property
    def entry_key(self) -> tuple[str, str, str, str]:
        """What must be unique within a set."""
        return (self.exam_code, self.clinical_indication, self.band.label, self.quantity)


@dataclass(slots=True)
class ParsedTable:
    """Values read from a file, with warnings (kept going) and errors (the file is refused)."""

    values: list[DrlValue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _pick(row: Mapping[str, Any], name: str) -> str:
    for alias in _COLUMNS[name]:
        for k, v in row.items():
            if k is not None and str(k).strip().lower() == alias and v is not None:
                return str(v).strip()
    return ""


def parse_rows(
    rows: Iterable[Mapping[str, Any]], known_codes: Mapping[str, Any] | None = None
) -> ParsedTable:
    """Check and convert table rows (header names as in the shipped CSV; see _COLUMNS for aliases).

    Units are converted to the canonical unit of the quantity (cGy·cm², µGy·m², mGy·cm² ... to Gy·cm²).
    A duplicate row with the same value is a warning and counted once; with another value it is an error.
    """
    out = ParsedTable()
    seen: dict[tuple[str, str, str, str], DrlValue] = {}
    for i, row in enumerate(rows, start=2):
        where = f"row {i}"
        if not any(v not in (None, "") for v in row.values()):
            continue
        code = _pick(row, "exam_code")
        qname = _QUANTITY_NAMES.get(_pick(row, "quantity").lower().replace("·", "").replace(" ", ""))
        raw_value, unit = _pick(row, "value"), _pick(row, "unit")
        if not code:
            out.errors.append(f"{where}: no exam code")
            continue
        if known_codes is not None and code not in known_codes:
            out.errors.append(f"{where}: unknown exam code {code!r} (add it as a site code first)")
            continue
        if qname is None:
            out.errors.append(f"{where}: quantity {_pick(row, 'quantity')!r} is not DLP, CTDIvol, DAP or AGD")
            continue
        try:
            published = float(raw_value.replace(",", "."))
        except ValueError:
            out.errors.append(f"{where}: value {raw_value!r} is not a number")
            continue
        if published <= 0:
            out.errors.append(f"{where}: value must be positive, not {published}")
            continue
        if not unit:
            out.errors.append(f"{where}: no unit for {qname} (write it, e.g. cGy*cm2 or Gy*cm2)")
            continue
        try:
            value = to_canonical(published, unit, _UNIT_QUANTITY[qname])
        except UnitError as exc:
            out.errors.append(f"{where}: {exc}")
            continue
        try:
            band = parse_band(_pick(row, "band"))
        except ValueError as exc:
            out.errors.append(f"{where}: {exc}")
            continue
        per = _pick(row, "per").lower() or DEFAULT_PER[qname]
        if per not in PER:
            out.errors.append(f"{where}: per must be study or exposure, not {per!r}")
            continue
        v = DrlValue(
            modality=_pick(row, "modality").upper(),
            exam_code=code,
            exam_name=_pick(row, "exam_name") or None,
            clinical_indication=_pick(row, "clinical_indication"),
            band=band,
            quantity=qname,
            per=per,
            value=value,
            published_value=published,
            published_unit=unit,
            note=_pick(row, "note") or None,
        )
        prev = seen.get(v.entry_key)
        if prev is not None:
            if abs(prev.value - v.value) <= 1e-9 * max(abs(prev.value), 1.0) and prev.per == v.per:
                out.warnings.append(
                    f"{where}: duplicate of an earlier row ({code}, {qname}, {band.label}); ignored"
                )
            else:
                out.errors.append(
                    f"{where}: {code} {qname} {band.label} {v.clinical_indication!r} given twice with "
                    f"different values ({prev.published_value} {prev.published_unit} and {published} {unit})"
                )
            continue
        seen[v.entry_key] = v
        out.values.append(v)
    return out


def read_table(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV (comma or semicolon) or XLSX file (first sheet), keyed by the header row."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(it, ())]
        rows = [dict(zip(header, r, strict=False)) for r in it]
        wb.close()
        return rows
    text = path.read_text(encoding="utf-8-sig")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.DictReader(io.StringIO(text), dialect=dialect))


# -- the store -----------------------------------------------------------------------------------


def _data(name: str) -> list[dict[str, str]]:
    text = resources.files("kerma.drl").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def ensure_builtin(conn: Connection) -> None:
    """Add the shipped sets that are not in the store yet (as version 1, marked built-in)."""
    have = {r[0] for r in conn.execute(select(drl_sets.c.key).where(drl_sets.c.builtin.is_(True)))}
    meta = {r["set_key"]: r for r in _data("builtin-sets.csv")}
    missing = [k for k in meta if k not in have]
    if not missing:
        return
    rows_by_key: dict[str, list[dict[str, str]]] = {}
    for r in _data("builtin-values.csv"):
        rows_by_key.setdefault(r["set_key"], []).append(r)
    for key in missing:
        m = meta[key]
        parsed = parse_rows(rows_by_key.get(key, []))
        if parsed.errors:  # pragma: no cover - the shipped data is checked by the tests
            raise ValueError(f"built-in DRL set {key}: {parsed.errors}")
        _insert_set(
            conn,
            key=key,
            name=m["name"],
            values=parsed.values,
            issuer=m["issuer"],
            country=m["country"],
            year=int(m["year"]),
            method=m["method"],
            source=m["source"],
            status=m["status"],
            builtin=True,
            actor="kerma",
        )


def _insert_set(
    conn: Connection,
    *,
    key: str,
    name: str,
    values: Sequence[DrlValue],
    issuer: str | None = None,
    country: str | None = None,
    year: int | None = None,
    method: str | None = None,
    source: str | None = None,
    status: str = "local",
    builtin: bool = False,
    actor: str = "cli",
    note: str | None = None,
) -> int:
    prev = conn.execute(
        select(drl_sets.c.version).where(drl_sets.c.key == key).order_by(drl_sets.c.version.desc())
    ).first()
    version = 1 if prev is None else int(prev[0]) + 1
    conn.execute(update(drl_sets).where(drl_sets.c.key == key).values(current=False))
    set_id = int(
        conn.execute(
            insert(drl_sets).values(
                key=key,
                version=version,
                name=name,
                issuer=issuer,
                country=country,
                year=year,
                method=method,
                source=source,
                status=status,
                builtin=builtin,
                current=True,
                created_by=actor,
                created_at=utcnow(),
                note=note,
            )
        ).inserted_primary_key[0]
    )
    if values:
        conn.execute(
            insert(drl_values),
            [
                {
                    "set_id": set_id,
                    "modality": v.modality or "",
                    "exam_code": v.exam_code,
                    "exam_name": v.exam_name,
                    "clinical_indication": v.clinical_indication,
                    "band_kind": v.band.kind,
                    "band_min": v.band.min,
                    "band_max": v.band.max,
                    "band_label": v.band.label,
                    "quantity": v.quantity,
                    "per": v.per,
                    "value": v.value,
                    "published_value": v.published_value,
                    "published_unit": v.published_unit,
                    "note": v.note,
                }
                for v in values
            ],
        )
    return version


def import_set(
    conn: Connection,
    rows: Iterable[Mapping[str, Any]],
    *,
    key: str,
    name: str | None = None,
    issuer: str | None = None,
    country: str | None = None,
    year: int | None = None,
    method: str | None = None,
    source: str | None = None,
    actor: str = "cli",
) -> tuple[int, ParsedTable]:
    """Import a table as a new set (or a new version of ``key``); returns (version, parse result).

    Nothing is written when the table has errors (version 0).
    """
    parsed = parse_rows(rows, catalogue(conn))
    if parsed.errors:
        return 0, parsed
    if not parsed.values:
        parsed.errors.append("the table has no DRL rows")
        return 0, parsed
    cur = current_set(conn, key)
    version = _insert_set(
        conn,
        key=key,
        name=name or (cur["name"] if cur else key),
        values=parsed.values,
        issuer=issuer or (cur["issuer"] if cur else None),
        country=country or (cur["country"] if cur else None),
        year=year or (cur["year"] if cur else None),
        method=method or (cur["method"] if cur else "local"),
        source=source or (cur["source"] if cur else None),
        status="local",
        actor=actor,
    )
    return version, parsed


def current_set(conn: Connection, key: str) -> dict[str, Any] | None:
    """The current version of a set, or None."""
    row = (
        conn.execute(select(drl_sets).where(drl_sets.c.key == key, drl_sets.c.current.is_(True)))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def set_values(conn: Connection, key: str, version: int | None = None) -> list[DrlValue]:
    """Values of a set (its current version unless ``version`` is given)."""
    stmt = select(drl_sets).where(drl_sets.c.key == key)
    stmt = stmt.where(drl_sets.c.version == version) if version else stmt.where(drl_sets.c.current.is_(True))
    s = conn.execute(stmt).mappings().first()
    if s is None:
        raise ValueError(f"no DRL set {key!r}" + (f" version {version}" if version else ""))
    rows = conn.execute(select(drl_values).where(drl_values.c.set_id == s["id"]).order_by(drl_values.c.id))
    return [_value(r, s) for r in rows.mappings()]


def _value(r: Any, s: Any) -> DrlValue:
    return DrlValue(
        modality=r["modality"],
        exam_code=r["exam_code"],
        exam_name=r["exam_name"],
        clinical_indication=r["clinical_indication"],
        band=Band(r["band_kind"], r["band_min"], r["band_max"], r["band_label"]),
        quantity=r["quantity"],
        per=r["per"],
        value=float(r["value"]),
        published_value=r["published_value"],
        published_unit=r["published_unit"],
        note=r["note"],
        set_key=s["key"],
        set_version=int(s["version"]),
        set_year=s["year"],
    )


def edit_value(
    conn: Connection,
    key: str,
    *,
    exam_code: str,
    quantity: str,
    value: float | None,
    unit: str | None = None,
    band: str = "adult",
    clinical_indication: str = "",
    per: str | None = None,
    modality: str | None = None,
    actor: str = "cli",
) -> int:
    """Change, add (value given) or remove (value None) one entry; the result is a new version of the set."""
    cur = current_set(conn, key)
    if cur is None:
        raise ValueError(f"no DRL set {key!r}")
    qname = _QUANTITY_NAMES.get(quantity.lower())
    if qname is None:
        raise ValueError(f"quantity must be one of {', '.join(QUANTITIES)}")
    values = set_values(conn, key)
    b = parse_band(band)
    entry = (exam_code, clinical_indication, b.label, qname)
    kept = [v for v in values if v.entry_key != entry]
    if value is not None:
        if exam_code not in catalogue(conn):
            raise ValueError(f"unknown exam code {exam_code!r}")
        if not unit:
            raise ValueError("give the unit of the value (e.g. mGy*cm, cGy*cm2)")
        canonical = to_canonical(value, unit, _UNIT_QUANTITY[qname])
        old = next((v for v in values if v.entry_key == entry), None)
        kept.append(
            DrlValue(
                modality=(modality or (old.modality if old else "")).upper(),
                exam_code=exam_code,
                exam_name=old.exam_name if old else catalogue(conn)[exam_code].name,
                clinical_indication=clinical_indication,
                band=b,
                quantity=qname,
                per=per or (old.per if old else DEFAULT_PER[qname]),
                value=canonical,
                published_value=value,
                published_unit=unit,
            )
        )
    elif len(kept) == len(values):
        raise ValueError(f"set {key} has no entry {entry}")
    return _insert_set(
        conn,
        key=key,
        name=cur["name"],
        values=kept,
        issuer=cur["issuer"],
        country=cur["country"],
        year=cur["year"],
        method=cur["method"],
        source=cur["source"],
        status="local" if not cur["builtin"] else "edited",
        actor=actor,
        note=f"edited from version {cur['version']}",
    )


def list_sets(conn: Connection) -> list[dict[str, Any]]:
    """Current versions of all sets, with their value count and the sites where they are active."""
    ensure_builtin(conn)
    active: dict[str, list[str]] = {}
    for site, key in conn.execute(select(drl_active_sets.c.site, drl_active_sets.c.set_key)):
        active.setdefault(key, []).append(site)
    explicit = bool(active)
    out = []
    for s in conn.execute(
        select(drl_sets).where(drl_sets.c.current.is_(True)).order_by(drl_sets.c.key)
    ).mappings():
        n = len(conn.execute(select(drl_values.c.id).where(drl_values.c.set_id == s["id"])).all())
        sites = active.get(s["key"], []) or (
            [] if explicit or s["key"] not in DEFAULT_ACTIVE else ["* (default)"]
        )
        out.append(
            {
                "key": s["key"],
                "version": s["version"],
                "name": s["name"],
                "country": s["country"],
                "year": s["year"],
                "method": s["method"],
                "status": s["status"],
                "values": n,
                "active_sites": sites,
                "source": s["source"],
            }
        )
    return out


def activate(conn: Connection, key: str, site: str = ALL_SITES, actor: str = "cli") -> None:
    """Make a set active at a site (an institution name as the devices list shows it, or '*')."""
    ensure_builtin(conn)
    if current_set(conn, key) is None:
        raise ValueError(f"no DRL set {key!r}")
    conn.execute(
        delete(drl_active_sets).where(drl_active_sets.c.site == site, drl_active_sets.c.set_key == key)
    )
    conn.execute(insert(drl_active_sets).values(site=site, set_key=key, chosen_by=actor, chosen_at=utcnow()))


def deactivate(conn: Connection, key: str, site: str = ALL_SITES) -> None:
    """Stop using a set at a site."""
    conn.execute(
        delete(drl_active_sets).where(drl_active_sets.c.site == site, drl_active_sets.c.set_key == key)
    )


def values_in_force(conn: Connection, set_keys: Sequence[str] = ()) -> dict[str, list[DrlValue]]:
    """DRL values per site ('*' for every site): the given sets, else the active ones, else the defaults."""
    ensure_builtin(conn)
    by_site: dict[str, list[str]] = {}
    if set_keys:
        by_site[ALL_SITES] = list(set_keys)
    else:
        for site, key in conn.execute(select(drl_active_sets.c.site, drl_active_sets.c.set_key)):
            by_site.setdefault(site, []).append(key)
        if not by_site:
            by_site[ALL_SITES] = list(DEFAULT_ACTIVE)
    return {site: [v for k in keys for v in set_values(conn, k)] for site, keys in by_site.items()}
