"""Group statistics read from the sorted indexes of ``stat_values``: no sort, no window function.

Within one exam code and room (index ``ix_stat_values_room``) or one exam code and month
(``ix_stat_values_month``) the values are stored in order. So n, mean, min, max and the sum of squares
come from one GROUP BY that walks the index in order, and the value of rank k is one positioned read
(``ORDER BY value LIMIT 2 OFFSET k``, from the top of the group for ranks above the middle) inside the
group's index range. The database does the work; Python
receives a handful of numbers per group and interpolates the percentile exactly as NumPy's default
('linear') method and PostgreSQL's percentile_cont do. Both statements are plain SQL, the same on SQLite
and PostgreSQL.

Patient bands are group conditions, one per (exam code, band), on the label the CASE of
kerma.analytics.bands gives (the first band of its exam code a value falls in); values outside every
band of their code are left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select
from sqlalchemy.sql.expression import ColumnElement

from kerma.analytics.bands import Band, band_case
from kerma.analytics.quantities import StatsFilter, V, conditions
from kerma.analytics.sqlfuncs import month_label
from kerma.analytics.stats import STANDARD_PERCENTILES, GroupStats

BY = ("room", "month")


@dataclass(slots=True)
class _Plan:
    """One band of one exam code (or every code without bands): a label and its SQL condition."""

    label: str
    condition: list[ColumnElement[bool]]


def _codes(conn: Connection, quantity: str, per: str, only: Sequence[str]) -> list[str]:
    """Exam codes with values of this quantity, found by skipping along the index: one seek per code."""
    if only:
        return sorted(set(only))
    found: list[str] = []
    while True:
        after = [V.exam_code > found[-1]] if found else []
        code = conn.execute(
            select(func.min(V.exam_code)).where(V.quantity == quantity, V.per == per, *after)
        ).scalar()
        if code is None:
            return found
        found.append(str(code))


def _plans(bands_by_code: Mapping[str, Sequence[Band]], codes: Sequence[str]) -> list[_Plan]:
    plans: list[_Plan] = []
    plain = [c for c in codes if not bands_by_code.get(c)]
    if plain:
        plans.append(_Plan("all", [V.exam_code.in_(plain)]))
    for code in codes:
        bands = bands_by_code.get(code, ())
        # the band label the window statistics give each value: the first band it falls in
        label = band_case({code: bands}, V.exam_code, V.patient_age_years, V.patient_weight_kg)
        plans.extend(_Plan(band.label, [V.exam_code == code, label == band.label]) for band in bands)
    return plans


def lerp_percentile(lo: float, hi: float | None, n: int, p: float) -> float:
    """The linear-interpolation percentile from the values of ranks floor((n-1)p) and the next one."""
    h = (n - 1) * p
    t = h - math.floor(h)
    b = lo if hi is None else hi
    diff = b - lo
    # NumPy's _lerp: exact at both ends and monotone
    return b - diff * (1.0 - t) if t >= 0.5 else lo + diff * t


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Linear-interpolation percentile of a few already sorted numbers (same definition as above)."""
    if not sorted_values:
        raise ValueError("no values")
    k = math.floor((len(sorted_values) - 1) * p)
    hi = sorted_values[k + 1] if k + 1 < len(sorted_values) else None
    return lerp_percentile(sorted_values[k], hi, len(sorted_values), p)


def _percentile_at(conn: Connection, where: ColumnElement[bool], n: int, p: float) -> float:
    """The percentile from the two values around rank (n - 1) p, read from whichever end is nearer."""
    k = math.floor((n - 1) * p)
    if k + 1 >= n:
        lo, hi = _read(conn, where, descending=True, offset=0, count=1)[0], None
    elif 2 * k < n:
        got = _read(conn, where, descending=False, offset=k, count=2)
        lo, hi = got[0], got[1]
    else:
        # ranks above the middle: walk down from the largest value (a quarter of the group for Q3)
        got = _read(conn, where, descending=True, offset=n - 2 - k, count=2)
        lo, hi = got[1], got[0]
    return lerp_percentile(lo, hi, n, p)


def _read(
    conn: Connection, where: ColumnElement[bool], *, descending: bool, offset: int, count: int
) -> list[float]:
    order = V.value.desc() if descending else V.value
    stmt = select(V.value).where(where).order_by(order).limit(count).offset(bindparam("rank_offset"))
    return [float(r[0]) for r in conn.execute(stmt, {"rank_offset": offset})]


def ranked_stats(
    conn: Connection,
    quantity: str,
    per: str,
    f: StatsFilter,
    *,
    by: str = "room",
    bands: Mapping[str, Sequence[Band]] | None = None,
    percentiles: dict[str, float] | None = None,
) -> list[GroupStats]:
    """Statistics per exam code x room (``by='room'``, period 'all') or exam code x month (all rooms).

    Keys of each group: exam_code, device_id (by room) or nothing more (by month), period ('all' or
    the month label) and band.
    """
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    pct = percentiles or STANDARD_PERCENTILES
    second = V.device_id if by == "room" else V.month
    base = conditions(quantity, per, f)
    out: list[GroupStats] = []
    for plan in _plans(bands or {}, _codes(conn, quantity, per, f.exam_codes)):
        where = and_(*base, *plan.condition)
        agg = (
            select(
                V.exam_code,
                second,
                func.count().label("n"),
                func.avg(V.value).label("mean"),
                func.min(V.value).label("min"),
                func.max(V.value).label("max"),
                func.sum(V.value * V.value).label("ss"),
            )
            .where(where)
            .group_by(V.exam_code, second)
        )
        for code, key, n, mean, lo_v, hi_v, ss in conn.execute(agg).all():
            n, mean = int(n), float(mean)
            in_group = and_(where, V.exam_code == code, second.is_(None) if key is None else second == key)
            values = {name: _percentile_at(conn, in_group, n, p) for name, p in pct.items()}
            var = (float(ss) - n * mean * mean) / (n - 1) if n > 1 else None
            group: dict[str, Any] = {"exam_code": code}
            if by == "room":
                group.update(device_id=key, period="all")
            else:
                group.update(period=month_label(key))
            group["band"] = plan.label
            out.append(
                GroupStats(
                    group,
                    n,
                    mean,
                    math.sqrt(max(var, 0.0)) if var is not None else None,
                    float(lo_v),
                    float(hi_v),
                    values,
                )
            )
    return out


__all__ = ["BY", "lerp_percentile", "percentile", "ranked_stats"]
