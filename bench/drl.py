"""DRL compliance and establishment over N simulated CT events, in SQLite and PostgreSQL, against NumPy.

Rows are generated in the database with SQL (no DICOM): N events in N/3 studies (one localizer and two
acquisitions each), 20 rooms, 8 exam codes, two years; every 50th event uncounted and every 200th study a
phantom, so the exclusions are exercised. The values are a deterministic function of the row number, so
both engines hold the same data. Rows loaded by SQL are then copied to the statistics table
(`kerma db rebuild-stats`). For each engine the script times `compliance` (DLP and CTDIvol, per room,
with the DRLs in force), the monthly trend and `establish` (DLP), then fetches the same value rows and
computes the group statistics with NumPy, and checks n, mean, min, max, Q1, median and Q3 agree, per
room and per exam code and month.

    python bench/drl.py [--rows 10000000] [--postgres URL] [--no-postgres] [--keep]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, create_engine, text

from kerma.analytics.quantities import StatsFilter, values_query
from kerma.analytics.ranked import ranked_stats
from kerma.analytics.values import rebuild
from kerma.drl.compliance import compliance, establish
from kerma.store import open_store

EXAMS = ("1010", "1021", "1030", "1031", "1050", "1060", "1065", "1041")
ROOMS = 20
PAIRS = (("dlp_mgy_cm", "study"), ("ctdivol_mgy", "study"), ("ctdivol_mgy", "exposure"))
# u(i) in [0, 1): a multiplicative hash of the row number, identical in both engines (64-bit integers)
U = "(((({i}) * 2654435761) % 1000003) / 1000003.0)"
V = "(((({i}) * 40503 + 12345) % 999983) / 999983.0)"


def _u(expr: str) -> str:
    return U.format(i=expr)


def _v(expr: str) -> str:
    return V.format(i=expr)


def _series(engine: Engine, n: int) -> str:
    if engine.dialect.name == "sqlite":
        return f"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < {n}) "
    return f"WITH c(i) AS (SELECT CAST(g AS BIGINT) FROM generate_series(1, {n}) AS g) "


def _day(engine: Engine, expr: str) -> str:
    if engine.dialect.name == "sqlite":
        return f"datetime('2024-01-01 08:00:00', '+' || ({expr}) || ' days')"
    return f"(TIMESTAMP '2024-01-01 08:00:00' + ({expr}) * INTERVAL '1 day')"


def generate(engine: Engine, events: int) -> None:
    """Fill an empty store with ``events`` events (a multiple of 3) and their studies."""
    studies = events // 3
    true, false = ("1", "0") if engine.dialect.name == "sqlite" else ("TRUE", "FALSE")
    exam = "CASE ((i * 7) % 8) " + " ".join(f"WHEN {k} THEN '{c}'" for k, c in enumerate(EXAMS)) + " END"
    base = (
        "CASE ((i * 7) % 8) "
        + " ".join(f"WHEN {k} THEN {b}" for k, b in enumerate((900, 300, 350, 250, 500, 700, 800, 600)))
        + " END"
    )
    room_factor = "(0.8 + 0.02 * ((i % 20)))"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO devices (id, match_key, display_name, station_name, institution, manufacturer, "
                "model, created_at) "
                + _series(engine, ROOMS)
                + "SELECT i, 'bench-' || i, 'Room ' || i, 'CT' || i, "
                "CASE WHEN i <= 10 THEN 'Hospital A' ELSE 'Hospital B' END, 'BENCH', 'CT', CURRENT_TIMESTAMP "
                "FROM c"
            )
        )
        conn.execute(
            text(
                f"INSERT INTO patients (id, patient_key, is_phantom, created_at) VALUES (1, 'p1', {false}, "
                "CURRENT_TIMESTAMP)"
            )
        )
        t0 = time.perf_counter()
        conn.execute(
            text(
                "INSERT INTO studies (id, study_instance_uid, study_datetime, modality, device_id, "
                "patient_id, study_description, patient_age_years, is_phantom, event_count, "
                "total_dlp_mgy_cm, dose_source, created_at, updated_at) "
                + _series(engine, studies)
                + f"SELECT i, 's' || i, {_day(engine, 'i % 730')}, 'CT', (i % {ROOMS}) + 1, 1, 'bench', "
                f"18 + (i % 70), CASE WHEN i % 200 = 0 THEN {true} ELSE {false} END, 3, "
                f"{base} * {room_factor} * (0.4 + 1.2 * {_u('i')}), 'rdsr', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP FROM c"
            )
        )
        conn.execute(
            text(
                "INSERT INTO study_exam_codes (study_id, exam_code, exam_name, mapped_by, mapped_at) "
                + _series(engine, studies)
                + f"SELECT i, {exam}, 'bench', 'rule', CURRENT_TIMESTAMP FROM c"
            )
        )
        conn.execute(
            text(
                "INSERT INTO dose_objects (id, sop_instance_uid, sop_class_uid, study_id, source, status, "
                "summary, received_at) "
                + _series(engine, studies)
                + "SELECT i, 'o' || i, '1.2.840.10008.5.1.4.1.1.88.67', i, 'rdsr', 'counted', '{}', "
                "CURRENT_TIMESTAMP FROM c"
            )
        )
        print(f"  studies: {time.perf_counter() - t0:.1f} s", flush=True)
        t0 = time.perf_counter()
        sid = "((i - 1) / 3 + 1)"
        conn.execute(
            text(
                "INSERT INTO events (id, study_id, dose_object_id, source, counted, irradiation_event_uid, "
                "modality, dedupe_key, event_type, ctdivol_mgy, dlp_mgy_cm) "
                + _series(engine, events)
                + f"SELECT i, {sid}, {sid}, 'rdsr', CASE WHEN i % 50 = 0 THEN {false} ELSE {true} END, "
                "'e' || i, 'CT', 'e' || i, CASE WHEN i % 3 = 1 THEN 'constant_angle' ELSE 'spiral' END, "
                f"CASE WHEN i % 3 = 1 THEN 0.2 ELSE 4 + 20 * {_v('i')} END, "
                f"CASE WHEN i % 3 = 1 THEN 10 ELSE 100 + 400 * {_v('i')} END FROM c"
            )
        )
        print(f"  events: {time.perf_counter() - t0:.1f} s", flush=True)
        t0 = time.perf_counter()
        # rows loaded by SQL bypass the writers that keep stat_values in step: rebuild it, as
        # `kerma db rebuild-stats` does after such a load
        rows = rebuild(conn)
        print(f"  statistics table: {rows:,} values in {time.perf_counter() - t0:.1f} s", flush=True)
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        # fold the write-ahead log into the database file: reads through a multi-GB WAL are slow
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        # what autovacuum does on a running server: statistics, and the visibility map that lets
        # index-only scans skip the table
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def numpy_stats(rows: list[tuple[Any, ...]], nkeys: int) -> dict[tuple[Any, ...], dict[str, float]]:
    """Group statistics of (keys..., value) rows with NumPy (percentile method 'linear')."""
    keys = [tuple(r[:nkeys]) for r in rows]
    values = np.fromiter((r[nkeys] for r in rows), dtype=np.float64, count=len(rows))
    uniq: dict[tuple[Any, ...], int] = {}
    codes = np.fromiter((uniq.setdefault(k, len(uniq)) for k in keys), dtype=np.int64, count=len(keys))
    order = np.lexsort((values, codes))
    codes, values = codes[order], values[order]
    bounds = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(codes)]))
    names = {v: k for k, v in uniq.items()}
    out = {}
    for s, e in zip(starts, ends, strict=True):
        v = values[s:e]
        q1, med, q3 = np.percentile(v, [25, 50, 75])
        out[names[int(codes[s])]] = {
            "n": len(v),
            "mean": float(v.mean()),
            "min": float(v[0]),
            "max": float(v[-1]),
            "q1": q1,
            "median": med,
            "q3": q3,
        }
    return out


def check(engine: Engine) -> tuple[float, float, int, float]:
    """(seconds in SQL, seconds in NumPy, groups, worst relative difference) over PAIRS, per room and per
    exam code and month, each checked against NumPy on the same value rows."""
    sql_s = np_s = 0.0
    groups = 0
    worst = 0.0
    f = StatsFilter(modality=["CT"])
    for (q, per), by in itertools.product(PAIRS, ("room", "month")):
        src = values_query(q, per, f, "all" if by == "room" else "month")
        with engine.connect() as conn:
            t0 = time.perf_counter()
            got = ranked_stats(conn, q, per, f, by=by)
            sql_s += time.perf_counter() - t0
            rows = conn.execute(src).all()
        keys = ["exam_code", "device_id"] if by == "room" else ["exam_code", "period"]
        t0 = time.perf_counter()
        ref = numpy_stats([(r[0], r[1] if by == "room" else r[2], r[4]) for r in rows], 2)
        np_s += time.perf_counter() - t0
        assert len(ref) == len(got), (q, per, by, len(ref), len(got))
        for g in got:
            r = ref[tuple(g.key[k] for k in keys)]
            assert g.n == r["n"], (q, per, g.key, g.n, r["n"])
            for name, x in (
                ("q1", g.percentiles["q1"]),
                ("median", g.median),
                ("q3", g.percentiles["q3"]),
                ("min", g.min),
                ("max", g.max),
            ):
                if x != r[name]:
                    raise AssertionError(f"{q}/{per}/{by} {g.key} {name}: SQL {x!r} NumPy {r[name]!r}")
            worst = max(worst, abs(g.mean - r["mean"]) / abs(r["mean"]))
        groups += len(got)
    return sql_s, np_s, groups, worst


def bench(engine: Engine, events: int, label: str) -> dict[str, Any]:
    print(f"{label}: generating {events:,} events ...", flush=True)
    t0 = time.perf_counter()
    generate(engine, events)
    print(f"  generated in {time.perf_counter() - t0:.1f} s", flush=True)
    f = StatsFilter(modality=["CT"])
    t0 = time.perf_counter()
    comp = compliance(engine, f, quantities=["dlp_mgy_cm", "ctdivol_mgy"], period="all")
    t_comp = time.perf_counter() - t0
    t0 = time.perf_counter()
    comp_m = compliance(engine, f, quantities=["dlp_mgy_cm"], period="month", by_room=False)
    t_trend = time.perf_counter() - t0
    t0 = time.perf_counter()
    est = establish(engine, f, quantity="dlp_mgy_cm", min_per_room=20)
    t_est = time.perf_counter() - t0
    sql_s, np_s, groups, worst = check(engine)
    print(f"  compliance (DLP + CTDIvol, per room): {t_comp:.2f} s, {len(comp)} groups", flush=True)
    print(f"  monthly trend (DLP, all rooms): {t_trend:.2f} s, {len(comp_m)} groups", flush=True)
    print(f"  establish (DLP): {t_est:.2f} s, {len(est)} exam codes", flush=True)
    print(
        f"  statistics check over {groups} groups: SQL {sql_s:.2f} s, NumPy {np_s:.2f} s (on fetched rows), "
        f"ratio SQL/NumPy {sql_s / np_s:.2f}; order statistics identical, mean within {worst:.1e}",
        flush=True,
    )
    return {
        "compliance": comp,
        "establish": est,
        "t_comp": t_comp,
        "t_est": t_est,
        "sql": sql_s,
        "numpy": np_s,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="events to generate (default 10 million)")
    ap.add_argument(
        "--postgres",
        default=os.environ.get("KERMA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the databases")
    args = ap.parse_args()
    events = max(3, args.rows - args.rows % 3)
    results = {}
    with tempfile.TemporaryDirectory(prefix="kerma-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = open_store(url)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        results["sqlite"] = bench(engine, events, "SQLite")
        engine.dispose()
    if not args.no_postgres:
        base, _, _ = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1).rpartition("/")
        name = "kerma_bench_" + uuid.uuid4().hex[:8]
        admin = create_engine(
            args.postgres.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            engine = open_store(f"{base}/{name}")
            results["postgresql"] = bench(engine, events, "PostgreSQL")
            engine.dispose()
        finally:
            if not args.keep:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        a, b = results["sqlite"], results["postgresql"]
        same = _same(a["compliance"], b["compliance"]) and _same(a["establish"], b["establish"])
        print(f"SQLite and PostgreSQL results identical: {same}")
        if not same:
            return 1
    return 0


def _same(x: list[dict[str, Any]], y: list[dict[str, Any]]) -> bool:
    if len(x) != len(y):
        return False
    for r, s in zip(x, y, strict=True):
        for k, v in r.items():
            w = s[k]
            if isinstance(v, float) and isinstance(w, float):
                if abs(v - w) > 1e-9 * max(abs(v), abs(w), 1e-12):
                    print("differs:", k, v, w)
                    return False
            elif v != w:
                print("differs:", k, v, w)
                return False
    return True


if __name__ == "__main__":
    sys.exit(main())
