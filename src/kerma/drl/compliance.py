"""Compliance with DRLs and establishing local DRLs, computed in the database by kerma.analytics.

Compliance: per exam code x room x period (x patient band) the statistics of a quantity, the DRL in
force for the room's site and the ratio median / DRL; a comparison is valid from ``min_n`` values.
Establishing: the local DRL is the 75th percentile of the room medians (ICRP 135), the achievable dose
their median; rooms with fewer than ``min_per_room`` values do not take part.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, case, literal, select

from kerma.analytics.bands import Band, band_case
from kerma.analytics.quantities import DEFAULT_PER, MODALITIES, StatsFilter, V, values_query
from kerma.analytics.ranked import percentile, ranked_stats
from kerma.analytics.stats import GroupStats, group_stats, run
from kerma.drl.sets import ALL_SITES, DrlValue, values_in_force
from kerma.nomenclature.codes import catalogue
from kerma.store.schema.core import devices

DEFAULT_MIN_N = 20
"""Values a group needs before its comparison with a DRL is shown as valid (configurable)."""
DEFAULT_MIN_PER_ROOM = 20
"""Values a room needs to take part in establishing a DRL (configurable)."""

COMPLIANCE_KEYS = (
    "exam_code",
    "exam_name",
    "station_name",
    "room",
    "device_id",
    "site",
    "period",
    "band",
    "quantity",
    "per",
    "n",
    "median",
    "mean",
    "sd",
    "min",
    "max",
    "q1",
    "q3",
    "p75",
    "qcd",
    "drl",
    "drl_set",
    "clinical_indication",
    "ratio_to_drl",
    "exceeds_drl",
    "valid",
)


def _pairs(
    drls: dict[str, list[DrlValue]], quantities: Sequence[str], modality: Sequence[str]
) -> list[tuple[str, str]]:
    """(quantity, per) pairs to compute: each quantity's default plus every pair a DRL in force uses."""
    mods = {m.upper() for m in modality}
    pairs = {(q, DEFAULT_PER[q]) for q in (quantities or DEFAULT_PER)}
    for values in drls.values():
        pairs |= {(v.quantity, v.per) for v in values if not quantities or v.quantity in quantities}
    if mods:
        pairs = {(q, p) for q, p in pairs if mods & set(MODALITIES[q])}
    return sorted(pairs)


def _bands(drls: dict[str, list[DrlValue]], quantity: str, per: str) -> dict[str, list[Band]]:
    out: dict[str, list[Band]] = defaultdict(list)
    for values in drls.values():
        for v in values:
            if v.quantity == quantity and v.per == per and v.band not in out[v.exam_code]:
                out[v.exam_code].append(v.band)
    return out


def _rooms(engine: Engine) -> dict[int, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(devices.c.id, devices.c.station_name, devices.c.display_name, devices.c.institution)
        ).mappings()
        return {r["id"]: dict(r) for r in rows}


def _drl_for(
    drls: dict[str, list[DrlValue]], site: str | None, code: str, band: str, quantity: str, per: str
) -> DrlValue | None:
    for where in ([site] if site and site in drls else []) + [ALL_SITES]:
        found = [
            v
            for v in drls.get(where, [])
            if v.exam_code == code and v.band.label == band and v.quantity == quantity and v.per == per
        ]
        if found:
            # the newest publication wins (a 2022 value replaces the 2010 one)
            return max(found, key=lambda v: (v.set_year or 0, v.set_key))
    return None


