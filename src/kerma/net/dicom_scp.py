"""The DICOM listener: Storage SCP for dose objects, MPPS SCP and Verification, with pynetdicom.

Each association runs in its own pynetdicom thread; received data sets are streamed to a temporary file
rather than held in memory, so a huge multi-frame image costs disk, not RAM, and only its header is read.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE, _config, evt
from pynetdicom.events import Event
from pynetdicom.transport import ThreadedAssociationServer
from sqlalchemy import Engine

from kerma.config import Settings
from kerma.ingest.pipeline import PostStoreHook
from kerma.net.config import SenderDirectory, check_ae_title
from kerma.net.contexts import MPPS, STORAGE_CLASSES, UNCOMPRESSED, VERIFICATION, transfer_syntaxes
from kerma.net.ingest_pool import IngestPool
from kerma.net.ingest_worker import init_worker
from kerma.net.mpps_service import MppsService
from kerma.net.receive import NodeStats, Receiver, Status
from kerma.net.sockets import no_delay, quick_ack

log = logging.getLogger("kerma.net")

# Open associations at most; beyond this pynetdicom refuses new ones ('local limit exceeded').
DEFAULT_MAX_ASSOCIATIONS = 64


@dataclass(slots=True, frozen=True)
class TlsConfig:
    """TLS for the listener: certificate and key; with a CA file, senders must present a certificate."""

    cert: Path
    key: Path
    ca: Path | None = None

    def server_context(self) -> ssl.SSLContext:
        """An SSL context for the listening socket."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(self.cert), str(self.key))
        if self.ca is not None:
            ctx.load_verify_locations(str(self.ca))
            ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx


@dataclass(slots=True)
class NodeConfig:
    """How the listener runs."""

    aet: str = "KERMA"
    host: str = "0.0.0.0"
    port: int = 11112
    restrict_senders: bool = False
    max_associations: int = DEFAULT_MAX_ASSOCIATIONS
    tls: TlsConfig | None = None
    # Larger PDUs mean fewer fragments per object; 0 would let a sender pick any size.
    max_pdu: int = 262_144
    network_timeout_s: float = 60.0
    # Secondary Captures (dose screens) are kept whole here for OCR; None keeps only their headers.
    dose_screen_dir: Path | None = None
    # Processes that read, parse and store received objects (0: in the association's thread). Workers
    # run the installed ingest hooks (kerma.ingest.hooks.default_hooks), not hooks passed to DicomNode.
    ingest_workers: int = 0


class _KermaAE(AE):
    """An AE whose allowed calling AE titles follow the known-sender list while running."""

    def __init__(self, ae_title: str, senders: SenderDirectory) -> None:
        super().__init__(ae_title)
        self._senders = senders

    @property
    def require_calling_aet(self) -> list[str]:
        if not self._senders.restrict:
            return []
        # pynetdicom treats an empty list as "anyone": with no sender allowed, list one nobody has.
        return self._senders.allowed_titles() or ["\\"]

    @require_calling_aet.setter
    def require_calling_aet(self, value: list[str]) -> None:  # pragma: no cover - set through SenderDirectory
        raise AttributeError("allowed senders come from the known-sender list (kerma senders add)")


