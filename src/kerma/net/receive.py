"""From a received object to a stored one, and the DIMSE status that tells the sender what happened.

The rule that makes the listener durable: success is answered only after the object's transaction has
committed. A database or disk failure answers "out of resources" so the sender keeps the object and
retries; an object Kerma cannot use is quarantined with its reason and answered with a failure status
that tells the sender not to retry.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing.synchronize
import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, TypeAlias

from pydicom.dataset import Dataset
from pydicom.uid import DeflatedExplicitVRLittleEndian
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from kerma.config import Settings
from kerma.domain.model import Device, DoseReport, RejectedInput
from kerma.ingest.pipeline import Ingestor, Parsed, PostStoreHook, parse_loaded
from kerma.ingest.reader import read_header
from kerma.net.config import Sender, SenderDirectory
from kerma.net.ingest_pool import IngestPool
from kerma.store.writer import Outcome, SaveResult, utcnow

log = logging.getLogger("kerma.net")

WriteLock: TypeAlias = "threading.Lock | multiprocessing.synchronize.Lock"
"""Serialises the listener's write transactions; a multiprocessing lock when ingest workers share it."""

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"

# A rejected object is quarantined as received; beyond this size only its beginning is kept.
QUARANTINE_MAX_BYTES = 64 * 1024 * 1024


class Status(IntEnum):
    """DIMSE statuses the storage SCP answers (PS3.4 B.2.3, PS3.7 C)."""

    SUCCESS = 0x0000
    OUT_OF_RESOURCES = 0xA700
    """Refused: out of resources. The sender keeps the object and retries later."""
    DATASET_MISMATCH = 0xA900
    """Error: data set does not match SOP class (identity differs or required attributes missing)."""
    CANNOT_UNDERSTAND = 0xC210
    """Error: cannot understand (the bytes do not decode, or no rule can read the content)."""
    PROCESSING_FAILURE = 0xC211
    """Error: cannot understand, here an internal error while storing; the object is quarantined."""


@dataclass(slots=True)
class Received:
    """What happened to one received object."""

    status: Status
    outcome: str
    sop_instance_uid: str | None
    reason: str | None = None


@dataclass(slots=True)
class NodeStats:
    """Counters of this process since start, for the status page (the store has the lasting log)."""

    started_at: Any = field(default_factory=utcnow)
    outcomes: dict[str, int] = field(default_factory=dict)
    last_errors: deque[dict[str, str]] = field(default_factory=lambda: deque(maxlen=20))
    active_associations: int = 0
    associations_total: int = 0
    associations_rejected: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, outcome: str, reason: str | None = None, origin: str | None = None) -> None:
        """Count one object's outcome; failures are remembered with their reason."""
        with self._lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
            if reason and outcome not in (Outcome.STORED.value, Outcome.DUPLICATE.value):
                self.last_errors.appendleft(
                    {
                        "at": utcnow().isoformat(timespec="seconds"),
                        "outcome": outcome,
                        "origin": origin or "",
                        "reason": reason,
                    }
                )

    def association(self, delta: int, rejected: bool = False) -> None:
        """Track open associations."""
        with self._lock:
            if rejected:
                self.associations_rejected += 1
                return
            self.active_associations += delta
            if delta > 0:
                self.associations_total += delta

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        with self._lock:
            return {
                "started_at": self.started_at.isoformat(timespec="seconds"),
                "outcomes": dict(self.outcomes),
                "last_errors": list(self.last_errors),
                "active_associations": self.active_associations,
                "associations_total": self.associations_total,
                "associations_rejected": self.associations_rejected,
            }


def apply_sender(device: Device, calling_ae: str | None, sender: Sender | None) -> None:
    """Record the calling AE title on the device and apply the sender's configured room naming."""
    if calling_ae:
        device.calling_ae_title = calling_ae
    if sender is None:
        return
    if sender.station_name and (sender.override_station_name or not device.station_name):
        device.station_name = sender.station_name
    if sender.institution and not device.institution:
        device.institution = sender.institution


def read_received(path: Path) -> tuple[Dataset, bytes]:
    """Header dataset (never pixel data) and its encoded bytes in the transfer syntax it arrived in.

    The bytes are the file up to the pixel data element, so hashing and quarantine never hold pixels;
    a deflated stream cannot be cut there and is re-encoded (header only) instead.
    """
    with path.open("rb") as fh:
        ds = read_header(fh)
        end = fh.tell()
    meta = getattr(ds, "file_meta", None)
    deflated = meta is not None and meta.get("TransferSyntaxUID") == DeflatedExplicitVRLittleEndian
    if deflated:
        from io import BytesIO

        buf = BytesIO()
        ds.save_as(buf, enforce_file_format=True)
        return ds, buf.getvalue()
    with path.open("rb") as fh:
        return ds, fh.read(end)


