"""The ingest pipeline: read, parse, pseudonymise, store; one outcome per object; quarantine for rejects.

Files are parsed outside any transaction; stores are grouped in batches of one transaction with a
savepoint per object, so each object is stored all-or-nothing while commits (and their fsync) are shared.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset
from sqlalchemy import Connection, Engine

from kerma.analytics.values import refresh as refresh_values
from kerma.config import Settings
from kerma.domain.model import DoseReport, NotDoseRelevant, RejectedInput
from kerma.ingest.dispatch import parse_dataset
from kerma.ingest.reader import read_header, sha256_of, sop_identity
from kerma.privacy.pseudonym import PhantomMatcher, Pseudonymiser, load_secret
from kerma.store.schema.core import ingest_log
from kerma.store.writer import Outcome, SaveResult, StoreWriter, utcnow

# Called after each stored object, inside its transaction: (connection, result, report).
PostStoreHook = Callable[[Connection, SaveResult, DoseReport], None]


@dataclass(slots=True)
class ImportReport:
    """Counts for `kerma import --json`."""

    files: int = 0
    stored: int = 0
    duplicates: int = 0
    not_dose_relevant: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)
    studies: int = 0
    events: int = 0
    _study_uids: set[str] = field(default_factory=set)

    def add(self, origin: str, result: SaveResult) -> None:
        """Count one object's outcome."""
        self.files += 1
        if result.outcome is Outcome.STORED:
            self.stored += 1
            self.events += result.events_added
            if result.study_instance_uid:
                self._study_uids.add(result.study_instance_uid)
            self.studies = len(self._study_uids)
        elif result.outcome is Outcome.DUPLICATE:
            self.duplicates += 1
        elif result.outcome is Outcome.NOT_DOSE_RELEVANT:
            self.not_dose_relevant += 1
        else:
            self.rejected.append({"file": origin, "reason": result.reason or "rejected"})

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of `kerma import --json`."""
        return {
            "files": self.files,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "not_dose_relevant": self.not_dose_relevant,
            "rejected": self.rejected,
            "studies": self.studies,
            "events": self.events,
        }


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths, recursively, in a stable order; hidden files are skipped."""
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts):
                    yield f
        elif p.is_file():
            yield p
        else:
            yield p  # reported as rejected: 'no such file'


@dataclass(slots=True)
class Parsed:
    """A parse attempt: either a report or the outcome that stops it."""

    origin: str
    report: DoseReport | None
    result: SaveResult | None
    sha256: str | None = None
    source_path: Path | None = None


def parse_file(path: Path) -> Parsed:
    """Read and parse one file; never raises for bad input."""
    origin = str(path)
    if not path.is_file():
        return Parsed(
            origin, None, SaveResult(Outcome.REJECTED, reason=f"{origin}: no such file"), None, None
        )
    try:
        digest = sha256_of(path)
        ds = read_header(path)
    except RejectedInput as exc:
        return Parsed(origin, None, SaveResult(Outcome.REJECTED, reason=f"{origin}: {exc}"), None, path)
    except OSError as exc:
        return Parsed(
            origin, None, SaveResult(Outcome.REJECTED, reason=f"{origin}: cannot read ({exc})"), None, path
        )
    parsed = parse_loaded(ds, origin)
    parsed.sha256 = digest
    parsed.source_path = path
    return parsed


def parse_loaded(ds: Dataset, origin: str) -> Parsed:
    """Parse an already read dataset (files and network objects alike)."""
    try:
        report = parse_dataset(ds)
    except NotDoseRelevant as exc:
        uid = _uid_or_none(ds)
        return Parsed(origin, None, SaveResult(Outcome.NOT_DOSE_RELEVANT, uid, reason=str(exc)))
    except RejectedInput as exc:
        return Parsed(origin, None, SaveResult(Outcome.REJECTED, _uid_or_none(ds), reason=f"{origin}: {exc}"))
    except Exception as exc:  # a parser bug or an object no rule foresaw: keep it, say why
        reason = f"{origin}: cannot parse ({type(exc).__name__}: {exc})"
        return Parsed(origin, None, SaveResult(Outcome.REJECTED, _uid_or_none(ds), reason=reason))
    return Parsed(origin, report, None)