class DicomNode:
    """Storage, MPPS and Verification SCP bound to one address."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        config: NodeConfig | None = None,
        hooks: list[PostStoreHook] | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.config = config or NodeConfig()
        self.config.aet = check_ae_title(self.config.aet, "Kerma's AE title")
        self.stats = NodeStats()
        self.senders = SenderDirectory(engine, restrict=self.config.restrict_senders)
        # One lock for every writer of the listener, its worker processes included.
        lock = multiprocessing.get_context("spawn").Lock()
        common: dict[str, Any] = {
            "senders": self.senders,
            "hooks": hooks,
            "write_lock": lock,
            "stats": self.stats,
        }
        self.pool = IngestPool(
            self.config.ingest_workers,
            init_worker,
            (
                engine.url.render_as_string(hide_password=False),
                settings,
                "dicom",
                self.config.dose_screen_dir,
                self.config.restrict_senders,
                lock,
            ),
        )
        self.receiver = Receiver(
            engine,
            settings,
            channel="dicom",
            dose_screen_dir=self.config.dose_screen_dir,
            pool=self.pool,
            **common,
        )
        self.mpps = MppsService(engine, Receiver(engine, settings, channel="mpps", **common))
        self.ae = self._make_ae()
        self._server: ThreadedAssociationServer | None = None

    # -- setup -----------------------------------------------------------------------------------

    def _make_ae(self) -> AE:
        ae = _KermaAE(self.config.aet, self.senders)
        ae.maximum_associations = self.config.max_associations
        ae.maximum_pdu_size = self.config.max_pdu
        ae.network_timeout = self.config.network_timeout_s
        ae.require_called_aet = False  # senders often use a site-wide title; be lenient
        for uid in STORAGE_CLASSES:
            ae.add_supported_context(uid, transfer_syntaxes(uid))
        ae.add_supported_context(VERIFICATION, UNCOMPRESSED)
        ae.add_supported_context(MPPS, UNCOMPRESSED)
        return ae

    def _handlers(self) -> list[Any]:
        return [
            (evt.EVT_CONN_OPEN, no_delay),
            (evt.EVT_PDU_SENT, quick_ack),
            (evt.EVT_C_ECHO, lambda _e: 0x0000),
            (evt.EVT_C_STORE, self._on_store),
            (evt.EVT_N_CREATE, self._on_n_create),
            (evt.EVT_N_SET, self._on_n_set),
            (evt.EVT_ESTABLISHED, self._on_established),
            (evt.EVT_REJECTED, self._on_rejected),
            (evt.EVT_ABORTED, self._discard_partial),
            (evt.EVT_CONN_CLOSE, self._discard_partial),
        ]

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen (non-blocking); raises OSError when the port cannot be bound."""
        # Stream every received data set to a temporary file: memory stays flat for huge images.
        _config.STORE_RECV_CHUNKED_DATASET = True
        self.pool.start()
        ssl_context = self.config.tls.server_context() if self.config.tls else None
        self._server = self.ae.start_server(
            (self.config.host, self.config.port),
            block=False,
            evt_handlers=self._handlers(),
            ssl_context=ssl_context,
        )
        log.info(
            "DICOM listener %s on %s:%d%s",
            self.config.aet,
            self.config.host,
            self.port,
            " (TLS)" if ssl_context else "",
        )

    @property
    def port(self) -> int:
        """The bound port (useful when started on port 0)."""
        if self._server is None:
            return self.config.port
        return int(self._server.server_address[1])

    @property
    def running(self) -> bool:
        """True while listening."""
        return self._server is not None

    def active_associations(self) -> int:
        """Associations currently established."""
        return sum(1 for a in self.ae.active_associations if a.is_acceptor and a.is_established)

    def stop(self, grace_s: float = 10.0) -> None:
        """Stop listening, let established associations finish for ``grace_s``, then abort the rest.

        Aborting is safe: an object is acknowledged only after its commit, so a sender whose transfer is
        cut off simply sends the unacknowledged objects again.
        """
        if self._server is None:
            return
        server, self._server = self._server, None
        server.shutdown()
        deadline = time.monotonic() + grace_s
        while self.active_associations() and time.monotonic() < deadline:
            time.sleep(0.05)
        for assoc in list(self.ae.active_associations):
            if assoc.is_established:
                log.warning("aborting association with %s at shutdown", assoc.requestor.ae_title)
            assoc.abort()
        # The transport threads are not daemons: make sure they are gone before the process exits.
        deadline = time.monotonic() + 5.0
        for assoc in list(self.ae.active_associations):
            if assoc.dul.is_alive():
                assoc.dul.join(timeout=max(0.0, deadline - time.monotonic()))
        self.pool.close()

    def status(self) -> dict[str, Any]:
        """What the status page shows about the listener."""
        snap = self.stats.snapshot()
        snap.update(
            aet=self.config.aet,
            host=self.config.host,
            port=self.port,
            running=self.running,
            tls=self.config.tls is not None,
            restrict_senders=self.config.restrict_senders,
            active_associations=self.active_associations(),
        )
        return snap

    # -- handlers (pynetdicom threads) -----------------------------------------------------------

    def _on_established(self, event: Event) -> None:
        self.stats.association(+1)
        log.info("association from %s (%s)", event.assoc.requestor.ae_title, event.assoc.requestor.address)

    def _on_rejected(self, event: Event) -> None:
        self.stats.association(0, rejected=True)
        log.warning(
            "association from %s (%s) rejected (calling AE title not allowed or too many associations)",
            event.assoc.requestor.ae_title,
            event.assoc.requestor.address,
        )

    @staticmethod
    def _discard_partial(event: Event) -> None:
        """Delete the temporary file of a data set cut off mid-transfer (pynetdicom leaves it behind)."""
        message = getattr(getattr(event.assoc, "dimse", None), "message", None)
        partial = getattr(message, "_data_set_file", None)
        if partial is None:
            return
        try:
            partial.close()
            os.unlink(partial.name)
        except OSError:
            pass

    def _on_store(self, event: Event) -> int:
        req: Any = event.request
        received = self.receiver.receive_file(
            event.dataset_path,
            event.assoc.requestor.ae_title,
            str(req.AffectedSOPClassUID or "") or None,
            str(req.AffectedSOPInstanceUID or "") or None,
        )
        return int(received.status)

    def _on_n_create(self, event: Event) -> tuple[int | Dataset, Dataset | None]:
        req: Any = event.request
        if str(req.AffectedSOPClassUID) != MPPS:
            return 0x0118, None  # no such SOP class
        uid = str(req.AffectedSOPInstanceUID or "") or str(generate_uid())
        attributes = event.attribute_list
        result = self.mpps.create(uid, attributes, event.assoc.requestor.ae_title)
        if result.status != Status.SUCCESS:
            return result.as_status(), None
        reply = Dataset()
        reply.update(attributes)
        if req.AffectedSOPInstanceUID is None:
            reply.AffectedSOPInstanceUID = uid
        return result.as_status(), reply

    def _on_n_set(self, event: Event) -> tuple[int | Dataset, Dataset | None]:
        req: Any = event.request
        modification = event.modification_list
        result, _merged = self.mpps.set(
            str(req.RequestedSOPInstanceUID), modification, event.assoc.requestor.ae_title
        )
        # The response's attribute list holds the attributes that were set (PS3.7 10.1.3).
        return result.as_status(), (modification if result.status == Status.SUCCESS else None)
