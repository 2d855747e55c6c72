"""`kerma serve`: the web app and the DICOM listener (and HL7, nightly pulls) in one process.

SIGTERM or SIGINT stops it cleanly: the DICOM listener stops accepting, open associations get a grace
period to finish and are then aborted (objects are acknowledged only after their commit, so nothing
acknowledged is lost), then the web server and the scheduler stop.
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from sqlalchemy import Engine

from kerma.config import Settings, load_settings
from kerma.ingest.pipeline import PostStoreHook
from kerma.net.config import get_pacs_node
from kerma.net.dicom_scp import DEFAULT_MAX_ASSOCIATIONS, DicomNode, NodeConfig, TlsConfig
from kerma.net.schedule import NightlyPull, NightlyScheduler, pull_window
from kerma.plugins import optional
from kerma.store import open_store
from kerma.web.app import create_app

log = logging.getLogger("kerma.serve")


def _hooks() -> list[PostStoreHook]:
    from kerma.ingest.hooks import default_hooks

    return default_hooks()


def _start_hl7(engine: Engine, settings: Settings, host: str, port: int, hooks: list[PostStoreHook]) -> Any:
    """Start the HL7 listener of ``kerma.net.hl7`` when this version has one (its ``start_listener``)."""
    try:
        module = importlib.import_module("kerma.net.hl7")
    except ModuleNotFoundError:
        log.warning("HL7 listener requested on port %d but not part of this version", port)
        return None
    start = getattr(module, "start_listener", None)
    if start is None:
        log.warning("kerma.net.hl7 has no start_listener(); HL7 not started")
        return None
    return start(engine, settings, host=host, port=port, hooks=hooks)


def _nightly_job(
    engine: Engine, settings: Settings, node: DicomNode | None, aet: str, hooks: list[PostStoreHook]
) -> Any:
    from kerma.net.pull import pull

    def job(name: str) -> None:
        pacs = get_pacs_node(engine, name)
        if pacs is None:
            log.error("nightly pull: no PACS node called %s (kerma pacs add)", name)
            return
        start, end = pull_window(pacs.last_pulled_to, date.today())
        summary = pull(
            engine,
            settings,
            pacs,
            start,
            end,
            aet=aet,
            hooks=hooks,
            write_lock=node.receiver.write_lock if node else None,
        )
        log.info("nightly pull from %s: %s", name, summary.as_dict())

    return job


def run_server(
    url: str | None,
    http_port: int = 8000,
    dicom_port: int | None = 11112,
    aet: str = "KERMA",
    hl7_port: int | None = None,
    *,
    host: str = "127.0.0.1",
    dicom_host: str = "0.0.0.0",
    settings: Settings | None = None,
    restrict_senders: bool = False,
    tls: TlsConfig | None = None,
    max_associations: int = DEFAULT_MAX_ASSOCIATIONS,
    nightly: Sequence[NightlyPull] = (),
    dicom_required: bool = True,
    grace_s: float = 10.0,
    dose_screen_dir: Path | None = None,
    ingest_workers: int = 0,
) -> int:
    """Serve until SIGTERM/SIGINT; returns the exit code (0 after a clean stop, 1 when start failed).

    ``dicom_port=None`` serves the web app only; with ``dicom_required=False`` a DICOM port that cannot
    be bound is reported and the web app is served anyway (what a demo wants). Received Secondary
    Captures (dose screens) are kept whole in ``dose_screen_dir`` (default: setting ``dose_screen_dir``,
    else ``dose-screens``) for OCR.
    """
    # Signals are ours from the start: one arriving while the listeners come up still stops cleanly.
    stop = threading.Event()
    previous: dict[int, Any] = {}

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.warning("signal %d received, stopping", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, on_signal)
    try:
        settings = settings or load_settings()
        if dose_screen_dir is None:
            dose_screen_dir = Path(str(settings.extra.get("dose_screen_dir", "dose-screens")))
        engine = open_store(url or settings.database_url)
        hooks = _hooks()
        node: DicomNode | None = None
        if dicom_port is not None:
            config = NodeConfig(
                aet=aet,
                host=dicom_host,
                port=dicom_port,
                restrict_senders=restrict_senders,
                max_associations=max_associations,
                tls=tls,
                dose_screen_dir=dose_screen_dir,
                ingest_workers=ingest_workers,
            )
            node = DicomNode(engine, settings, config, hooks=hooks)
            try:
                node.start()
            except OSError as exc:
                log.error("cannot listen for DICOM on %s:%d: %s", dicom_host, dicom_port, exc)
                node = None
                if dicom_required:
                    engine.dispose()
                    return 1
        hl7 = _start_hl7(engine, settings, dicom_host, hl7_port, hooks) if hl7_port is not None else None
        scheduler = NightlyScheduler(nightly, _nightly_job(engine, settings, node, aet, hooks))
        _start_alert_sender(engine, settings, stop)
        return _run(stop, engine, settings, node, hl7, scheduler, host, http_port, aet, dicom_host, grace_s)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _start_alert_sender(engine: Engine, settings: Settings, stop: threading.Event) -> None:
    """Deliver alert notifications from the outbox in the background until the server stops."""
    delivery = optional("kerma.alerts.delivery")
    if delivery is None:
        return
    threading.Thread(
        target=delivery.run_forever, args=(engine, settings, stop), name="kerma-alerts", daemon=True
    ).start()


def _run(
    stop: threading.Event,
    engine: Engine,
    settings: Settings,
    node: DicomNode | None,
    hl7: Any,
    scheduler: NightlyScheduler,
    host: str,
    http_port: int,
    aet: str,
    dicom_host: str,
    grace_s: float,
) -> int:
    """Serve the web app until ``stop`` is set, then stop everything in order."""
    app = create_app(engine, settings)
    app.state.dicom_node = node
    web = uvicorn.Server(
        uvicorn.Config(app, host=host, port=http_port, log_level="warning", access_log=False)
    )
    # In a thread uvicorn installs no signal handlers: run_server owns SIGTERM/SIGINT.
    web_thread = threading.Thread(target=web.run, name="kerma-web", daemon=True)
    web_thread.start()
    while not web.started and web_thread.is_alive() and not stop.is_set():
        web_thread.join(timeout=0.05)
    code = 0
    if not web.started and not stop.is_set():
        log.error("cannot serve the web app on %s:%d", host, http_port)
        code = 1
        stop.set()
    elif not stop.is_set():
        scheduler.start()
        where = f"DICOM {aet}@{dicom_host}:{node.port}" if node else "no DICOM listener"
        log.warning("Kerma serving: web http://%s:%d, %s", host, http_port, where)
    try:
        while not stop.wait(0.5):
            if not web_thread.is_alive():
                log.error("the web server stopped unexpectedly")
                code = 1
                break
    finally:
        if node is not None:
            node.stop(grace_s)
        if hl7 is not None:
            hl7.stop()
        scheduler.stop()
        web.should_exit = True
        web_thread.join(timeout=10)
        engine.dispose()
        log.warning("Kerma stopped")
    return code
