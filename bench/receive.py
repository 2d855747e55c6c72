"""DICOM receive rate: the same batch sent by dcmtk's storescu to `kerma serve` and to Orthanc.

Batch: the shared corpus files storescu accepts plus simulated studies (kerma.simulate). Prints
objects/s for one association to each receiver, their ratio, and the result with 8 concurrent
associations (8 storescu processes, the batch split in 8): best and median of the runs and every run,
the two receivers taking turns. All of it twice: storescu and Orthanc as shipped (dcmtk keeps Nagle's
algorithm on), and both with TCP_NODELAY=1 (Nagle off), Orthanc's best case.
Checks that nothing was lost: every object storescu saw acknowledged is in Kerma's database. Not part
of the test suite.

    .venv/bin/python bench/receive.py [--studies 150] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydicom import dcmread  # noqa: E402
from sqlalchemy import select  # noqa: E402

from kerma.simulate import simulate  # noqa: E402
from kerma.store import open_store  # noqa: E402
from kerma.store.schema.core import dose_objects, ingest_log  # noqa: E402
from tests.e2e.dicom_peers import acknowledged, orthanc, start_kerma, storescu_args  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "dicom"
REFUSED_BY_STORESCU = {"MG-Im-Hologic-PropProj.dcm"}  # a malformed code item dcmtk will not send


# storescu and Orthanc both use dcmtk, which keeps Nagle's algorithm on unless TCP_NODELAY=1 is in its
# environment. Kerma sets its own sockets whatever the environment says.
CONFIGS = {
    "storescu and Orthanc as shipped (Nagle on)": {},
    "storescu and Orthanc with TCP_NODELAY=1 (Nagle off)": {"TCP_NODELAY": "1"},
}


def send(port: int, aec: str, batches: list[list[Path]]) -> tuple[float, dict[str, str]]:
    """Run one storescu per batch at the same time; seconds and the acknowledged statuses per file."""
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            storescu_args(port, files, aet=f"BENCH{i}", aec=aec),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i, files in enumerate(batches)
    ]
    acks: dict[str, str] = {}
    for p in procs:
        out, _ = p.communicate()
        acks.update(acknowledged(out))
    return time.perf_counter() - start, acks


def split(files: list[Path], n: int) -> list[list[Path]]:
    return [files[i::n] for i in range(n)]


def kerma_run(work: Path, name: str, files: list[Path], n: int) -> tuple[float, dict[str, str], str]:
    url = f"sqlite:///{work / (name + '.db')}"
    server = start_kerma(url, work)
    try:
        seconds, acks = send(server.dicom_port, "KERMA", split(files, n))
    finally:
        server.terminate()
    return seconds, acks, url


def orthanc_run(work: Path, name: str, files: list[Path], n: int) -> tuple[float, dict[str, str]]:
    with orthanc(work / name) as peer:
        seconds, acks = send(peer.dicom_port, "ORTHANC", split(files, n))
    shutil.rmtree(work / name, ignore_errors=True)
    return seconds, acks


def check_nothing_lost(url: str, files: list[Path], acks: dict[str, str]) -> tuple[int, int, list[str]]:
    """Every acknowledged file has an outcome in the ingest log, and every stored one is a dose object."""
    engine = open_store(url)
    with engine.connect() as conn:
        stored = {r[0] for r in conn.execute(select(dose_objects.c.sop_instance_uid))}
        logged = {r[0] for r in conn.execute(select(ingest_log.c.sop_instance_uid))}
    engine.dispose()
    missing = []
    for f in files:
        if acks.get(str(f)) != "Success":
            missing.append(f"{f.name}: not acknowledged ({acks.get(str(f))})")
            continue
        uid = str(dcmread(f, stop_before_pixels=True, specific_tags=["SOPInstanceUID"]).SOPInstanceUID)
        if uid not in logged:
            missing.append(f"{f.name}: acknowledged but not in the ingest log")
    return len(stored), len(logged), missing


def compare(work: Path, files: list[Path], n: int, repeat: int, tag: str) -> tuple[float, list[str]] | None:
    """Both receivers ``repeat`` times, taking turns: Kerma's best rate and the lines to print; None if
    Kerma lost an object."""
    k_runs: list[float] = []
    o_runs: list[float] = []
    for r in range(repeat):
        o_s, o_acks = orthanc_run(work, f"orthanc-{tag}-{n}-{r}", files, n)
        k_s, k_acks, url = kerma_run(work, f"kerma-{tag}-{n}-{r}", files, n)
        assert set(o_acks.values()) == {"Success"} and len(o_acks) == len(files), "Orthanc refused some"
        stored, logged, missing = check_nothing_lost(url, files, k_acks)
        if missing:
            print("LOST:", *missing, sep="\n  ")
            return None
        k_runs.append(len(files) / k_s)
        o_runs.append(len(files) / o_s)
    k_best, o_best = max(k_runs), max(o_runs)
    k_med, o_med = statistics.median(k_runs), statistics.median(o_runs)
    lines = [
        f"kerma {k_best:7.1f} objects/s   orthanc {o_best:7.1f} objects/s   "
        f"ratio kerma/orthanc {k_best / o_best:.2f} (best of {repeat})",
        f"median: kerma {k_med:.1f}, orthanc {o_med:.1f}, ratio {k_med / o_med:.2f}; "
        f"every run: kerma {', '.join(f'{x:.1f}' for x in k_runs)}; "
        f"orthanc {', '.join(f'{x:.1f}' for x in o_runs)}",
        f"kerma: all {len(files)} acknowledged, {logged} objects logged, "
        f"{stored} dose objects stored, nothing lost",
    ]
    return k_best, lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studies", type=int, default=150, help="simulated studies added to the corpus")
    ap.add_argument("--repeat", type=int, default=2, help="runs per receiver; the best is reported")
    args = ap.parse_args()
    for tool in ("storescu", "Orthanc"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed", file=sys.stderr)
            return 2
    os.environ.setdefault("KERMA_SITE_SECRET", "bench-site-secret-0123456789abcdef")
    with tempfile.TemporaryDirectory(prefix="kerma-bench-receive-") as tmp:
        work = Path(tmp)
        os.environ["KERMA_QUARANTINE"] = str(work / "quarantine")
        simulate(work / "sim", studies=args.studies, seed=42)
        corpus = sorted(p for p in CORPUS.glob("*.dcm") if p.name not in REFUSED_BY_STORESCU)
        files = corpus + sorted((work / "sim").rglob("*.dcm"))
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        version = subprocess.run(["storescu", "--version"], capture_output=True, text=True).stdout.split()[2]
        print(
            f"batch: {len(files)} objects ({len(corpus)} corpus + {len(files) - len(corpus)} simulated), "
            f"{size_mb:.1f} MB; storescu {version}; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )

        for c, (config, env) in enumerate(CONFIGS.items()):
            print(f"-- {config}")
            for name in ("TCP_NODELAY", *env):
                os.environ.pop(name, None)
            os.environ.update(env)  # inherited by storescu and Orthanc
            results: dict[str, float] = {}
            for label, n in (("1 association", 1), ("8 associations", 8)):
                got = compare(work, files, n, args.repeat, f"c{c}")
                if got is None:
                    return 1
                results[label], lines = got
                print(f"{label:15s} {lines[0]}", *(f"{'':15s} {line}" for line in lines[1:]), sep="\n")
            scale = results["8 associations"] / results["1 association"]
            print(f"kerma 8 associations vs 1: {scale:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