def _round(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else float(f"{x:.{digits}g}")


def compliance(
    engine: Engine,
    f: StatsFilter,
    *,
    period: str = "all",
    quantities: Sequence[str] = (),
    by_room: bool = True,
    min_n: int = DEFAULT_MIN_N,
    set_keys: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """One dict per group with the keys in COMPLIANCE_KEYS (DRL fields are None where no DRL applies)."""
    with engine.connect() as conn:
        drls = values_in_force(conn, set_keys)
        codes = catalogue(conn)
    rooms = _rooms(engine)
    out: list[dict[str, Any]] = []
    for quantity, per in _pairs(drls, quantities, f.modality):
        bands = _bands(drls, quantity, per)
        mods = f.modality or MODALITIES[quantity]
        sub = StatsFilter(mods, f.date_from, f.date_to, f.exam_codes, f.device_ids, list(f.extra))
        with engine.connect() as conn:
            groups = _groups(conn, quantity, per, sub, period, by_room, bands)
        for g in groups:
            out.append(_row(g, quantity, per, rooms, drls, codes, min_n))
    # Any key may be missing (a room without station name, a group without band or period).
    out.sort(
        key=lambda r: tuple(
            str(r[k] or "") for k in ("exam_code", "quantity", "per", "station_name", "period", "band")
        )
    )
    return out


# Groupings a sorted index of stat_values serves: (period, by room) -> the index's second column.
_RANKED = {("all", True): "room", ("month", False): "month"}


def _groups(
    conn: Connection,
    quantity: str,
    per: str,
    f: StatsFilter,
    period: str,
    by_room: bool,
    bands: dict[str, list[Band]],
    percentiles: dict[str, float] | None = None,
) -> list[GroupStats]:
    """Group statistics: from the sorted indexes where one fits the grouping, else by window functions."""
    by = _RANKED.get((period, by_room))
    if by is not None:
        return ranked_stats(conn, quantity, per, f, by=by, bands=bands, percentiles=percentiles)
    keys = ["exam_code", "device_id", "period", "band"] if by_room else ["exam_code", "period", "band"]
    stmt = group_stats(
        values_query(quantity, per, f, period, _band_column(bands)), keys, percentiles=percentiles
    )
    return run(conn, stmt, keys, percentiles)


def _band_column(bands: dict[str, list[Band]]) -> Any:
    """Band label per value: DRL bands for codes that have them (patients outside every band drop out),
    'all' for every other code."""
    if not bands:
        return None
    code = V.exam_code
    return case(
        (code.in_(list(bands)), band_case(bands, code, V.patient_age_years, V.patient_weight_kg)),
        else_=literal("all"),
    )


def _row(
    g: GroupStats,
    quantity: str,
    per: str,
    rooms: dict[int, dict[str, Any]],
    drls: dict[str, list[DrlValue]],
    codes: dict[str, Any],
    min_n: int,
) -> dict[str, Any]:
    code = g.key["exam_code"]
    device_id = g.key.get("device_id")
    room = rooms.get(device_id) if device_id is not None else None
    site = room["institution"] if room else None
    drl = _drl_for(drls, site, code, g.key["band"], quantity, per)
    median = g.median
    ratio = median / drl.value if drl else None
    valid = g.n >= min_n
    return {
        "exam_code": code,
        "exam_name": codes[code].name if code in codes else None,
        "station_name": room["station_name"] if room else None,
        "room": room["display_name"] if room else None,
        "device_id": device_id,
        "site": site,
        "period": g.key["period"],
        "band": g.key["band"],
        "quantity": quantity,
        "per": per,
        "n": g.n,
        "median": _round(median),
        "mean": _round(g.mean),
        "sd": _round(g.sd),
        "min": _round(g.min),
        "max": _round(g.max),
        "q1": _round(g.percentiles["q1"]),
        "q3": _round(g.percentiles["q3"]),
        "p75": _round(g.percentiles["q3"]),
        "qcd": _round(g.qcd),
        "drl": drl.value if drl else None,
        "drl_set": f"{drl.set_key} v{drl.set_version}" if drl else None,
        "clinical_indication": drl.clinical_indication or None if drl else None,
        "ratio_to_drl": _round(ratio, 4),
        "exceeds_drl": bool(valid and ratio is not None and ratio > 1.0),
        "valid": valid,
    }


ESTABLISH_KEYS = (
    "exam_code",
    "exam_name",
    "band",
    "quantity",
    "per",
    "rooms",
    "n",
    "local_drl",
    "achievable_dose",
    "national_drl",
    "national_set",
    "ratio_to_national",
    "room_medians_min",
    "room_medians_max",
)


def establish(
    engine: Engine,
    f: StatsFilter,
    *,
    quantity: str,
    per: str | None = None,
    min_per_room: int = DEFAULT_MIN_PER_ROOM,
    set_keys: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Local DRLs per exam code (x band): 75th percentile and median of the room medians."""
    per = per or DEFAULT_PER[quantity]
    with engine.connect() as conn:
        drls = values_in_force(conn, set_keys)
        codes = catalogue(conn)
    bands = _bands(drls, quantity, per)
    mods = f.modality or MODALITIES[quantity]
    sub = StatsFilter(mods, f.date_from, f.date_to, f.exam_codes, f.device_ids, list(f.extra))
    with engine.connect() as conn:
        rooms = _groups(conn, quantity, per, sub, "all", True, bands, {"median": 0.5})
    # The room medians (a few dozen numbers per exam code) are summarised with the same percentile
    # definition the database statistics use.
    medians: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    for g in rooms:
        if g.n >= min_per_room:
            medians[(g.key["exam_code"], g.key["band"])].append((g.median, g.n))
    out = []
    for (code, band), pairs in medians.items():
        values = sorted(m for m, _ in pairs)
        local = percentile(values, 0.75)
        drl = _drl_for(drls, None, code, band, quantity, per)
        out.append(
            {
                "exam_code": code,
                "exam_name": codes[code].name if code in codes else None,
                "band": band,
                "quantity": quantity,
                "per": per,
                "rooms": len(values),
                "n": sum(n for _, n in pairs),
                "local_drl": _round(local),
                "achievable_dose": _round(percentile(values, 0.5)),
                "national_drl": drl.value if drl else None,
                "national_set": f"{drl.set_key} v{drl.set_version}" if drl else None,
                "ratio_to_national": _round(local / drl.value, 4) if drl else None,
                "room_medians_min": _round(values[0]),
                "room_medians_max": _round(values[-1]),
            }
        )
    out.sort(key=lambda r: (r["exam_code"], r["band"]))
    return out
