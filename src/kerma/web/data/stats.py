"""Statistics for the overview and the charts, in SQL over studies (counts) and in Python over one
query's values (medians, quartiles, histograms), so SQLite and PostgreSQL give the same numbers.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Select, and_, case, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement

# type-7 (linear) quantile of sorted values, the statistics' own percentile definition
from kerma.analytics.ranked import percentile as quantile
from kerma.store.schema.core import devices, ingest_log, studies
from kerma.web.data.studies import StudyFilter
from kerma.web.fmt import MAIN_QUANTITY

# Values fetched for one distribution chart; beyond this the rows are thinned evenly (the medians of
# a random-order thinning stay within a fraction of a percent on such counts).
MAX_VALUES = 400_000
MAX_SCATTER_POINTS = 4000
# Values on a bin edge belong to the bin above it, despite binary floating point (0.3 / 0.1 = 2.999…).
BIN_NUDGE = 1e-9
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _where(f: StudyFilter) -> ColumnElement[bool]:
    return and_(True, *f.conditions())


def weekly_counts(engine: Engine, f: StudyFilter) -> list[tuple[date, str, int]]:
    """(Monday of the week, modality, studies) for the filtered studies (days grouped in SQL, weeks here)."""
    day = _day(engine).label("day")
    stmt = (
        select(day, studies.c.modality, func.count())
        .where(_where(f), studies.c.study_datetime.is_not(None))
        .group_by(literal_column("day"), studies.c.modality)
    )
    counts: dict[tuple[date, str], int] = defaultdict(int)
    with engine.connect() as conn:
        for d, m, n in conn.execute(stmt).tuples():
            when = date.fromisoformat(str(d)[:10])
            counts[(when - timedelta(days=when.weekday()), m or "?")] += int(n)
    return [(d, m, n) for (d, m), n in sorted(counts.items())]


def _day_hour(engine: Engine) -> ColumnElement[Any]:
    if engine.dialect.name == "sqlite":
        return func.substr(studies.c.study_datetime, 1, 13)
    return func.to_char(studies.c.study_datetime, "YYYY-MM-DD HH24")


def heatmap(engine: Engine, f: StudyFilter) -> list[list[int]]:
    """Studies by weekday (rows, Monday first) and hour of day (24 columns)."""
    dh = _day_hour(engine).label("dh")
    stmt = (
        select(dh, func.count())
        .where(_where(f), studies.c.study_datetime.is_not(None))
        .group_by(literal_column("dh"))
    )
    grid = [[0] * 24 for _ in range(7)]
    with engine.connect() as conn:
        for key, n in conn.execute(stmt).tuples():
            text_key = str(key)
            grid[date.fromisoformat(text_key[:10]).weekday()][int(text_key[11:13])] += int(n)
    return grid


def chart_quantity(f: StudyFilter) -> str:
    """The quantity a chart of ``f`` shows: the chosen one, else the modality's usual one, else DLP."""
    return f.dose_column() or (MAIN_QUANTITY.get(f.modality[0]) if f.modality else None) or "total_dlp_mgy_cm"


@dataclass(frozen=True, slots=True)
class BoxStats:
    """Five-number summary with Tukey whiskers (1.5 × IQR) of one group."""

    name: str
    n: int
    low: float
    q1: float
    median: float
    q3: float
    high: float
    mean: float
    outliers: int


def box_stats(name: str, values: Sequence[float]) -> BoxStats:
    """Summary of one room's values."""
    v = sorted(values)
    q1, med, q3 = quantile(v, 0.25), quantile(v, 0.5), quantile(v, 0.75)
    iqr = q3 - q1
    lo_limit, hi_limit = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    inside = [x for x in v if lo_limit <= x <= hi_limit] or v
    return BoxStats(
        name,
        len(v),
        # an interpolated quartile can lie beyond the last value inside the fence: the whisker reaches it
        sig(min(inside[0], q1)),
        sig(q1),
        sig(med),
        sig(q3),
        sig(max(inside[-1], q3)),
        sig(sum(v) / len(v)),
        len(v) - len(inside),
    )


