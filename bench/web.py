"""Dashboard and API latency on a store of many studies (default 1 million), on SQLite and PostgreSQL.

Rows are inserted straight into devices, patients, studies, dose_objects and events (no DICOM), with
realistic spreads of modality, room, time of day and dose. Then each page and API call is requested
in-process (FastAPI TestClient, so the figures include routing, auth, SQL, Python work and rendering,
but no network) and p50/p95 are printed. Baselines measured in the same run: `/health` (the framework
and auth floor: it needs no database) and a bare `SELECT count(*) FROM studies`.

    python bench/web.py --studies 1000000 [--postgres URL] [--repeat 20] [--keep]

Not part of the test suite. Target: p95 under 300 ms for every line.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("KERMA_SITE_SECRET", "bench-site-secret-0123456789abcdef")

from fastapi.testclient import TestClient  # noqa: E402

from kerma.store import open_store  # noqa: E402
from kerma.web.app import create_app  # noqa: E402
from kerma.web.auth.users import create_token, create_user, find_user  # noqa: E402

MODALITIES = (("CT", 0.32), ("DX", 0.45), ("MG", 0.10), ("RF", 0.08), ("XA", 0.05))
ROOMS_PER_MODALITY = {"CT": 12, "DX": 20, "MG": 6, "RF": 6, "XA": 6}
DESCRIPTIONS = {
    "CT": ["CT Head", "CT Thorax", "CT Abdomen", "CT Thorax-Abdomen", "CT Angio", "CT Spine"],
    "DX": ["Chest PA", "Chest PA+LAT", "Knee", "Hand", "Pelvis", "Lumbar spine"],
    "MG": ["Screening", "Diagnostic mammography"],
    "RF": ["Barium swallow", "ERCP", "Cystography"],
    "XA": ["Coronary angiography", "PCI", "Peripheral angiography"],
}
CHUNK = 20_000


def _dose(mod: str, rng: random.Random) -> dict[str, float | None]:
    ln = rng.lognormvariate
    if mod == "CT":
        return {"total_dlp_mgy_cm": round(ln(6.2, 0.5), 1)}
    if mod == "DX":
        return {"total_dap_gy_cm2": round(ln(-1.6, 0.6), 4), "total_kar_mgy": round(ln(-0.5, 0.6), 3)}
    if mod == "MG":
        return {"total_agd_mgy": round(ln(1.3, 0.25), 2)}
    return {
        "total_dap_gy_cm2": round(ln(3.0, 0.8), 2),
        "total_kar_mgy": round(ln(5.0, 0.8), 1),
        "total_fluoro_time_s": round(ln(5.5, 0.6), 0),
    }


def rows(
    n: int, seed: int = 7
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (studies, dose_objects, events) rows; ids are 1..n (one object per study, 1-3 events)."""
    rng = random.Random(seed)
    start = datetime(2021, 1, 4)
    span_days = 5 * 365
    rooms: dict[str, list[int]] = {}
    rid = 0
    for mod, k in ROOMS_PER_MODALITY.items():
        rooms[mod] = list(range(rid + 1, rid + k + 1))
        rid += k
    mods = [m for m, _ in MODALITIES]
    weights = [w for _, w in MODALITIES]
    now = datetime(2026, 1, 1)
    s_buf: list[tuple[Any, ...]] = []
    o_buf: list[tuple[Any, ...]] = []
    e_buf: list[tuple[Any, ...]] = []
    eid = 0
    for i in range(1, n + 1):
        mod = rng.choices(mods, weights)[0]
        day = start + timedelta(days=int(span_days * i / n))
        # weekdays busier than weekends, office hours busier than nights
        if day.weekday() >= 5 and rng.random() < 0.7:
            day -= timedelta(days=day.weekday() - 4)
        hour = int(min(23, max(0, rng.gauss(11.5, 3.5))))
        when = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        dose = _dose(mod, rng)
        n_ev = 2 if mod == "CT" else (rng.randint(5, 20) if mod in ("RF", "XA") else rng.randint(1, 3))
        n_ev = min(n_ev, 3)
        s_buf.append(
            (
                i,
                f"1.2.826.0.1.3680043.99.{i}",
                f"A{i:08d}",
                when,
                mod,
                rng.choice(rooms[mod]),
                rng.randrange(1, n // 3 + 2),
                rng.choice(DESCRIPTIONS[mod]),
                round(rng.uniform(18, 92), 1),
                rng.choice("FM"),
                round(rng.gauss(75, 15), 1) if rng.random() < 0.6 else None,
                False,
                n_ev,
                dose.get("total_dlp_mgy_cm"),
                dose.get("total_dap_gy_cm2"),
                dose.get("total_kar_mgy"),
                dose.get("total_fluoro_time_s"),
                dose.get("total_agd_mgy"),
                "rdsr",
                now,
                now,
            )
        )
        o_buf.append(
            (
                i,
                f"1.2.826.0.1.3680043.98.{i}",
                "1.2.840.10008.5.1.4.1.1.88.67",
                i,
                "rdsr",
                "counted",
                "{}",
                now,
            )
        )
        for k in range(n_ev):
            eid += 1
            share = 1.0 / n_ev
            e_buf.append(
                (
                    eid,
                    i,
                    i,
                    "rdsr",
                    True,
                    f"1.2.826.0.1.3680043.97.{eid}",
                    mod,
                    f"1.2.826.0.1.3680043.97.{eid}",
                    when + timedelta(minutes=k),
                    (dose.get("total_dlp_mgy_cm") or 0) * share or None,
                    (dose.get("total_dap_gy_cm2") or 0) * share or None,
                )
            )
        if len(s_buf) >= CHUNK:
            yield s_buf, o_buf, e_buf
            s_buf, o_buf, e_buf = [], [], []
    if s_buf:
        yield s_buf, o_buf, e_buf


STUDY_COLS = (
    "id, study_instance_uid, accession_number, study_datetime, modality, device_id, patient_id, "
    "study_description, patient_age_years, patient_sex, patient_weight_kg, is_phantom, event_count, "
    "total_dlp_mgy_cm, total_dap_gy_cm2, total_kar_mgy, total_fluoro_time_s, total_agd_mgy, dose_source, "
    "created_at, updated_at"
)
OBJECT_COLS = "id, sop_instance_uid, sop_class_uid, study_id, source, status, summary, received_at"
EVENT_COLS = (
    "id, study_id, dose_object_id, source, counted, irradiation_event_uid, modality, dedupe_key, "
    "datetime_started, dlp_mgy_cm, dap_gy_cm2"
)


def fill(engine: Engine, n: int) -> float:
    """Insert ``n`` studies (and rooms, patients, objects, events); returns seconds."""
    t0 = time.perf_counter()
    now = datetime(2026, 1, 1)
    devices = []
    rid = 0
    for mod, k in ROOMS_PER_MODALITY.items():
        for j in range(k):
            rid += 1
            devices.append(
                (rid, f"bench|{mod}|{j}", f"{mod}-ROOM-{j + 1:02d}", "ACME", f"{mod} 9000", f"{mod}{j}", now)
            )
    n_patients = n // 3 + 1
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        pg = engine.dialect.name == "postgresql"

        def put(table: str, cols: str, data: list[tuple[Any, ...]]) -> None:
            if pg:
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for r in data:
                        copy.write_row(r)
            else:
                marks = ",".join("?" * len(data[0]))
                cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", data)

        put(
            "devices",
            "id, match_key, display_name, manufacturer, model, station_name, created_at",
            devices,
        )
        for lo in range(1, n_patients + 1, CHUNK * 5):
            put(
                "patients",
                "id, patient_key, is_phantom, created_at",
                [(i, f"P{i:024x}", False, now) for i in range(lo, min(n_patients, lo + CHUNK * 5 - 1) + 1)],
            )
        for s, o, e in rows(n):
            put("studies", STUDY_COLS, s)
            put("dose_objects", OBJECT_COLS, o)
            put("events", EVENT_COLS, e)
        raw.commit()
    finally:
        raw.close()
    # statistics for the planner (and, on PostgreSQL, the visibility map that index-only scans need)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return time.perf_counter() - t0


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """p50 and p95 in ms of ``repeat`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def measure(url: str, n: int, repeat: int) -> list[tuple[str, float, float]]:
    """Fill a fresh store at ``url`` and time the pages and API calls."""
    engine = open_store(url)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM studies")).scalar_one()
    if have == 0:
        fill_s = fill(engine, n)
        print(f"  filled {n:,} studies in {fill_s:.0f} s", flush=True)
    else:
        n = int(have)
        print(f"  using the {n:,} studies already there", flush=True)
    if find_user(engine, "bench") is None:
        create_user(engine, "bench", "bench password 123", "admin", "bench")
    token = create_token(engine, "bench", "bench")
    client = TestClient(create_app(engine), headers={"Authorization": f"Bearer {token}"})
    uid = f"1.2.826.0.1.3680043.99.{n // 2}"
    rng = random.Random(1)

    def get(path: str, **params: Any) -> Callable[[], Any]:
        def call() -> Any:
            r = client.get(path, params=params)
            assert r.status_code == 200, (path, r.status_code, r.text[:200])
            return r

        return call

    def random_study() -> Any:
        r = client.get(f"/studies/1.2.826.0.1.3680043.99.{rng.randrange(1, n + 1)}")
        assert r.status_code == 200
        return r

    with engine.connect() as conn:
        count = lambda: conn.execute(text("SELECT count(*) FROM studies")).scalar()  # noqa: E731
        base = timed(count, repeat)
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("baseline: /health (no database)", get("/health")),
        ("overview page /", get("/")),
        ("studies page /studies (newest first)", get("/studies")),
        (
            "studies page, CT in 2025, by DLP",
            get("/studies", modality="CT", **{"from": "2025-01-01"}, sort="total_dlp_mgy_cm"),
        ),
        ("API /api/studies (50 rows)", get("/api/studies")),
        (
            "API /api/studies CT, DLP 500-800, page 20",
            get("/api/studies", modality="CT", dose_min=500, dose_max=800, page=20),
        ),
        ("API /api/studies by DAP, all modalities", get("/api/studies", sort="total_dap_gy_cm2")),
        ("study page /studies/{uid}", get(f"/studies/{uid}")),
        ("study page, random study", random_study),
        ("API /api/studies/{uid}", get(f"/api/studies/{uid}")),
        ("API /api/stats/overview", get("/api/stats/overview")),
        ("API /api/stats/trend (CT, 12 months)", get("/api/stats/trend")),
        ("API /api/stats/boxplot (CT, 12 months)", get("/api/stats/boxplot")),
        ("API /api/stats/histogram (DX, 12 months)", get("/api/stats/histogram", modality="DX")),
        ("API /api/stats/heatmap (CT, 12 months)", get("/api/stats/heatmap")),
        ("API /api/stats/scatter (CT, 12 months)", get("/api/stats/scatter")),
        ("API /api/stats/weekly (12 weeks)", get("/api/stats/weekly")),
        ("charts page (trend)", get("/charts")),
    ]
    out = [("baseline: SELECT count(*) FROM studies", *base)]
    for name, fn in cases:
        out.append((name, *timed(fn, repeat)))
        print(f"  {name:<46} p50 {out[-1][1]:7.1f} ms   p95 {out[-1][2]:7.1f} ms", flush=True)
    engine.dispose()
    return out


def main() -> None:
    """Run the benchmark on SQLite and (when reachable) PostgreSQL."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--studies", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument(
        "--postgres",
        default=os.environ.get("KERMA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"),
        help="An existing database on the server to create the benchmark database from ('' to skip).",
    )
    ap.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    ap.add_argument("--keep", action="store_true", help="Keep the benchmark databases.")
    ap.add_argument("--sqlite-file", default=None, help="SQLite file to use (kept; filled if empty).")
    args = ap.parse_args()
    results: dict[str, list[tuple[str, float, float]]] = {}
    if args.only in (None, "sqlite"):
        if args.sqlite_file:
            print(f"SQLite ({args.sqlite_file}):", flush=True)
            results["SQLite"] = measure(f"sqlite:///{args.sqlite_file}", args.studies, args.repeat)
        else:
            tmp = Path(tempfile.mkdtemp(prefix="kerma-bench-web-"))
            print(f"SQLite ({tmp / 'kerma.db'}):", flush=True)
            results["SQLite"] = measure(f"sqlite:///{tmp / 'kerma.db'}", args.studies, args.repeat)
        if not args.keep and not args.sqlite_file:
            for f in tmp.iterdir():
                f.unlink()
            tmp.rmdir()
    if args.postgres and args.only in (None, "postgresql"):
        admin_url = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        name = "kerma_bench_web_" + uuid.uuid4().hex[:8]
        try:
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # no server: say so and carry on
            print(f"PostgreSQL skipped: {exc.__class__.__name__}: {exc}")
        else:
            url = args.postgres.rsplit("/", 1)[0] + "/" + name
            print(f"PostgreSQL ({name}):", flush=True)
            try:
                results["PostgreSQL"] = measure(url, args.studies, args.repeat)
            finally:
                if not args.keep:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"\n{args.studies:,} studies; p50 / p95 in ms over {args.repeat} requests (target: p95 < 300 ms)")
    names = [r[0] for r in next(iter(results.values()))] if results else []
    header = "".join(f"{db:>24}" for db in results)
    print(f"{'':<48}{header}")
    for i, name in enumerate(names):
        cells = "".join(f"{results[db][i][1]:>11.1f} /{results[db][i][2]:>9.1f}  " for db in results)
        flag = (
            ""
            if name.startswith("baseline") or all(results[db][i][2] < 300 for db in results)
            else "  <-- over"
        )
        print(f"{name:<48}{cells}{flag}")


if __name__ == "__main__":
    main()