def _origin(calling_ae: str | None, sop_instance_uid: str | None, scheme: str = "dicom") -> str:
    ae = (calling_ae or "unknown").strip().replace("/", "_").replace("\\", "_") or "unknown"
    uid = (sop_instance_uid or "object").strip().replace("/", "_")
    return f"{scheme}:{ae}/{uid}"


@dataclass(slots=True)
class Prepared:
    """A received object read and parsed, ready to store."""

    parsed: Parsed | None
    """None when the file could not be read at all (``error`` says why; the sender must retry)."""
    raw: bytes | None = None
    reject_status: Status = Status.DATASET_MISMATCH
    sop_class_uid: str | None = None
    error: str | None = None


def prepare_received(
    path: Path, origin: str, sop_class_uid: str | None, sop_instance_uid: str | None
) -> Prepared:
    """Read, check and parse a received object; never raises."""
    try:
        ds, raw = read_received(path)
    except RejectedInput as exc:
        parsed = Parsed(
            origin, None, SaveResult(Outcome.REJECTED, sop_instance_uid, reason=f"{origin}: {exc}")
        )
        return Prepared(parsed, _head(path), Status.CANNOT_UNDERSTAND, sop_class_uid)
    except OSError as exc:  # the temporary file vanished or the disk failed: let the sender retry
        return Prepared(None, error=f"cannot read the received object ({exc})")
    sop_class = str(ds.get("SOPClassUID", "") or sop_class_uid or "").strip() or None
    mismatch = _identity_mismatch(ds, sop_class_uid, sop_instance_uid)
    if mismatch:
        parsed = Parsed(
            origin, None, SaveResult(Outcome.REJECTED, sop_instance_uid, reason=f"{origin}: {mismatch}")
        )
        return Prepared(parsed, raw, Status.DATASET_MISMATCH, sop_class)
    parsed = parse_loaded(ds, origin)
    parsed.sha256 = hashlib.sha256(raw).hexdigest()
    reject_status = Status.DATASET_MISMATCH
    if parsed.result is not None and parsed.result.reason and "cannot parse (" in parsed.result.reason:
        # The parser failed on content it has no rule for (not a missing required attribute).
        reject_status = Status.CANNOT_UNDERSTAND
    return Prepared(parsed, raw, reject_status, sop_class)