def histogram(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    """Counts of values in [edges[i], edges[i+1]) (the last bin includes its upper edge)."""
    counts = [0] * (len(edges) - 1)
    if not counts:
        return counts
    lo, hi = edges[0], edges[-1]
    width = edges[1] - edges[0] if hi > lo else 1.0
    for x in values:
        if x < lo or x > hi:
            continue
        # the same arithmetic as the SQL version, with a nudge so 0.3 / 0.1 lands in bin 3, not 2.999…
        i = min(int((x - lo) / width + BIN_NUDGE), len(counts) - 1)
        counts[i] += 1
    return counts


def nice_edges(values: Sequence[float], bins: int = 20) -> list[float]:
    """Histogram bin edges from 0 (or the minimum) to the 99th percentile, on round numbers."""
    v = sorted(values)
    if not v:
        return []
    top = quantile(v, 0.99)
    bottom = 0.0 if v[0] >= 0 else v[0]
    step = nice_step((top - bottom) / bins if top > bottom else 1.0)
    n = max(1, math.ceil((top - bottom) / step))
    return [bottom + i * step for i in range(n + 1)]


def nice_step(raw: float) -> float:
    """The round number (1, 2, 2.5, 5 × 10^k) at or above ``raw``."""
    if raw <= 0:
        return 1.0
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * mag >= raw:
            return m * mag
    return 10.0 * mag


def bucket_start(when: datetime, monthly: bool) -> date:
    """Start of the week (Monday) or month of a time."""
    d = when.date()
    if monthly:
        return d.replace(day=1)
    return d - timedelta(days=d.weekday())


def sig(value: float, digits: int = 6) -> float:
    """``value`` rounded to ``digits`` significant figures (no float noise like 309.54499999999996)."""
    return float(f"{value:.{digits}g}")


def last_ingests(engine: Engine, limit: int = 8) -> dict[str, Any]:
    """The latest ingest log entries and the counts per outcome in the last 24 hours and 7 days."""
    now = datetime.utcnow()
    with engine.connect() as conn:
        recent = [
            dict(r)
            for r in conn.execute(
                select(ingest_log.c.at, ingest_log.c.channel, ingest_log.c.outcome, ingest_log.c.reason)
                .order_by(ingest_log.c.at.desc(), ingest_log.c.id.desc())
                .limit(limit)
            ).mappings()
        ]
        counts = {}
        for label, since in (("24h", now - timedelta(hours=24)), ("7d", now - timedelta(days=7))):
            counts[label] = {
                o: int(n)
                for o, n in conn.execute(
                    select(ingest_log.c.outcome, func.count())
                    .where(ingest_log.c.at >= since)
                    .group_by(ingest_log.c.outcome)
                )
            }
    return {"recent": recent, "counts": counts}


def totals(engine: Engine, f: StudyFilter) -> dict[str, Any]:
    """Headline numbers of the filtered studies: count and rooms."""
    with engine.connect() as conn:
        n, rooms = conn.execute(
            select(func.count(), func.count(func.distinct(studies.c.device_id))).where(_where(f))
        ).one()
    return {"studies": int(n), "rooms": int(rooms)}


# -- per-room statistics over one narrow query ------------------------------------------------------
# Only the columns needed come back (room id, a day string, the value): converting a million datetimes
# costs more than the statistics themselves, and sorting in Python is as fast as a window function.


def _day(engine: Engine) -> ColumnElement[Any]:
    """The study's calendar day as 'YYYY-MM-DD' text (cheap on both databases)."""
    if engine.dialect.name == "sqlite":
        return func.substr(studies.c.study_datetime, 1, 10)
    return func.to_char(studies.c.study_datetime, "YYYY-MM-DD")


def _thinned(engine: Engine, cond: ColumnElement[bool], limit: int) -> tuple[ColumnElement[bool], int, bool]:
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).where(cond)).scalar_one())
    step = max(1, math.ceil(total / limit))
    return (and_(cond, studies.c.id % step == 0) if step > 1 else cond), total, step > 1


