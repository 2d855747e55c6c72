"""The two facts alerts need from the DRL and nomenclature capabilities, behind small functions: the
exam code of a study, and the DRL in force for an exam code, quantity and patient.

DRL values come from :mod:`kerma.drl.sets` (the active sets per site, else the default sets), chosen the
way :mod:`kerma.drl.compliance` chooses them: the room's site before '*', the general indication, the
patient's band, and the newest publication. They are read once and kept in memory for a few seconds, so
a rule on 'a multiple of the DRL' costs no query per study at ingest. Nothing here writes: the ingest
transaction must not be the one that installs the built-in sets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, inspect, select

CACHE_SECONDS = 30.0
ADULT_AGE = 18.0
ALL_SITES = "*"


@dataclass(frozen=True, slots=True)
class DrlRef:
    """One DRL value in the canonical unit of its quantity, and where it comes from."""

    value: float
    quantity: str
    exam_code: str
    band_label: str
    set_name: str
    per: str = "study"


def _in_band(band: Any, age: float | None, weight: float | None) -> bool:
    """Python twin of ``kerma.analytics.bands.Band.condition``."""
    if band.kind == "adult":
        return age is None or age >= (band.min if band.min is not None else ADULT_AGE)
    value = age if band.kind == "age" else weight
    if value is None:
        return False
    if band.min is not None and value < band.min:
        return False
    if band.max is not None and value >= band.max:
        return False
    # weight bands are paediatric: an adult of 50 kg is not an adolescent
    return not (band.kind == "weight" and age is not None and age >= ADULT_AGE)


class _ActiveDrls:
    """The DRL values in force, by site and (exam code, quantity)."""

    def __init__(self, by_site: dict[str, list[Any]]) -> None:
        self.index: dict[tuple[str, str, str], list[Any]] = {}
        for site, values in by_site.items():
            for v in values:
                if v.clinical_indication:
                    continue
                self.index.setdefault((site, v.exam_code, v.quantity), []).append(v)
        self.loaded_at = time.monotonic()

    def find(
        self, code: str, quantity: str, per: str, site: str | None, age: float | None, weight: float | None
    ) -> DrlRef | None:
        # CTDIvol per study is the mean over the exam's series, so either 'per' serves for CTDIvol.
        pers = (per, "exposure" if per == "study" else "study") if quantity == "ctdivol_mgy" else (per,)
        for p in pers:
            for where in ([site] if site else []) + [ALL_SITES]:
                found = [
                    v
                    for v in self.index.get((where, code, quantity), [])
                    if v.per == p and _in_band(v.band, age, weight)
                ]
                if found:
                    # the newest publication wins (as in kerma.drl.compliance)
                    v = max(found, key=lambda v: (v.set_year or 0, v.set_key))
                    return DrlRef(
                        v.value, quantity, code, v.band.label, f"{v.set_key} v{v.set_version}", v.per
                    )
        return None

    def codes_for(self, quantity: str) -> set[str]:
        return {code for (_, code, q) in self.index if q == quantity}


_lock = threading.Lock()
_cache: dict[str, _ActiveDrls] = {}


def invalidate() -> None:
    """Forget cached DRL values (after a DRL set is activated or edited in this process)."""
    with _lock:
        _cache.clear()


def _load(conn: Connection) -> _ActiveDrls:
    if not inspect(conn).has_table("drl_sets"):
        return _ActiveDrls({})
    from kerma.drl.sets import DEFAULT_ACTIVE, set_values
    from kerma.store.schema.drl import drl_active_sets

    # As kerma.drl.sets.values_in_force, without installing the built-in sets (a write).
    by_site: dict[str, list[str]] = {}
    for site, key in conn.execute(select(drl_active_sets.c.site, drl_active_sets.c.set_key)):
        by_site.setdefault(site, []).append(key)
    if not by_site:
        by_site[ALL_SITES] = list(DEFAULT_ACTIVE)
    values: dict[str, list[Any]] = {}
    for site, keys in by_site.items():
        for key in keys:
            try:
                values.setdefault(site, []).extend(set_values(conn, key))
            except ValueError:  # a default set not installed yet
                continue
    return _ActiveDrls(values)


def _active(conn: Connection) -> _ActiveDrls:
    key = str(conn.engine.url)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and time.monotonic() - cached.loaded_at < CACHE_SECONDS:
        return cached
    loaded = _load(conn)
    with _lock:
        _cache[key] = loaded
    return loaded


def active_drl(
    conn: Connection,
    exam_code: str,
    quantity: str,
    *,
    per: str = "study",
    site: str | None = None,
    age_years: float | None = None,
    weight_kg: float | None = None,
) -> DrlRef | None:
    """The DRL in force for ``exam_code`` and ``quantity`` (``dlp_mgy_cm``, ``ctdivol_mgy``,
    ``dap_gy_cm2``, ``agd_mgy``) given per study or per exposure, at ``site`` (the room's institution),
    for a patient of this age and weight; None when there is none."""
    return _active(conn).find(exam_code, quantity, per, site, age_years, weight_kg)


def exam_codes_with_drl(conn: Connection, quantity: str) -> set[str]:
    """Exam codes that have a DRL in force for ``quantity`` (for the warning when a rule is created)."""
    return _active(conn).codes_for(quantity)


def ensure_drl_sets(conn: Connection) -> None:
    """Install the built-in DRL sets if missing (outside ingest: when a DRL rule is created)."""
    from kerma.drl.sets import ensure_builtin

    ensure_builtin(conn)
    invalidate()


def exam_code_of(conn: Connection, study_id: int) -> str | None:
    """The exam code the nomenclature mapping gave the study, if any."""
    return exam_codes_of(conn, [study_id]).get(study_id)


def exam_codes_of(conn: Connection, study_ids: Iterable[int]) -> dict[int, str]:
    """Exam codes of several studies (studies without one are left out)."""
    ids = list(study_ids)
    sec = exam_code_table() if ids and _nomenclature_present(conn) else None
    if sec is None:
        return {}
    rows = conn.execute(select(sec.c.study_id, sec.c.exam_code).where(sec.c.study_id.in_(ids))).all()
    return {int(r[0]): str(r[1]) for r in rows}


_nomenclature: dict[str, bool] = {}


def _nomenclature_present(conn: Connection) -> bool:
    key = str(conn.engine.url)
    present = _nomenclature.get(key)
    if present is None:
        present = exam_code_table() is not None and inspect(conn).has_table("study_exam_codes")
        _nomenclature[key] = present
    return present


def exam_code_table() -> Any | None:
    """The table holding each study's exam code (for joins in lists and exports), if installed."""
    try:
        from kerma.store.schema.nomenclature import study_exam_codes
    except ImportError:
        return None
    return study_exam_codes
