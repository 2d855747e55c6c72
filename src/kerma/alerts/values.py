"""Study-level values a rule reads: the stored totals, and aggregates over a study's counted events,
computed the same way in Python (the study being ingested) and in SQL (windows over other studies).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from kerma.alerts.quantities import STUDY_COLUMNS
from kerma.store.schema.core import events, studies

# CT localizers (constant-angle acquisitions) add nothing to what an exam delivers to a region.
LOCALIZER = "constant_angle"
# The mean CTDIvol compared with DRLs leaves out bolus-tracking monitoring too (as kerma.analytics does).
NON_DIAGNOSTIC = (LOCALIZER, "stationary")

_AGGREGATES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # name: (event column, function, event types left out)
    "ctdivol_mgy_max": ("ctdivol_mgy", "max", (LOCALIZER,)),
    "ctdivol_mgy_sum": ("ctdivol_mgy", "sum", (LOCALIZER,)),
    "ctdivol_mgy_mean": ("ctdivol_mgy", "avg", NON_DIAGNOSTIC),
    "ssde_mgy_max": ("ssde_mgy", "max", (LOCALIZER,)),
    "effective_dose_msv": ("effective_dose_msv", "sum", ()),
}


def is_localizer(ev: Mapping[str, Any]) -> bool:
    """True for a CT localizer (scout, topogram)."""
    return ev.get("event_type") == LOCALIZER


def aggregate(name: str, evs: Sequence[Mapping[str, Any]]) -> float | None:
    """An aggregate over the counted events of one study (None when no event has the value)."""
    column, fn, skip = _AGGREGATES[name]
    vals = [
        float(e[column])
        for e in evs
        if e.get(column) is not None and e.get("event_type") not in skip and (fn != "avg" or e[column] > 0)
    ]
    if not vals:
        return None
    if fn == "max":
        return max(vals)
    if fn == "sum":
        return float(sum(vals))
    return float(sum(vals) / len(vals))


def study_value(
    name: str, values: Mapping[str, float | None], evs: Sequence[Mapping[str, Any]] | None
) -> float | None:
    """The value of a study quantity from the study's columns or its events."""
    if name in STUDY_COLUMNS:
        return values.get(name)
    if name in _AGGREGATES:
        return aggregate(name, evs or [])
    raise KeyError(name)


def value_expr(name: str) -> ColumnElement[Any]:
    """The same value as a SQL expression on ``studies`` (a correlated subquery for aggregates)."""
    if name in STUDY_COLUMNS:
        return studies.c[name]
    column, fn, skip = _AGGREGATES[name]
    col = events.c[column]
    agg: ColumnElement[Any] = (
        func.max(col) if fn == "max" else func.sum(col) if fn == "sum" else func.avg(col)
    )
    conds = [events.c.study_id == studies.c.id, events.c.counted.is_(True)]
    if skip:
        conds.append(or_(events.c.event_type.is_(None), events.c.event_type.not_in(skip)))
    if fn == "avg":
        conds.append(col > 0)
    return select(agg).where(and_(*conds)).scalar_subquery()
