"""Ingest and export benchmark: Kerma's import against pydicom's bare read-and-walk of the same files.

Prints files/s for both, the ratio to that floor and peak memory; then the time and peak memory of
`kerma export` (CSV and XLSX) on a store of many studies. Each phase runs in its own process so peak RSS
belongs to that phase alone.

    python bench/ingest.py --rdsr 10000 --export-studies 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "dicom"


def _child(code: str, *args: str) -> dict[str, float]:
    """Run Python code in a fresh process; it prints one JSON object; adds its peak RSS in MiB."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    data: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return data


FLOOR = r"""
import json, sys, time, resource
from pathlib import Path
import pydicom
files = [Path(p) for p in Path(sys.argv[1]).read_text().splitlines()]
def walk(ds):
    n = 0
    for elem in ds:
        n += 1
        if elem.VR == "SQ":
            for item in elem.value:
                n += walk(item)
        else:
            elem.value
    return n
t = time.perf_counter()
n = 0
for f in files:
    n += walk(pydicom.dcmread(f, stop_before_pixels=True))
dt = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": dt, "elements": n, "rss_mib": rss}))
"""

KERMA = r"""
import json, sys, time, resource
from pathlib import Path
from kerma.config import Settings
from kerma.ingest.hooks import default_hooks
from kerma.ingest.pipeline import Ingestor
from kerma.store import open_store
files = [Path(p) for p in Path(sys.argv[1]).read_text().splitlines()]
engine = open_store(sys.argv[2])
ing = Ingestor(engine, Settings(quarantine_dir=Path(sys.argv[3])), hooks=default_hooks())
t = time.perf_counter()
rep = ing.import_paths(files)
dt = time.perf_counter() - t
d = rep.as_dict()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = {"seconds": dt, "rss_mib": rss, "rejected": len(d["rejected"])}
out.update({k: d[k] for k in ("stored", "duplicates", "not_dose_relevant")})
print(json.dumps(out))
"""


def _files_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix == ".dcm")


def bench_ingest(name: str, files: list[Path], work: Path) -> None:
    listing = work / f"{name}.txt"
    listing.write_text("\n".join(str(f) for f in files))
    # Warm the page cache so neither side pays for the first read from disk.
    for f in files:
        f.read_bytes()
    floor = _child(FLOOR, str(listing))
    db = work / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    kerma = _child(KERMA, str(listing), f"sqlite:///{db}", str(work / "quarantine"))
    n = len(files)
    print(f"\n== ingest: {name} ({n} files) ==")
    print(
        f"  pydicom read-and-walk : {floor['seconds']:8.2f} s  {n / floor['seconds']:8.1f} files/s"
        f"  peak {floor['rss_mib']:.0f} MiB"
    )
    print(
        f"  kerma import (SQLite) : {kerma['seconds']:8.2f} s  {n / kerma['seconds']:8.1f} files/s"
        f"  peak {kerma['rss_mib']:.0f} MiB"
    )
    print(f"  ratio kerma / floor   : {kerma['seconds'] / floor['seconds']:8.2f}x  (target <= 2x)")
    print(
        f"  outcomes: stored {kerma['stored']:.0f}, duplicates {kerma['duplicates']:.0f}, "
        f"not dose-relevant {kerma['not_dose_relevant']:.0f}, rejected {kerma['rejected']:.0f}"
    )


