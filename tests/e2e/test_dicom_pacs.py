"""Query/retrieve from Orthanc (Debian's package) as the PACS: `kerma pacs add|pull`, C-GET and C-MOVE,
only dose objects fetched, resumable pulls. Orthanc is loaded with simulated studies by storescu."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from pydicom import dcmread
from sqlalchemy import select
from typer.testing import CliRunner

from kerma.cli import app
from kerma.store import open_store
from kerma.store.schema.core import dose_objects, studies
from kerma.store.schema.net import pull_progress
from tests.e2e.dicom_peers import Orthanc, acknowledged, dcmtk_env, free_port, need, orthanc, storescu

pytestmark = pytest.mark.slow

RDSR_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.88.67",
    "1.2.840.10008.5.1.4.1.1.88.68",
    "1.2.840.10008.5.1.4.1.1.88.76",
}


@dataclass
class Pacs:
    """Orthanc loaded with a simulated batch, and what the batch holds (read from the files)."""

    peer: Orthanc
    move_port: int
    files: list[Path]
    by_study: dict[
        str, list[tuple[str, str, str, str, int]]
    ]  # study -> (sop, class, series, modality, number)
    first_day: date
    last_day: date


@pytest.fixture(scope="module")
def pacs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pacs]:
    need("storescu", "findscu", "Orthanc")
    from kerma.simulate import simulate

    work = tmp_path_factory.mktemp("pacs")
    simulate(work / "sim", studies=14, seed=5)
    files = sorted((work / "sim").rglob("*.dcm"))
    by_study: dict[str, list[tuple[str, str, str, str, int]]] = {}
    days = []
    for f in files:
        ds = dcmread(f, stop_before_pixels=True)
        by_study.setdefault(str(ds.StudyInstanceUID), []).append(
            (
                str(ds.SOPInstanceUID),
                str(ds.SOPClassUID),
                str(ds.SeriesInstanceUID),
                str(ds.Modality),
                int(ds.get("InstanceNumber") or 0),
            )
        )
        days.append(date.fromisoformat(f"{ds.StudyDate[:4]}-{ds.StudyDate[4:6]}-{ds.StudyDate[6:8]}"))
    move_port = free_port()
    with orthanc(work / "orthanc", {"kerma": ("KERMA", "127.0.0.1", move_port)}) as peer:
        result = storescu(peer.dicom_port, files, aec="ORTHANC")
        assert set(acknowledged(result.stdout + result.stderr).values()) == {"Success"}
        yield Pacs(peer, move_port, files, by_study, min(days), max(days))


def expected_objects(p: Pacs, modalities: tuple[str, ...] = ()) -> set[str]:
    """What a pull must fetch, from the files: each study's RDSRs, else its first image per series."""
    want: set[str] = set()
    for objects in p.by_study.values():
        if modalities and not {o[3] for o in objects} & set(modalities):
            continue
        rdsrs = [o for o in objects if o[1] in RDSR_CLASSES]
        if rdsrs:
            want |= {o[0] for o in rdsrs}
            continue
        series: dict[str, list[tuple[str, str, str, str, int]]] = {}
        for o in objects:
            if not modalities or o[3] in modalities:
                series.setdefault(o[2], []).append(o)
        want |= {min(members, key=lambda o: (o[4], o[0]))[0] for members in series.values()}
    return want


def kerma(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout.strip().splitlines()[-1]) if "--json" in args else {}


def pull_args(p: Pacs) -> list[str]:
    """`kerma pacs pull orthanc` over the whole span of the test PACS, a month at a time."""
    return [
        "pacs",
        "pull",
        "orthanc",
        "--from",
        p.first_day.isoformat(),
        "--to",
        p.last_day.isoformat(),
        "--window-days",
        "31",
    ]


def add_node(db: str, p: Pacs, method: str = "get") -> None:
    result = CliRunner().invoke(
        app,
        [
            "pacs",
            "add",
            "orthanc",
            "--host",
            "127.0.0.1",
            "--port",
            str(p.peer.dicom_port),
            "--aet",
            "ORTHANC",
            "--method",
            method,
            "--db",
            db,
        ],
    )
    assert result.exit_code == 0, result.output


