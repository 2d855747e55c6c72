"""Registry benchmark: import, repair and analysis of 500 facilities x 20 exams x 3 years of messy survey
files (simulated, every kind of damage), then a 200 MB sheet.

Prints seconds per stage and rows/s, the share of rows recovered with correct values, and the baseline
measured in the same run: a bare read of the same files' cells with the plain libraries (openpyxl
read-only for .xlsx, xlrd for .xls, the csv module, Kerma's streaming reader for .ods as nothing else
reads ODS in the environment), which is what any import costs before a single repair.

    python bench/registry.py                      # the full size (several minutes)
    python bench/registry.py --facilities 50      # a quick run
    python bench/registry.py --big-mb 200 --big-measure file   # a 200 MB .xlsx file instead of sheet XML
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("KERMA_SITE_SECRET", "bench-site-secret-0123456789abcdef")


def _bare_read(files: list[Path]) -> int:
    import openpyxl
    import xlrd

    from kerma.registry.readers import open_workbook

    cells = 0
    for f in files:
        suf = f.suffix.lower()
        if suf == ".xlsx":
            wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
            for ws in wb.worksheets:
                for row in ws.iter_rows(values_only=True):
                    cells += sum(v is not None for v in row)
            wb.close()
        elif suf == ".xls":
            book = xlrd.open_workbook(str(f))
            for sh in book.sheets():
                for rx in range(sh.nrows):
                    cells += sum(1 for v in sh.row_values(rx) if v != "")
        elif suf == ".csv":
            raw = f.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("cp1252")
            for row in csv.reader(
                text.splitlines(), delimiter=";" if text.count(";") > text.count(",") else ","
            ):
                cells += sum(1 for v in row if v)
        else:
            for sheet in open_workbook(f).sheets():
                for _, row in sheet.rows():
                    cells += sum(v is not None for v in row)
    return cells


def _stage(name: str, t0: float, rows: int | None = None) -> float:
    dt = time.perf_counter() - t0
    rate = f"  {rows / dt:>10,.0f} rows/s" if rows else ""
    print(f"{name:<34} {dt:>8.1f} s{rate}", flush=True)
    return dt


def main_survey(args: argparse.Namespace, work: Path) -> None:
    from kerma.privacy.pseudonym import Pseudonymiser
    from kerma.registry.analysis import analyse
    from kerma.registry.importer import (
        FILES_PER_COMMIT,
        RegistryKeys,
        read_batch,
        repair_batch,
        store_file,
        survey_files,
    )
    from kerma.registry.simulate import simulate_surveys
    from kerma.registry.truth import compare
    from kerma.reports.registry_pdf import write_report
    from kerma.store import open_store

    out = work / "surveys"
    years = tuple(range(2024 - args.years, 2024))
    print(
        f"registry benchmark: {args.facilities} facilities x {args.exams} exams x {len(years)} years",
        flush=True,
    )
    t0 = time.perf_counter()
    sim = simulate_surveys(out, args.facilities, args.seed, years, args.exams, args.records)
    _stage(f"simulate ({sim.files} files)", t0)
    files = list(survey_files([out]))
    size = sum(f.stat().st_size for f in files)
    print(f"  {sim.records:,} true records, {sim.expected_rejected:,} rows to reject, {size / 1e6:.1f} MB")

    t0 = time.perf_counter()
    cells = _bare_read(files)
    base = _stage("baseline: bare cell read", t0, sim.records)
    print(f"  ({cells:,} cells)")

    t0 = time.perf_counter()
    batch = read_batch([out])
    n_rows = sum(len(f.rows()) for f in batch.files)
    read_t = _stage("read + per-row repair", t0, n_rows)
    t0 = time.perf_counter()
    pz = Pseudonymiser(os.environ["KERMA_SITE_SECRET"].encode())
    keys = RegistryKeys(pz)
    flags = repair_batch(batch.files, keys=keys.row_keys)
    batch_t = _stage("batch checks (units, duplicates)", t0, n_rows)
    engine = open_store(f"sqlite:///{work / 'registry.db'}")
    t0 = time.perf_counter()
    for start in range(0, len(batch.files), FILES_PER_COMMIT):
        with engine.begin() as conn:
            for f in batch.files[start : start + FILES_PER_COMMIT]:
                store_file(conn, f, keys)
    store_t = _stage("store (SQLite)", t0, n_rows)
    t0 = time.perf_counter()
    a = analyse(engine)
    an_t = _stage(f"analysis ({len(a.exams)} exam groups)", t0, n_rows)
    t0 = time.perf_counter()
    pages = write_report(engine, work / "report.pdf", pseudonymised=True)
    rep_t = _stage(f"report PDF ({pages} pages)", t0)
    rec = compare(batch.files, out / "_ground_truth.csv")
    total = read_t + batch_t + store_t + an_t
    print(f"{'import + repair + analysis':<34} {total:>8.1f} s  {n_rows / total:>10,.0f} rows/s")
    print(f"  vs baseline bare read: x{(read_t + batch_t) / base:.2f} for read + repair")
    print(
        f"recovered with correct values: {rec.recovered:,} / {rec.records:,} = {rec.share * 100:.3f} %; "
        f"expected rejections {rec.rejected_as_expected:,} / {rec.expected_rejections:,}; "
        f"{len(flags)} duplicate-claim flags; report {rep_t:.1f} s"
    )


def _big_stage(path: str, q: Any) -> None:
    from kerma.ingest.survey import read_survey

    t0 = time.perf_counter()
    f = read_survey(Path(path))
    dt = time.perf_counter() - t0
    rows = len(f.rows())
    ok = sum(r.status.value != "rejected" for r in f.rows())
    q.put((dt, rows, ok, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def main_big(args: argparse.Namespace, work: Path) -> None:
    import xlsxwriter

    path = work / "big.xlsx"
    t0 = time.perf_counter()
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Daten")
    ws.write_row(
        0, 0, ["Einrichtung", "Jahr", "Gerät", "Code", "DAP (cGy·cm²)", "Gewicht", "Alter", "Bemerkung"]
    )
    target = args.big_mb * 1e6
    i = 0
    while True:
        i += 1
        # Values differ row by row: identical rows would (rightly) be rejected as duplicates.
        dap = round(8 + i / 100_000, 5)
        ws.write_row(
            i,
            0,
            ["Klinikum Groß", 2023, f"Raum {i % 7}", "K-XR-CHEST-PA", dap, 60 + i % 40, 20 + i % 70, "ok"],
        )
        # About 360 bytes of sheet XML and 55 bytes of compressed file per row of this sheet.
        if args.big_measure == "sheet" and i * 360 >= target:
            break
        if args.big_measure == "file" and i * 55 >= target:
            break
    wb.close()
    with zipfile.ZipFile(path) as z:
        xml = sum(m.file_size for m in z.infolist())
    gen = time.perf_counter() - t0
    print(
        f"big sheet: {i:,} rows, file {path.stat().st_size / 1e6:.0f} MB, sheet XML {xml / 1e6:.0f} MB "
        f"(written in {gen:.0f} s)",
        flush=True,
    )
    q: Any = mp.get_context("fork").Queue()
    p = mp.get_context("fork").Process(target=_big_stage, args=(str(path), q))
    p.start()
    dt, rows, ok, rss = q.get()
    p.join()
    print(
        f"{'read + repair of the big sheet':<34} {dt:>8.1f} s  {rows / dt:>10,.0f} rows/s  ({ok:,} rows ok)"
    )
    print(
        f"  peak memory of that process: {rss:,.0f} MB (streaming reader; rows are kept for the batch checks)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--facilities", type=int, default=500)
    ap.add_argument("--exams", type=int, default=20)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--records", type=int, default=6, help="records per exam and device (about)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--big-mb", type=int, default=200, help="size of the big sheet; 0 skips it")
    ap.add_argument("--big-measure", choices=("sheet", "file"), default="sheet")
    ap.add_argument("--big-only", action="store_true", help="only the big sheet")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kerma-bench-registry-") as tmp:
        work = Path(tmp)
        if not args.big_only:
            main_survey(args, work)
        if args.big_mb:
            main_big(args, work)


if __name__ == "__main__":
    main()