class Receiver:
    """Stores received objects through the ingest pipeline; one per channel (dicom, mpps, pacs:NAME).

    Writes are serialised with a lock shared by all receivers of the process: the C-STORE handlers run
    in pynetdicom's per-association threads and SQLite allows one writer (parsing stays parallel).
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        senders: SenderDirectory | None = None,
        hooks: list[PostStoreHook] | None = None,
        channel: str = "dicom",
        scheme: str = "dicom",
        write_lock: WriteLock | None = None,
        stats: NodeStats | None = None,
        retries: int = 2,
        dose_screen_dir: Path | None = None,
        pool: IngestPool | None = None,
    ) -> None:
        self.ingestor = Ingestor(engine, settings, hooks=hooks or [], channel=channel[:32])
        self.senders = senders
        self.channel = channel
        self.scheme = scheme
        self.write_lock = write_lock or threading.Lock()
        self.stats = stats or NodeStats()
        self.retries = retries
        self.dose_screen_dir = dose_screen_dir
        self.pool = pool

    # -- C-STORE ---------------------------------------------------------------------------------

    def receive_file(
        self,
        path: Path,
        calling_ae: str | None,
        sop_class_uid: str | None = None,
        sop_instance_uid: str | None = None,
        *,
        label: str | None = None,
    ) -> Received:
        """Read, parse and store one received object (a DICOM file with meta); never raises.

        ``calling_ae`` names the sending modality (recorded on the device); ``label`` replaces it in the
        object's origin when the sender is not the modality (a PACS answering a C-GET). With a pool,
        a worker process does all of it (see kerma.net.ingest_pool) and this thread counts the outcome.
        """
        origin = _origin(label or calling_ae, sop_instance_uid, self.scheme)
        if self.pool is not None:
            from kerma.net.ingest_worker import receive_in_worker  # it imports this module

            got = self.pool.call(receive_in_worker, path, calling_ae, sop_class_uid, sop_instance_uid, label)
            if got is not None:
                self.stats.count(got.outcome, got.reason, origin)
                return got
        prepared = prepare_received(path, origin, sop_class_uid, sop_instance_uid)
        if prepared.parsed is None:
            return self._failed(origin, sop_instance_uid, prepared.error or "cannot read the received object")
        parsed = prepared.parsed
        if parsed.report is not None:
            sender = self.senders.get(calling_ae) if self.senders and calling_ae else None
            apply_sender(parsed.report.device, calling_ae, sender)
        received = self._finish(parsed, prepared.raw, prepared.reject_status)
        screen = (prepared.sop_class_uid or sop_class_uid or "").strip() == SECONDARY_CAPTURE
        if received.status == Status.SUCCESS and self.dose_screen_dir is not None and screen:
            self._keep_dose_screen(path, received.sop_instance_uid or sop_instance_uid or "object")
        return received

    def _keep_dose_screen(self, path: Path, uid: str) -> None:
        """Keep a Secondary Capture whole (pixels included): dose screens are read by OCR later."""
        assert self.dose_screen_dir is not None
        try:
            self.dose_screen_dir.mkdir(parents=True, exist_ok=True)
            target = self.dose_screen_dir / f"{uid.replace('/', '_')}.dcm"
            partial = target.with_suffix(".part")
            shutil.copyfile(path, partial)
            partial.replace(target)
        except OSError as exc:
            log.error("dose screen %s not kept: %s", uid, exc)

    # -- reports built elsewhere (MPPS) ----------------------------------------------------------

    def receive_report(self, report: DoseReport, calling_ae: str | None, origin: str) -> Received:
        """Store a report built from a non-storage message (an MPPS step); never raises."""
        sender = self.senders.get(calling_ae) if self.senders and calling_ae else None
        apply_sender(report.device, calling_ae, sender)
        return self.store_parsed(Parsed(origin, report, None), None)

    # -- shared ----------------------------------------------------------------------------------

    def store_parsed(
        self, parsed: Parsed, raw: bytes | None, reject_status: Status = Status.DATASET_MISMATCH
    ) -> Received:
        """Store a parse outcome (report or rejection) committed before returning; never raises."""
        return self._finish(parsed, raw, reject_status)

    def _finish(self, parsed: Parsed, raw: bytes | None, reject_status: Status) -> Received:
        uid = (
            parsed.report.sop_instance_uid
            if parsed.report
            else (parsed.result.sop_instance_uid if parsed.result else None)
        )
        for attempt in range(self.retries + 1):
            try:
                with self.write_lock:
                    result = self.ingestor.store_one(parsed, raw)
                break
            except DBAPIError as exc:
                # Another process may have written the same study or held the lock: try again briefly.
                if attempt < self.retries and not exc.connection_invalidated:
                    time.sleep(0.05 * (attempt + 1))
                    continue
                return self._failed(
                    parsed.origin, uid, f"database error ({type(exc.orig).__name__}: {exc.orig})"
                )
            except (OSError, MemoryError, SQLAlchemyError) as exc:  # disk full, ...: the sender must retry
                return self._failed(parsed.origin, uid, f"cannot store ({type(exc).__name__}: {exc})")
            except Exception as exc:
                # A fault in Kerma's own code (a parser or post-store hook), not a passing condition:
                # retrying would fail forever, so keep the object in quarantine for a re-import instead.
                reason = f"{parsed.origin}: internal error while storing ({type(exc).__name__}: {exc})"
                log.exception("internal error storing %s", parsed.origin)
                self.ingestor.quarantine(parsed, reason, raw)
                self.stats.count("failed", reason, parsed.origin)
                return Received(Status.PROCESSING_FAILURE, "failed", uid, reason)
        outcome = result.outcome
        self.stats.count(outcome.value, result.reason, parsed.origin)
        if outcome is Outcome.REJECTED:
            log.warning("rejected %s: %s", parsed.origin, result.reason)
            return Received(reject_status, outcome.value, result.sop_instance_uid, result.reason)
        if outcome is Outcome.NOT_DOSE_RELEVANT:
            log.info("not dose relevant %s: %s", parsed.origin, result.reason)
        return Received(Status.SUCCESS, outcome.value, result.sop_instance_uid, result.reason)

    def _failed(self, origin: str, uid: str | None, reason: str) -> Received:
        log.error("not stored, sender asked to retry: %s: %s", origin, reason)
        self.stats.count("failed", reason, origin)
        return Received(Status.OUT_OF_RESOURCES, "failed", uid, reason)


def _identity_mismatch(ds: Dataset, sop_class_uid: str | None, sop_instance_uid: str | None) -> str | None:
    got_class = str(ds.get("SOPClassUID", "") or "").strip()
    got_inst = str(ds.get("SOPInstanceUID", "") or "").strip()
    if sop_class_uid and got_class and got_class != sop_class_uid.strip():
        return (
            f"SOP Class UID {got_class} in the data set differs from {sop_class_uid} in the C-STORE request"
        )
    if sop_instance_uid and got_inst and got_inst != sop_instance_uid.strip():
        return f"SOP Instance UID {got_inst} in the data set differs from {sop_instance_uid} in the request"
    return None


def _head(path: Path) -> bytes | None:
    try:
        with path.open("rb") as fh:
            return fh.read(QUARANTINE_MAX_BYTES)
    except OSError:
        return None


__all__ = [
    "NodeStats",
    "Prepared",
    "Received",
    "Receiver",
    "Status",
    "WriteLock",
    "apply_sender",
    "prepare_received",
    "read_received",
]