def stored(db: str) -> set[str]:
    engine = open_store(db)
    with engine.connect() as conn:
        uids = {r[0] for r in conn.execute(select(dose_objects.c.sop_instance_uid))}
    engine.dispose()
    return uids


def test_orthanc_holds_the_batch(pacs: Pacs) -> None:
    """Independent check with dcmtk's findscu that the PACS answers study-level queries for the batch."""
    result = subprocess.run(
        [
            "findscu",
            "-S",
            "-aec",
            "ORTHANC",
            "-k",
            "QueryRetrieveLevel=STUDY",
            "-k",
            "StudyInstanceUID",
            "-k",
            f"StudyDate={pacs.first_day:%Y%m%d}-{pacs.last_day:%Y%m%d}",
            "127.0.0.1",
            str(pacs.peer.dicom_port),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=dcmtk_env(),
    )
    found = {
        line.split("[")[1].split("]")[0]
        for line in result.stderr.splitlines()
        if "(0020,000d)" in line.lower()
    }
    assert found == set(pacs.by_study)


def test_pull_with_c_get_fetches_only_dose_objects_and_resumes(pacs: Pacs, sqlite_url: str) -> None:
    add_node(sqlite_url, pacs, "get")
    # first only CT studies, then everything: the second run skips what the first fetched
    ct = kerma(*pull_args(pacs), "--modality", "CT", "--json", "--db", sqlite_url)
    assert stored(sqlite_url) == expected_objects(pacs, ("CT",))
    summary = kerma(*pull_args(pacs), "--json", "--db", sqlite_url)
    want = expected_objects(pacs)
    assert stored(sqlite_url) == want
    assert summary["series_skipped"] == ct["series_planned"]
    assert summary["retrieved"] == len(want) - int(ct["retrieved"])  # type: ignore[call-overload]
    assert summary["failed"] == 0 and summary["errors"] == []
    assert len(want) < len(pacs.files)  # images of studies with an RDSR were left in the PACS
    again = kerma(*pull_args(pacs), "--json", "--db", sqlite_url)
    assert again["retrieved"] == 0 and again["series_skipped"] == again["series_planned"]
    engine = open_store(sqlite_url)
    with engine.connect() as conn:
        n_studies = conn.execute(select(studies.c.study_instance_uid)).all()
        progress = conn.execute(select(pull_progress.c.status)).all()
    engine.dispose()
    assert len(n_studies) == len(pacs.by_study)
    assert {r[0] for r in progress} == {"done"}


def test_pull_with_c_move_to_a_listener(pacs: Pacs, sqlite_url: str) -> None:
    add_node(sqlite_url, pacs, "move")
    summary = kerma(
        *pull_args(pacs),
        "--listen-port",
        str(pacs.move_port),
        "--json",
        "--db",
        sqlite_url,
    )
    want = expected_objects(pacs)
    assert summary["method"] == "move"
    assert summary["outcomes"] == {"moved": len(want)}
    assert stored(sqlite_url) == want


def test_interrupted_pull_completes_on_rerun(pacs: Pacs, sqlite_url: str, tmp_path: Path) -> None:
    """SIGKILL a `kerma pacs pull` process mid-way; the re-run fetches the rest, nothing twice."""
    import signal
    import sys
    import time

    add_node(sqlite_url, pacs, "get")
    args = [
        sys.executable,
        "-m",
        "kerma.cli",
        *pull_args(pacs),
        "--db",
        sqlite_url,
    ]
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(stored(sqlite_url)) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = stored(sqlite_url)
    want = expected_objects(pacs)
    assert 0 < len(partial) <= len(want)
    summary = kerma(
        *pull_args(pacs),
        "--json",
        "--db",
        sqlite_url,
    )
    assert stored(sqlite_url) == want
    assert summary["instances_skipped"] + summary["series_skipped"] > 0  # type: ignore[operator]
    assert summary["outcomes"].get("duplicate", 0) == 0  # type: ignore[union-attr]
