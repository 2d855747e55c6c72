"""Group statistics in one SQL statement: n, mean, standard deviation, min, max and percentiles.

Percentiles use linear interpolation between closest ranks, the definition of NumPy's default
('linear', Hyndman & Fan type 7) and of PostgreSQL's percentile_cont: for n sorted values and a fraction
p, h = (n - 1) p, and the result lies between the values of ranks floor(h) + 1 and floor(h) + 2. The
ranks come from window functions (row_number, count over the group), so the same statement runs on
SQLite (which has no percentile aggregate), PostgreSQL and distributed SQL engines; the interpolation
is written as NumPy writes it, so the numbers agree to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Float, Select, case, cast, func, literal, select
from sqlalchemy.sql.expression import ColumnElement

from kerma.analytics.sqlfuncs import floor_nonneg

STANDARD_PERCENTILES: dict[str, float] = {"q1": 0.25, "median": 0.5, "q3": 0.75}


def _lerp(lo: ColumnElement[Any], hi: ColumnElement[Any], t: ColumnElement[Any]) -> ColumnElement[Any]:
    # NumPy's _lerp: a + (b - a) t below t = 0.5, b - (b - a)(1 - t) from there (monotone, exact at ends)
    diff = hi - lo
    return case((t >= 0.5, hi - diff * (1.0 - t)), else_=lo + diff * t)


def group_stats(
    source: Select[Any],
    keys: Sequence[str],
    value: str = "value",
    percentiles: dict[str, float] | None = None,
) -> Select[Any]:
    """Statistics of ``source.value`` per group of ``keys`` (columns of ``source``).

    Columns: the keys, n, mean, var (sample variance, NULL for n = 1), min, max and one column per
    percentile (default q1, median, q3). Rows whose value is NULL are left out.
    """
    pct = percentiles or STANDARD_PERCENTILES
    src = source.subquery("src")
    # REAL in both engines already; the cast only pins the type for the arithmetic below. Magnitudes
    # below 1e-30 (no dose is that small; only corrupt data) become 0: PostgreSQL raises on underflow.
    raw = cast(src.c[value], Float)
    val = case((func.abs(raw) < 1e-30, literal(0.0, Float)), else_=raw)
    part = [src.c[k] for k in keys]
    ranked = (
        select(
            *part,
            val.label("v"),
            func.row_number().over(partition_by=part, order_by=val).label("rn"),
            func.count().over(partition_by=part).label("n"),
            func.avg(val).over(partition_by=part).label("mean"),
        )
        .where(src.c[value].is_not(None))
        .subquery("ranked")
    )
    r = ranked.c
    rk = [r[k] for k in keys]
    cols: list[ColumnElement[Any]] = [
        func.max(r.n).label("n"),
        func.max(r.mean).label("mean"),
        (func.sum((r.v - r.mean) * (r.v - r.mean)) / func.nullif(func.max(r.n) - 1, 0)).label("var"),
        func.min(r.v).label("min"),
        func.max(r.v).label("max"),
    ]
    for name, p in pct.items():
        h = (r.n - 1) * literal(p, Float)
        lo = floor_nonneg(h)
        cols.append(func.max(case((r.rn == lo + 1, r.v))).label(f"{name}__lo"))
        cols.append(func.max(case((r.rn == lo + 2, r.v))).label(f"{name}__hi"))
    agg = select(*rk, *cols).group_by(*rk).subquery("agg")
    a = agg.c
    out: list[ColumnElement[Any]] = [a[k] for k in keys]
    out += [a.n, a.mean, a.var, a.min, a.max]
    for name, p in pct.items():
        h = (a.n - 1) * literal(p, Float)
        t = h - floor_nonneg(h)
        v_lo = a[f"{name}__lo"]
        v_hi = func.coalesce(a[f"{name}__hi"], v_lo)
        out.append(_lerp(v_lo, v_hi, t).label(name))
    return select(*out)


@dataclass(slots=True)
class GroupStats:
    """One group's statistics (derived values computed from the database's)."""

    key: dict[str, Any]
    n: int
    mean: float
    sd: float | None
    min: float
    max: float
    percentiles: dict[str, float]

    @property
    def median(self) -> float:
        """The 50th percentile."""
        return self.percentiles["median"]

    @property
    def qcd(self) -> float | None:
        """Quartile coefficient of dispersion (Q3 - Q1) / (Q3 + Q1); None when undefined."""
        q1, q3 = self.percentiles.get("q1"), self.percentiles.get("q3")
        if q1 is None or q3 is None or q1 + q3 == 0:
            return None
        return (q3 - q1) / (q3 + q1)


def run(
    conn: Connection,
    stmt: Select[Any],
    keys: Sequence[str],
    percentiles: dict[str, float] | None = None,
) -> list[GroupStats]:
    """Execute a :func:`group_stats` statement; the square root of the variance is taken here."""
    pct = percentiles or STANDARD_PERCENTILES
    out = []
    for row in conn.execute(stmt).mappings():
        var = row["var"]
        out.append(
            GroupStats(
                {k: row[k] for k in keys},
                int(row["n"]),
                float(row["mean"]),
                math.sqrt(max(var, 0.0)) if var is not None else None,
                float(row["min"]),
                float(row["max"]),
                {name: float(row[name]) for name in pct},
            )
        )
    return out
