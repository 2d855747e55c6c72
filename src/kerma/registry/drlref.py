"""DRL values for the registry, read through :mod:`kerma.drl` (the DRL sets in the store).

Registry analysis needs two things from the DRL sets: the value in force for an exam code and dose
quantity (the "current DRL" of the survey country), and every shipped set's value for the same exam,
with its country, for the comparison with other countries. Adult, indication-free values are used
when a set has them; values by clinical indication are kept with their indication.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Connection

from kerma.drl.sets import ALL_SITES, list_sets, set_values, values_in_force


@dataclass(frozen=True, slots=True)
class Reference:
    """One published (or local) DRL value in canonical units, with where it comes from."""

    exam_code: str
    quantity: str
    value: float
    country: str
    set_key: str
    year: int | None
    method: str | None
    indication: str = ""


def _adult(band_label: str) -> bool:
    return band_label in ("adult", "", "adult median size", "any")


def current_drls(conn: Connection) -> dict[tuple[str, str], Reference]:
    """The DRL in force for every (exam code, quantity): adult, no clinical indication, newest set."""
    sets = {s["key"]: s for s in list_sets(conn)}
    in_force = values_in_force(conn)
    values = in_force.get(ALL_SITES) or next(iter(in_force.values()), [])
    out: dict[tuple[str, str], Reference] = {}
    for v in values:
        if not _adult(v.band.label) or v.clinical_indication:
            continue
        s = sets.get(v.set_key, {})
        ref = Reference(
            v.exam_code,
            v.quantity,
            v.value,
            str(s.get("country") or ""),
            v.set_key,
            v.set_year,
            s.get("method"),
        )
        old = out.get((v.exam_code, v.quantity))
        if old is None or (ref.year or 0) > (old.year or 0):
            out[(v.exam_code, v.quantity)] = ref
    return out


def country_values(conn: Connection) -> dict[tuple[str, str], list[Reference]]:
    """Every current set's adult values by (exam code, quantity), for the comparison between countries."""
    out: dict[tuple[str, str], list[Reference]] = defaultdict(list)
    for s in list_sets(conn):
        for v in set_values(conn, s["key"]):
            if not _adult(v.band.label):
                continue
            out[(v.exam_code, v.quantity)].append(
                Reference(
                    v.exam_code,
                    v.quantity,
                    v.value,
                    str(s.get("country") or ""),
                    s["key"],
                    v.set_year,
                    s.get("method"),
                    v.clinical_indication,
                )
            )
    return dict(out)