def _fill_store(url: str, n: int) -> None:
    """Insert n synthetic studies directly (export speed does not depend on how rows arrived)."""
    from sqlalchemy import insert

    from kerma.store import open_store
    from kerma.store.schema.core import devices, patients, studies

    engine = open_store(url)
    rng = random.Random(5)
    now = datetime(2025, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            insert(devices),
            [
                {
                    "id": i,
                    "match_key": f"bench-{i}",
                    "display_name": f"ROOM{i}",
                    "manufacturer": "ACME",
                    "model": "M",
                    "station_name": f"ROOM{i}",
                    "created_at": now,
                }
                for i in range(1, 21)
            ],
        )
        conn.execute(
            insert(patients),
            [
                {"id": i, "patient_key": f"P{i:024x}", "is_phantom": False, "created_at": now}
                for i in range(1, n // 3 + 2)
            ],
        )
    chunk = 20000
    for start in range(0, n, chunk):
        rows = []
        for i in range(start, min(n, start + chunk)):
            mod = rng.choice(["CT", "DX", "MG", "RF"])
            rows.append(
                {
                    "study_instance_uid": f"2.25.{i}",
                    "accession_number": f"A{i}",
                    "study_datetime": now + timedelta(minutes=7 * i),
                    "modality": mod,
                    "device_id": rng.randint(1, 20),
                    "patient_id": rng.randint(1, n // 3 + 1),
                    "study_description": rng.choice(["CT Thorax", "HEAD ROUTINE", "Thorax pa", "Mammo"]),
                    "patient_age_years": rng.uniform(1, 90),
                    "patient_sex": rng.choice("MF"),
                    "patient_weight_kg": rng.uniform(10, 120),
                    "patient_height_m": rng.uniform(0.8, 2.0),
                    "is_phantom": False,
                    "event_count": rng.randint(1, 6),
                    "total_dlp_mgy_cm": rng.lognormvariate(6, 0.5) if mod == "CT" else None,
                    "total_dap_gy_cm2": rng.lognormvariate(0, 0.7) if mod != "CT" else None,
                    "dose_source": "rdsr",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        with engine.begin() as conn:
            conn.execute(insert(studies), rows)
    engine.dispose()


def bench_export(work: Path, sizes: list[int]) -> None:
    kerma = str(Path(sys.executable).with_name("kerma"))
    print("\n== export (SQLite, study level) ==")
    for n in sizes:
        db = work / f"export-{n}.db"
        if not db.exists():
            _fill_store(f"sqlite:///{db}", n)
        for fmt in ("csv", "xlsx"):
            out = work / f"export-{n}.{fmt}"
            # Peak RSS of children is cumulative over the run; measure each in a fresh wrapper process.
            code = (
                "import resource,subprocess,sys,time,json;t=time.perf_counter();"
                "subprocess.run(sys.argv[1:],check=True,stdout=subprocess.DEVNULL);"
                "print(json.dumps({'seconds':time.perf_counter()-t,"
                "'rss_mib':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024}))"
            )
            res = _child(code, kerma, "export", "--db", f"sqlite:///{db}", "--format", fmt, "--out", str(out))
            print(
                f"  {n:>7} studies  {fmt:4}: {res['seconds']:6.2f} s  {n / res['seconds']:9.0f} rows/s"
                f"  peak {res['rss_mib']:.0f} MiB  ({out.stat().st_size / 1e6:.1f} MB)"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rdsr", type=int, default=10000, help="simulated studies to import")
    ap.add_argument("--export-studies", type=int, default=100000)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="kerma-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KERMA_SITE_SECRET", "bench-secret-0123456789abcdef")
    print(f"workdir {work}; python {sys.version.split()[0]}; {os.cpu_count()} cpus")
    if CORPUS.is_dir():
        bench_ingest("shared corpus", sorted(p for p in CORPUS.iterdir() if p.is_file()), work)
    else:
        print("shared corpus not found; skipping that part")
    sim = work / f"sim-{args.rdsr}"
    if not sim.exists():
        from kerma.simulate import simulate

        t = time.perf_counter()
        simulate(sim, studies=args.rdsr, seed=11)
        print(f"\nsimulated {args.rdsr} studies in {time.perf_counter() - t:.1f} s")
    files = _files_of(sim)
    rdsr = [f for f in files if "SR" in f.name.upper() or "rdsr" in f.name.lower()]
    bench_ingest(f"simulated RDSRs ({len(rdsr)} of {len(files)} files)", rdsr or files, work)
    bench_ingest("simulated, all objects", files, work)
    sizes = sorted({max(1000, args.export_studies // 10), args.export_studies})
    bench_export(work, sizes)


if __name__ == "__main__":
    main()
