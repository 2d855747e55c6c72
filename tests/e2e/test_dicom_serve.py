"""`kerma serve` as a process: durability under SIGKILL, clean SIGTERM, bounded memory, status API."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.uid import generate_uid
from pynetdicom import AE
from sqlalchemy import select, text

from kerma.store import open_store
from kerma.store.schema.core import dose_objects, ingest_log
from tests.e2e.dicom_peers import (
    acknowledged,
    dcmtk_env,
    kerma_server,
    need,
    start_kerma,
    storescu,
    storescu_args,
)
from tests.net.builders import CT_IMAGE, ct_image, with_meta, write

pytestmark = pytest.mark.slow


def stored_uids(url: str) -> set[str]:
    engine = open_store(url)
    with engine.connect() as conn:
        uids = {r[0] for r in conn.execute(select(dose_objects.c.sop_instance_uid))}
    engine.dispose()
    return uids


def test_sigkill_mid_batch_loses_no_acknowledged_object(sqlite_url: str, tmp_path: Path) -> None:
    """Kill -9 the server during a storescu batch: every object answered success is in the database after
    the restart, and sending the whole batch again stores each object exactly once."""
    need("storescu")
    from kerma.simulate import simulate

    simulate(tmp_path / "sim", studies=6, seed=11)
    files = [write(ct_image(ctdivol=1.0 + i), tmp_path / f"ct{i:03d}.dcm") for i in range(100)]
    files += sorted((tmp_path / "sim").rglob("*.dcm"))
    uid_of = {str(f): str(dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in files}

    server = start_kerma(sqlite_url, tmp_path)
    proc = subprocess.Popen(
        storescu_args(server.dicom_port, files),
        env=dcmtk_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if sum("Received Store Response" in x for x in lines) >= 40:
            server.kill()  # SIGKILL in the middle of the batch
            break
    lines.extend(proc.stdout.read().splitlines(keepends=True))
    proc.wait(timeout=60)
    acked = [f for f, status in acknowledged("".join(lines)).items() if status == "Success"]
    assert 40 <= len(acked) < len(files)

    after_crash = stored_uids(sqlite_url)
    assert {uid_of[f] for f in acked} <= after_crash  # nothing acknowledged was lost

    with kerma_server(sqlite_url, tmp_path) as again:
        result = storescu(again.dicom_port, files)
        acks = acknowledged(result.stdout + result.stderr)
        assert len(acks) == len(files) and set(acks.values()) == {"Success"}
        assert again.terminate() == 0
    engine = open_store(sqlite_url)
    with engine.connect() as conn:
        rows = conn.execute(text("select count(*), count(distinct sop_instance_uid) from dose_objects")).one()
        dupes = conn.execute(
            select(ingest_log.c.sop_instance_uid).where(ingest_log.c.outcome == "duplicate")
        ).all()
    engine.dispose()
    assert rows[0] == rows[1] == len(set(uid_of.values()))
    assert {r[0] for r in dupes} >= {uid_of[f] for f in acked}  # resent: recognised, not stored again


def test_sigterm_stops_cleanly_with_an_open_association(sqlite_url: str, tmp_path: Path) -> None:
    server = start_kerma(sqlite_url, tmp_path, "--shutdown-grace", "1")
    ae = AE(ae_title="LINGER")
    ae.add_requested_context(CT_IMAGE)
    assoc = ae.associate("127.0.0.1", server.dicom_port, ae_title="KERMA")
    ds = with_meta(ct_image())
    assert assoc.send_c_store(ds).Status == 0
    started = time.monotonic()
    assert server.terminate(timeout_s=30) == 0  # the idle association is aborted after the grace period
    assert time.monotonic() - started < 15
    deadline = time.monotonic() + 5
    while assoc.is_established and time.monotonic() < deadline:
        time.sleep(0.05)
    assert assoc.is_aborted or not assoc.is_established
    assert stored_uids(sqlite_url) == {str(ds.SOPInstanceUID)}
    assert "Kerma stopped" in server.log.read_text()


def test_huge_multiframe_image_keeps_memory_bounded(sqlite_url: str, tmp_path: Path) -> None:
    """500 frames of 512x512 (131 MB of pixel data): stored from its header, pixels never held in memory."""
    need("storescu")
    ds = ct_image(ctdivol=33.3, frames=500, rows=512)
    path = write(ds, tmp_path / "huge.dcm")
    del ds
    assert path.stat().st_size > 130_000_000
    with kerma_server(sqlite_url, tmp_path) as server:
        warm = storescu(server.dicom_port, [write(ct_image(), tmp_path / "small.dcm")])
        assert set(acknowledged(warm.stdout + warm.stderr).values()) == {"Success"}
        before = server.peak_rss_kb()
        result = storescu(server.dicom_port, [path])
        assert acknowledged(result.stdout + result.stderr) == {str(path): "Success"}, result.stderr[-2000:]
        growth_mb = (server.peak_rss_kb() - before) / 1024
        print(f"peak RSS before {before / 1024:.0f} MB, growth {growth_mb:.1f} MB")
        assert growth_mb < 40, f"peak memory grew by {growth_mb:.0f} MB for a 131 MB image"
        assert server.terminate() == 0
    engine = open_store(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("select max(ctdivol_mgy) from events")).scalar() == pytest.approx(33.3)
    engine.dispose()


def test_status_api_page_and_mpps(sqlite_url: str, tmp_path: Path) -> None:
    """Objects and an MPPS step sent to `kerma serve` show on the status API and page; SIGINT stops it."""
    need("storescu")
    from tests.net.builders import MPPS, mpps_completion, mpps_create

    try:
        from kerma.web.auth.users import create_token, create_user
    except ImportError:  # pragma: no cover - the web auth capability is not part of this version
        create_user = create_token = None  # type: ignore[assignment]
    engine = open_store(sqlite_url)
    token = None
    if create_user is not None:
        create_user(engine, "physicist", "a-Long-test-passphrase-42", "mpe", actor="test")
        token = create_token(engine, "physicist", actor="test")
    engine.dispose()
    with kerma_server(sqlite_url, tmp_path) as server:
        bad = ct_image()
        del bad.StudyInstanceUID
        files = [write(ct_image(), tmp_path / "ok.dcm"), write(bad, tmp_path / "bad.dcm")]
        storescu(server.dicom_port, files)
        ae = AE(ae_title="RF_ROOM")
        ae.add_requested_context(MPPS)
        assoc = ae.associate("127.0.0.1", server.dicom_port, ae_title="KERMA")
        step = str(generate_uid())
        assert assoc.send_n_create(mpps_create(str(generate_uid())), MPPS, step)[0].Status == 0
        assert assoc.send_n_set(mpps_completion(), MPPS, step)[0].Status == 0
        assoc.release()
        assert server.http("/health")[0] == 200
        code, body = server.http("/api/status/ingest", token)
        assert code == 200, body
        data = json.loads(body)
        assert data["by_channel"]["dicom"] == {"stored": 1, "rejected": 1}
        assert data["by_channel"]["mpps"] == {"stored": 1}
        assert data["by_source"] == {"header": {"counted": 1}, "mpps": {"counted": 1}}
        assert data["mpps_steps"] == {"COMPLETED": 1}
        assert "StudyInstanceUID" in data["last_errors"][0]["reason"]
        assert data["listener"]["aet"] == "KERMA" and data["listener"]["port"] == server.dicom_port
        if token is not None:
            assert server.http("/api/status/ingest")[0] in (401, 403)  # not without login
        code, page = server.http("/status", token)
        assert code == 200 and "Ingest status" in page and "StudyInstanceUID" in page
        assert "<script" not in page
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(timeout=30) == 0


def test_dicom_port_in_use_fails_with_exit_code_1(sqlite_url: str, tmp_path: Path) -> None:
    import socket
    import sys

    from tests.e2e.dicom_peers import free_port

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "kerma.cli",
                "serve",
                "--db",
                sqlite_url,
                "--http-port",
                str(free_port()),
                "--dicom-host",
                "127.0.0.1",
                "--dicom-port",
                str(busy.getsockname()[1]),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert result.returncode == 1
    assert "cannot listen for DICOM" in result.stderr