def raw_rows(conn: Connection, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """All rows of a statement as the driver returns them: plain ints, floats and strings only.

    For tens of thousands of narrow rows, building SQLAlchemy Row objects costs more than the query;
    the statement still goes through SQLAlchemy (parameters converted), only the rows skip it.
    """
    result = conn.execute(stmt)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def room_values(
    engine: Engine, f: StudyFilter, quantity: str, with_day: bool = False, limit: int = MAX_VALUES
) -> tuple[dict[Any, list[tuple[str, float]]], int, bool]:
    """Values of ``quantity`` per room id (with the day when asked), the number of studies, and whether the
    values were thinned evenly (every k-th study) to stay under ``limit``."""
    col = studies.c[quantity]
    cond = and_(_where(f), col.is_not(None), studies.c.study_datetime.is_not(None))
    cols: list[Any] = [studies.c.device_id, _day(engine) if with_day else literal_column("''"), col]
    with engine.connect() as conn:
        # one pass in the usual case; only a selection beyond the limit is counted and thinned
        rows = raw_rows(conn, select(*cols).where(cond).limit(limit + 1))
    total, thinned = len(rows), False
    if total > limit:
        thin, total, thinned = _thinned(engine, cond, limit)
        with engine.connect() as conn:
            rows = raw_rows(conn, select(*cols).where(thin))
    out: dict[Any, list[tuple[str, float]]] = defaultdict(list)
    for d, day, x in rows:
        out[d].append((day, x))
    return dict(out), total, thinned


def room_names(engine: Engine) -> dict[Any, str]:
    """Display names of all devices (merged ones too: old rows may still point at them)."""
    with engine.connect() as conn:
        names: dict[Any, str] = {
            r.id: r.display_name or f"room {r.id}"
            for r in conn.execute(select(devices.c.id, devices.c.display_name))
        }
    names[None] = "unknown room"
    return names


def room_boxes(engine: Engine, f: StudyFilter, quantity: str, min_n: int = 5) -> list[BoxStats]:
    """Box statistics per room (Tukey whiskers), by median, highest first."""
    if _pg(engine):
        return _pg_room_boxes(engine, f, quantity, min_n)
    values, _, _ = room_values(engine, f, quantity)
    names = room_names(engine)
    out = [
        box_stats(names.get(d, "unknown room"), [x for _, x in pts])
        for d, pts in values.items()
        if len(pts) >= min_n
    ]
    return sorted(out, key=lambda b: -b.median)


def room_median_series(
    engine: Engine, f: StudyFilter, quantity: str, monthly: bool, min_n: int = 2
) -> dict[str, list[tuple[date, float, int]]]:
    """Per room: (period start, median, n) for periods with at least ``min_n`` studies."""
    if _pg(engine):
        return _pg_median_series(engine, f, quantity, monthly, min_n)
    values, _, _ = room_values(engine, f, quantity, with_day=True)
    names = room_names(engine)
    out: dict[str, list[tuple[date, float, int]]] = {}
    starts: dict[str, date] = {}
    for d, pts in values.items():
        groups: dict[date, list[float]] = defaultdict(list)
        for day, x in pts:
            start = starts.get(day)
            if start is None:
                start = starts[day] = bucket_start(datetime.fromisoformat(day), monthly)
            groups[start].append(x)
        series = [
            (b, sig(quantile(sorted(xs), 0.5)), len(xs))
            for b, xs in sorted(groups.items())
            if len(xs) >= min_n
        ]
        if series:
            out[names.get(d, "unknown room")] = series
    return out


def room_histograms(
    engine: Engine, f: StudyFilter, quantity: str, max_rooms: int = 12
) -> tuple[list[float], list[tuple[str, list[int]]]]:
    """Shared bin edges (0 to the 99th percentile, round steps) and counts for the busiest rooms."""
    if _pg(engine):
        return _pg_histograms(engine, f, quantity, max_rooms)
    values, _, _ = room_values(engine, f, quantity)
    every = [x for pts in values.values() for _, x in pts]
    if not every:
        return [], []
    # about 2·√n bins for a typical room: enough shape, not a comb of single studies
    per_room = len(every) / max(1, len(values))
    edges = nice_edges(every, bins=max(6, min(24, int(2 * per_room**0.5))))
    if len(edges) < 2:
        return [], []
    names = room_names(engine)
    busiest = sorted(values.items(), key=lambda kv: -len(kv[1]))[:max_rooms]
    return edges, [
        (names.get(d, "unknown room"), histogram([x for _, x in pts], edges)) for d, pts in busiest
    ]


def size_sample(
    engine: Engine, f: StudyFilter, quantity: str, limit: int = MAX_SCATTER_POINTS
) -> tuple[list[tuple[float, float, str]], int]:
    """(weight kg, dose, room) of an even sample of studies with both, and how many have both."""
    col = studies.c[quantity]
    cond = and_(_where(f), col.is_not(None), studies.c.patient_weight_kg.is_not(None))
    cond, total, _ = _thinned(engine, cond, limit)
    with engine.connect() as conn:
        rows = (
            conn.execute(select(studies.c.patient_weight_kg, col, studies.c.device_id).where(cond))
            .tuples()
            .all()
        )
    names = room_names(engine)
    return [(float(w), float(x), names.get(d, "unknown room")) for w, x, d in rows[: limit * 2]], total


# -- PostgreSQL: the same statistics as ordered-set aggregates in the database -------------------------
# percentile_cont interpolates linearly between ranks, the same 'type 7' quantile as quantile(),
# so both databases give the same numbers; PostgreSQL just does it without shipping every value.


def _pg(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _pct(p: float, col: Any) -> Any:
    return func.percentile_cont(p).within_group(col)


def _pg_room_boxes(engine: Engine, f: StudyFilter, quantity: str, min_n: int) -> list[BoxStats]:
    col = studies.c[quantity]
    cond = and_(_where(f), col.is_not(None), studies.c.study_datetime.is_not(None))
    stmt = (
        select(
            studies.c.device_id, func.count(), func.avg(col), _pct(0.25, col), _pct(0.5, col), _pct(0.75, col)
        )
        .where(cond)
        .group_by(studies.c.device_id)
    )
    with engine.connect() as conn:
        groups = {r[0]: r[1:] for r in conn.execute(stmt).tuples() if int(r[1]) >= min_n}
        if not groups:
            return []
        fences = {d: (q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)) for d, (_, _, q1, _, q3) in groups.items()}
        ids = [d for d in fences if d is not None]
        inside: dict[Any, tuple[float, float, int]] = {}
        if ids:
            lo = case({d: fences[d][0] for d in ids}, value=studies.c.device_id)
            hi = case({d: fences[d][1] for d in ids}, value=studies.c.device_id)
            fenced = (
                select(studies.c.device_id, func.min(col), func.max(col), func.count())
                .where(cond, studies.c.device_id.in_(ids), col >= lo, col <= hi)
                .group_by(studies.c.device_id)
            )
            inside = {d: (float(a), float(b), int(n)) for d, a, b, n in conn.execute(fenced).tuples()}
    names = room_names(engine)
    out = []
    for d, (n, mean, q1, med, q3) in groups.items():
        low, high, n_in = inside.get(d, (q1, q3, int(n)))
        out.append(
            BoxStats(
                names.get(d, "unknown room"),
                int(n),
                sig(min(low, q1)),
                sig(q1),
                sig(med),
                sig(q3),
                sig(max(high, q3)),
                sig(float(mean)),
                int(n) - n_in,
            )
        )
    return sorted(out, key=lambda b: -b.median)


def _pg_median_series(
    engine: Engine, f: StudyFilter, quantity: str, monthly: bool, min_n: int
) -> dict[str, list[tuple[date, float, int]]]:
    col = studies.c[quantity]
    bucket = func.date_trunc("month" if monthly else "week", studies.c.study_datetime).label("b")
    stmt = (
        select(studies.c.device_id, bucket, _pct(0.5, col), func.count())
        .where(_where(f), col.is_not(None), studies.c.study_datetime.is_not(None))
        .group_by(studies.c.device_id, literal_column("b"))
        .having(func.count() >= min_n)
    )
    names = room_names(engine)
    out: dict[str, list[tuple[date, float, int]]] = defaultdict(list)
    with engine.connect() as conn:
        for d, b, med, n in conn.execute(stmt).tuples():
            out[names.get(d, "unknown room")].append((b.date(), sig(float(med)), int(n)))
    return {k: sorted(v) for k, v in out.items()}


def _pg_histograms(
    engine: Engine, f: StudyFilter, quantity: str, max_rooms: int
) -> tuple[list[float], list[tuple[str, list[int]]]]:
    col = studies.c[quantity]
    cond = and_(_where(f), col.is_not(None), studies.c.study_datetime.is_not(None))
    with engine.connect() as conn:
        n_all, lowest, top = conn.execute(
            select(func.count(), func.min(col), _pct(0.99, col)).where(cond)
        ).one()
        if not n_all:
            return [], []
        per_room = conn.execute(
            select(studies.c.device_id, func.count()).where(cond).group_by(studies.c.device_id)
        ).all()
        bottom = 0.0 if float(lowest) >= 0 else float(lowest)
        avg_n = int(n_all) / max(1, len(per_room))
        bins = max(6, min(24, int(2 * avg_n**0.5)))
        step = nice_step((float(top) - bottom) / bins if float(top) > bottom else 1.0)
        n_bins = max(1, math.ceil((float(top) - bottom) / step))
        edges = [bottom + i * step for i in range(n_bins + 1)]
        busiest = [d for d, _ in sorted(per_room, key=lambda r: -r[1])[:max_rooms]]
        index = func.floor((col - bottom) / step + BIN_NUDGE).label("bin")
        stmt = (
            select(studies.c.device_id, index, func.count())
            .where(cond, col <= edges[-1], col >= bottom, studies.c.device_id.in_(busiest))
            .group_by(studies.c.device_id, literal_column("bin"))
        )
        counts: dict[Any, list[int]] = {d: [0] * n_bins for d in busiest}
        for d, b, n in conn.execute(stmt).tuples():
            counts[d][min(int(b), n_bins - 1)] += int(n)
    names = room_names(engine)
    return edges, [(names.get(d, "unknown room"), counts[d]) for d in busiest]
