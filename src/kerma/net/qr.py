"""Query/retrieve from a PACS as an SCU: C-FIND at study, series and image level; C-GET or C-MOVE.

Only dose objects are fetched: every dose SR of a study, and for a study without an RDSR one image per
series for its header. ``plan_study`` decides that from C-FIND answers alone (a pure function).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from pydicom.dataset import Dataset
from pynetdicom import AE, _config, build_role, evt
from pynetdicom.association import Association

from kerma.net.config import PacsNode
from kerma.net.contexts import (
    SR_CLASSES,
    STORAGE_CLASSES,
    STUDY_ROOT_FIND,
    STUDY_ROOT_GET,
    STUDY_ROOT_MOVE,
    VERIFICATION,
    transfer_syntaxes,
)
from kerma.net.sockets import no_delay

log = logging.getLogger("kerma.net.qr")

# Classes that are dose reports by definition (Enhanced/Comprehensive SR may or may not be).
RDSR_CLASSES = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.88.67",
        "1.2.840.10008.5.1.4.1.1.88.76",
        "1.2.840.10008.5.1.4.1.1.88.68",
    }
)
# Series modalities whose images carry dose headers (one image per series is fetched).
IMAGE_MODALITIES = frozenset({"CT", "CR", "DX", "MG", "RF", "XA", "PX", "IO", "NM", "PT"})

_PENDING = (0xFF00, 0xFF01)


class PacsError(RuntimeError):
    """The PACS could not be reached or refused a request."""


@dataclass(slots=True)
class StudyHit:
    """A study found by C-FIND."""

    study_instance_uid: str
    study_date: str | None = None
    modalities: tuple[str, ...] = ()
    description: str | None = None
    accession_number: str | None = None


@dataclass(slots=True)
class SeriesHit:
    """A series found by C-FIND."""

    series_instance_uid: str
    modality: str | None = None
    number_of_instances: int | None = None
    description: str | None = None


@dataclass(slots=True)
class InstanceHit:
    """An instance found by C-FIND."""

    sop_instance_uid: str
    sop_class_uid: str | None = None
    instance_number: int | None = None


@dataclass(slots=True)
class Target:
    """What to fetch from one series."""

    series_instance_uid: str
    sop_instance_uids: list[str]
    reason: str  # "dose report" or "image header"


@dataclass(slots=True)
class RetrieveResult:
    """Sub-operation counts of one retrieve."""

    completed: int = 0
    failed: int = 0
    warning: int = 0
    statuses: list[int] = field(default_factory=list)


def _text(ds: Dataset | None, keyword: str) -> str | None:
    if ds is None:
        return None
    value = ds.get(keyword, None)
    if value in (None, ""):
        return None
    return str(value).strip() or None


def _int(ds: Dataset | None, keyword: str) -> int | None:
    value = _text(ds, keyword)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def day_windows(date_from: date, date_to: date, days: int = 1) -> Iterator[tuple[date, date]]:
    """Inclusive windows of ``days`` days covering [date_from, date_to]; PACS often cap C-FIND answers."""
    start = date_from
    while start <= date_to:
        end = min(date_to, start + timedelta(days=days - 1))
        yield start, end
        start = end + timedelta(days=1)


def wanted_study(hit: StudyHit, modalities: tuple[str, ...]) -> bool:
    """A study is wanted when no modality filter is given, the PACS did not say, or one matches."""
    return not modalities or not hit.modalities or any(m in hit.modalities for m in modalities)


def plan_study(
    series: list[SeriesHit],
    instances: Callable[[SeriesHit], list[InstanceHit]],
    modalities: tuple[str, ...] = (),
) -> list[Target]:
    """Decide what to fetch from one study.

    Every SR instance of a dose SR class is fetched. When none is an RDSR, one image (the lowest
    Instance Number) of each series of an X-ray or nuclear modality is fetched for its dose header.
    """
    targets: list[Target] = []
    has_rdsr = False
    for s in series:
        if (s.modality or "").upper() != "SR":
            continue
        srs = [i for i in instances(s) if i.sop_class_uid is None or i.sop_class_uid in SR_CLASSES]
        if srs:
            targets.append(Target(s.series_instance_uid, [i.sop_instance_uid for i in srs], "dose report"))
            has_rdsr = has_rdsr or any(i.sop_class_uid in RDSR_CLASSES for i in srs)
    if has_rdsr:
        return targets
    for s in series:
        modality = (s.modality or "").upper()
        if modality not in IMAGE_MODALITIES or (modalities and modality not in modalities):
            continue
        found = instances(s)
        if not found:
            continue
        first = min(
            found, key=lambda i: (i.instance_number is None, i.instance_number or 0, i.sop_instance_uid)
        )
        targets.append(Target(s.series_instance_uid, [first.sop_instance_uid], "image header"))
    return targets


StoreHandler = Callable[[Path, str | None, str | None], int]
"""Called for each object a C-GET delivers: (file path, SOP Class UID, SOP Instance UID) -> status."""


class PacsClient:
    """One association with a PACS for queries (and C-GET retrieves when a store handler is given)."""

    def __init__(
        self,
        node: PacsNode,
        aet: str = "KERMA",
        on_store: StoreHandler | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.node = node
        self.aet = aet
        self.on_store = on_store
        self.timeout_s = timeout_s
        self._assoc: Association | None = None

    def __enter__(self) -> PacsClient:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        """Associate; raises PacsError when the PACS is unreachable or refuses."""
        ae = AE(ae_title=self.aet)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = self.timeout_s
        ae.add_requested_context(VERIFICATION)
        ae.add_requested_context(STUDY_ROOT_FIND)
        ae.add_requested_context(STUDY_ROOT_MOVE)
        roles: list[Any] = []
        # No quick_ack here (see kerma.net.sockets): answers that arrive sooner widen a race in
        # pynetdicom's requestor, whose reactor can take a C-FIND response meant for send_c_find.
        handlers: list[Any] = [(evt.EVT_CONN_OPEN, no_delay)]
        if self.on_store is not None:
            _config.STORE_RECV_CHUNKED_DATASET = True
            ae.add_requested_context(STUDY_ROOT_GET)
            for uid in STORAGE_CLASSES:
                ae.add_requested_context(uid, transfer_syntaxes(uid))
                roles.append(build_role(uid, scp_role=True))
            handlers.append((evt.EVT_C_STORE, self._handle_store))
        assoc = ae.associate(
            self.node.host, self.node.port, ae_title=self.node.ae_title, ext_neg=roles, evt_handlers=handlers
        )
        if not assoc.is_established:
            n = self.node
            raise PacsError(f"cannot associate with {n.name} ({n.ae_title}@{n.host}:{n.port})")
        self._assoc = assoc

    def close(self) -> None:
        """Release the association."""
        if self._assoc is not None and self._assoc.is_established:
            self._assoc.release()
        self._assoc = None

    def _handle_store(self, event: Any) -> int:
        assert self.on_store is not None
        req = event.request
        return self.on_store(
            event.dataset_path,
            str(req.AffectedSOPClassUID or "") or None,
            str(req.AffectedSOPInstanceUID or "") or None,
        )

    @property
    def assoc(self) -> Association:
        """The open association."""
        if self._assoc is None or not self._assoc.is_established:
            raise PacsError(f"no open association with {self.node.name}")
        return self._assoc

    # -- queries ---------------------------------------------------------------------------------

    def echo(self) -> bool:
        """C-ECHO; True on success."""
        status = self.assoc.send_c_echo()
        return bool(status) and int(status.Status) == 0

    def _find(self, query: Dataset) -> list[Dataset]:
        out: list[Dataset] = []
        for status, identifier in self.assoc.send_c_find(query, STUDY_ROOT_FIND):
            if not status:
                raise PacsError(f"{self.node.name}: C-FIND timed out or the association was aborted")
            code = int(status.Status)
            if code in _PENDING and identifier is not None:
                out.append(identifier)
            elif code not in (0x0000, *_PENDING):
                raise PacsError(f"{self.node.name}: C-FIND failed with status 0x{code:04X}")
        return out

    def find_studies(self, date_from: date, date_to: date) -> list[StudyHit]:
        """Studies with a Study Date in [date_from, date_to]."""
        q = Dataset()
        q.QueryRetrieveLevel = "STUDY"
        q.StudyInstanceUID = ""
        q.StudyDate = f"{date_from:%Y%m%d}-{date_to:%Y%m%d}"
        q.ModalitiesInStudy = ""
        q.StudyDescription = ""
        q.AccessionNumber = ""
        hits: list[StudyHit] = []
        for ds in self._find(q):
            uid = _text(ds, "StudyInstanceUID")
            if not uid:
                continue
            mods = ds.get("ModalitiesInStudy", None)
            if mods in (None, ""):
                modalities: tuple[str, ...] = ()
            elif isinstance(mods, str):
                modalities = tuple(m.strip().upper() for m in mods.split("\\") if m.strip())
            else:
                modalities = tuple(str(m).strip().upper() for m in mods if str(m).strip())
            hits.append(
                StudyHit(
                    uid,
                    _text(ds, "StudyDate"),
                    modalities,
                    _text(ds, "StudyDescription"),
                    _text(ds, "AccessionNumber"),
                )
            )
        return hits

    def find_series(self, study_uid: str) -> list[SeriesHit]:
        """Series of a study."""
        q = Dataset()
        q.QueryRetrieveLevel = "SERIES"
        q.StudyInstanceUID = study_uid
        q.SeriesInstanceUID = ""
        q.Modality = ""
        q.SeriesDescription = ""
        q.NumberOfSeriesRelatedInstances = ""
        return [
            SeriesHit(
                uid,
                _text(ds, "Modality"),
                _int(ds, "NumberOfSeriesRelatedInstances"),
                _text(ds, "SeriesDescription"),
            )
            for ds in self._find(q)
            if (uid := _text(ds, "SeriesInstanceUID"))
        ]

    def find_instances(self, study_uid: str, series_uid: str) -> list[InstanceHit]:
        """Instances of a series, with SOP Class UID and Instance Number where the PACS returns them."""
        q = Dataset()
        q.QueryRetrieveLevel = "IMAGE"
        q.StudyInstanceUID = study_uid
        q.SeriesInstanceUID = series_uid
        q.SOPInstanceUID = ""
        q.SOPClassUID = ""
        q.InstanceNumber = ""
        return [
            InstanceHit(uid, _text(ds, "SOPClassUID"), _int(ds, "InstanceNumber"))
            for ds in self._find(q)
            if (uid := _text(ds, "SOPInstanceUID"))
        ]

    # -- retrieve --------------------------------------------------------------------------------

    def _instance_query(self, study_uid: str, series_uid: str, sop_uid: str) -> Dataset:
        q = Dataset()
        q.QueryRetrieveLevel = "IMAGE"
        q.StudyInstanceUID = study_uid
        q.SeriesInstanceUID = series_uid
        q.SOPInstanceUID = sop_uid
        return q

    def _collect(self, responses: Iterator[tuple[Dataset, Dataset | None]], what: str) -> RetrieveResult:
        result = RetrieveResult()
        last: Dataset | None = None
        for status, _identifier in responses:
            if not status:
                raise PacsError(f"{self.node.name}: {what} timed out or the association was aborted")
            result.statuses.append(int(status.Status))
            last = status
        if last is not None:
            result.completed = _int(last, "NumberOfCompletedSuboperations") or 0
            result.failed = _int(last, "NumberOfFailedSuboperations") or 0
            result.warning = _int(last, "NumberOfWarningSuboperations") or 0
            code = int(last.Status)
            if code not in (0x0000, 0xB000) and result.failed == 0:
                result.failed = 1  # refused outright (e.g. unknown move destination)
        return result

    def get(self, study_uid: str, series_uid: str, sop_uid: str) -> RetrieveResult:
        """C-GET one instance over this association (delivered to the store handler)."""
        q = self._instance_query(study_uid, series_uid, sop_uid)
        return self._collect(self.assoc.send_c_get(q, STUDY_ROOT_GET), "C-GET")

    def move(self, study_uid: str, series_uid: str, sop_uid: str, destination: str) -> RetrieveResult:
        """C-MOVE one instance to ``destination`` (Kerma's listener, known to the PACS)."""
        q = self._instance_query(study_uid, series_uid, sop_uid)
        return self._collect(self.assoc.send_c_move(q, destination, STUDY_ROOT_MOVE), "C-MOVE")