def _uid_or_none(ds: Dataset) -> str | None:
    try:
        return sop_identity(ds)[1]
    except RejectedInput:
        return None


class Ingestor:
    """Stores parsed objects; shared by `kerma import`, the DICOM listener and later sources."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        hooks: Sequence[PostStoreHook] = (),
        channel: str = "file",
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.channel = channel
        self.hooks = list(hooks)
        self.writer = StoreWriter(
            Pseudonymiser(load_secret(settings.secret_file)),
            PhantomMatcher(settings.phantom_patterns),
            settings.device_match,
        )

    # -- one object in its own transaction (network receive) --------------------------------------

    def store_one(self, parsed: Parsed, raw: bytes | None = None) -> SaveResult:
        """Store one parsed object in its own committed transaction; returns after the commit.

        Database errors propagate (the caller answers the sender with a failure status so it retries).
        """
        with self.engine.begin() as conn:
            result = self._store(conn, parsed)
            self._log(conn, [(parsed, result)])
        if result.outcome is Outcome.REJECTED:
            self.quarantine(parsed, result.reason or "rejected", raw)
        return result

    # -- many files (import) ---------------------------------------------------------------------

    def import_paths(
        self, paths: Sequence[Path], progress: Callable[[int], None] | None = None
    ) -> ImportReport:
        """Import files and folders; each file gets exactly one outcome in the report."""
        report = ImportReport()
        batch: list[Parsed] = []
        for path in iter_files(paths):
            batch.append(parse_file(path))
            if len(batch) >= self.settings.batch_size:
                self._flush(batch, report)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            self._flush(batch, report)
            if progress:
                progress(len(batch))
        return report

    def _flush(self, batch: list[Parsed], report: ImportReport) -> None:
        done: list[tuple[Parsed, SaveResult]] = []
        with self.engine.connect() as conn, conn.begin():
            for parsed in batch:
                done.append((parsed, self._store(conn, parsed)))
            self._log(conn, done)
        for parsed, result in done:
            if result.outcome is Outcome.REJECTED:
                self.quarantine(parsed, result.reason or "rejected")
            report.add(parsed.origin, result)

    def _store(self, conn: Connection, parsed: Parsed) -> SaveResult:
        if parsed.report is None:
            assert parsed.result is not None
            return parsed.result
        try:
            with conn.begin_nested():
                result = self.writer.save(conn, parsed.report, parsed.origin, parsed.sha256)
                if result.outcome is Outcome.STORED:
                    for hook in self.hooks:
                        hook(conn, result, parsed.report)
                    # after the hooks: exam-code mapping is one of them
                    refresh_values(conn, [result.study_id])
                return result
        except RejectedInput as exc:
            return SaveResult(
                Outcome.REJECTED, parsed.report.sop_instance_uid, reason=f"{parsed.origin}: {exc}"
            )

    def _log(self, conn: Connection, done: list[tuple[Parsed, SaveResult]]) -> None:
        now = utcnow()
        conn.execute(
            ingest_log.insert(),
            [
                {
                    "at": now,
                    "channel": self.channel,
                    "origin": p.origin,
                    "sop_instance_uid": r.sop_instance_uid,
                    "outcome": r.outcome.value,
                    "reason": r.reason,
                    "quarantine_path": None,
                }
                for p, r in done
            ],
        )

    def quarantine(self, parsed: Parsed, reason: str, raw: bytes | None = None) -> Path | None:
        """Copy a rejected object to the quarantine folder with its reason beside it."""
        qdir = self.settings.quarantine_dir
        qdir.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        name = Path(parsed.origin).name or "object"
        target = qdir / f"{stamp}-{name}"
        try:
            if raw is not None:
                target.write_bytes(raw)
            elif parsed.source_path is not None and parsed.source_path.is_file():
                shutil.copy2(parsed.source_path, target)
            else:
                target = target.with_suffix(target.suffix + ".missing")
            target.with_name(target.name + ".reason.json").write_text(
                json.dumps(
                    {"origin": parsed.origin, "reason": reason, "at": stamp}, ensure_ascii=False, indent=2
                ),
                encoding="utf-8",
            )
        except OSError:
            return None
        return target
