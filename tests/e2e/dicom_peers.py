"""Real DICOM peers for the network tests: dcmtk's storescu/echoscu/findscu, Orthanc, `kerma serve`.

Everything listens on 127.0.0.1 on free ports picked here; Orthanc runs with its own temporary
configuration and storage and is stopped by its process id.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def need(*tools: str) -> None:
    """Skip the test when a peer program is not installed."""
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (dcmtk / orthanc packages)")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout_s: float = 20.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until something accepts connections on ``port``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


# -- dcmtk ------------------------------------------------------------------------------------------


def storescu_args(port: int, files: Sequence[Path], aet: str = "MODALITY", aec: str = "KERMA") -> list[str]:
    """storescu proposing only the classes the files need, going on after failures, verbose."""
    return ["storescu", "-v", "-R", "-nh", "-aet", aet, "-aec", aec, "127.0.0.1", str(port), *map(str, files)]


def storescu(
    port: int, files: Sequence[Path], aet: str = "MODALITY", aec: str = "KERMA", extra: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Run storescu to completion."""
    args = storescu_args(port, files, aet, aec)
    args[1:1] = list(extra)
    return subprocess.run(args, capture_output=True, text=True, timeout=300, env=dcmtk_env())


def dcmtk_env() -> dict[str, str]:
    """Environment for dcmtk tools: TCP_NODELAY=1 stops Nagle's algorithm from delaying each request
    (dcmtk reads this variable), which halves the time of a batch on loopback."""
    return {**os.environ, "TCP_NODELAY": "1"}


_SENDING = re.compile(r"^I: Sending file: (.+)$")
_RESPONSE = re.compile(r"^I: Received Store Response \((.+)\)$")


def acknowledged(output: str) -> dict[str, str]:
    """File -> status text of each store response storescu -v reported ('Success', ...)."""
    got: dict[str, str] = {}
    current: str | None = None
    for line in output.splitlines():
        if m := _SENDING.match(line.strip()):
            current = m.group(1)
        elif (m := _RESPONSE.match(line.strip())) and current is not None:
            got[current] = m.group(1)
            current = None
    return got


# -- kerma serve ------------------------------------------------------------------------------------


@dataclass
class KermaServer:
    """A `kerma serve` subprocess."""

    proc: subprocess.Popen[bytes]
    db_url: str
    http_port: int
    dicom_port: int
    log: Path

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self, timeout_s: float = 30.0) -> int:
        """SIGTERM and wait for the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout_s)

    def peak_rss_kb(self) -> int:
        """Peak resident memory of the server process (VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("no VmHWM")

    def http(self, path: str, token: str | None = None) -> tuple[int, str]:
        """GET a path of the web app."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def start_kerma(
    db_url: str, workdir: Path, *args: str, dicom_port: int | None = None, http_port: int | None = None
) -> KermaServer:
    """Start `kerma serve` on free ports and wait until both listeners answer."""
    dicom_port = dicom_port or free_port()
    http_port = http_port or free_port()
    log = workdir / f"kerma-serve-{dicom_port}.log"
    cmd = [
        sys.executable,
        "-m",
        "kerma.cli",
        "serve",
        "--db",
        db_url,
        "--host",
        "127.0.0.1",
        "--http-port",
        str(http_port),
        "--dicom-host",
        "127.0.0.1",
        "--dicom-port",
        str(dicom_port),
        *args,
    ]
    env = dict(os.environ)
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = KermaServer(proc, db_url, http_port, dicom_port, log)
    try:
        wait_port(dicom_port, 60, proc)
        wait_port(http_port, 60, proc)
    except Exception:
        if proc.poll() is None:
            proc.kill()
        raise RuntimeError(f"kerma serve did not start: {log.read_text()[-3000:]}") from None
    return server


@contextmanager
def kerma_server(db_url: str, workdir: Path, *args: str) -> Iterator[KermaServer]:
    """A `kerma serve` for the duration of a block (SIGKILLed if still running at the end)."""
    server = start_kerma(db_url, workdir, *args)
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.kill()


# -- Orthanc ----------------------------------------------------------------------------------------


@dataclass
class Orthanc:
    """An Orthanc PACS in the foreground with its own configuration."""

    proc: subprocess.Popen[bytes]
    aet: str
    dicom_port: int
    http_port: int

    def get(self, path: str) -> object:
        """GET a REST resource as JSON."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}", timeout=10) as resp:
            return json.loads(resp.read())


@contextmanager
def orthanc(workdir: Path, modalities: dict[str, tuple[str, str, int]] | None = None) -> Iterator[Orthanc]:
    """Run Orthanc on free loopback ports; ``modalities``: C-MOVE destinations (name -> AET, host, port)."""
    need("Orthanc")
    workdir.mkdir(parents=True, exist_ok=True)
    dicom_port, http_port = free_port(), free_port()
    config = {
        "Name": "kerma-test-pacs",
        "StorageDirectory": str(workdir / "storage"),
        "IndexDirectory": str(workdir / "index"),
        "Plugins": [],
        "HttpPort": http_port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DicomAet": "ORTHANC",
        "DicomPort": dicom_port,
        "DicomCheckCalledAet": False,
        "DicomAlwaysAllowEcho": True,
        "DicomAlwaysAllowStore": True,
        "DicomAlwaysAllowFind": True,
        "DicomAlwaysAllowGet": True,
        "DicomAlwaysAllowMove": True,
        "DicomModalities": {k: list(v) for k, v in (modalities or {}).items()},
        "StableAge": 1,
    }
    cfg = workdir / "orthanc.json"
    cfg.write_text(json.dumps(config))
    with (workdir / "orthanc.log").open("ab") as out:
        proc = subprocess.Popen(["Orthanc", str(cfg)], cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
    peer = Orthanc(proc, "ORTHANC", dicom_port, http_port)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                peer.get("/system")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((workdir / "orthanc.log").read_text()[-2000:]) from None
                time.sleep(0.05)
        yield peer
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
