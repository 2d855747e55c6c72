"""`kerma registry import`: read a folder of survey files, repair them, and store rows, repairs and
submissions under pseudonyms. Files are read outside any transaction; each file is stored in one.

Files whose name starts with ``_`` or ``.`` are not surveys (``_ground_truth.csv`` of a simulation,
``_code_map.csv`` with codes of earlier templates, which is applied when present).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from kerma.ingest.survey import SurveyOptions, read_survey, sha256_file
from kerma.privacy.pseudonym import Pseudonymiser
from kerma.registry.batch import (
    Claim,
    KeyFn,
    ReferenceFn,
    batch_reference,
    check_plausible,
    facility_identity,
    fix_wrong_units,
    identity_keys,
    resolve_duplicate_claims,
)
from kerma.registry.catalogue import load_code_map
from kerma.registry.model import RowStatus, SurveyFile, SurveyRow
from kerma.registry.textnorm import words
from kerma.store.schema.registry import registry_keys, registry_repairs, registry_rows, registry_submissions
from kerma.store.writer import utcnow

CODE_MAP_NAME = "_code_map.csv"
_BATCH = 2000
FILES_PER_COMMIT = 50


@dataclass(slots=True)
class ImportSummary:
    """What an import did: counts, files rejected whole, flags for the authority."""

    files: int = 0
    files_skipped: list[dict[str, str]] = field(default_factory=list)
    files_rejected: list[dict[str, str]] = field(default_factory=list)
    rows: Counter[str] = field(default_factory=Counter)
    repairs: int = 0
    flags: list[str] = field(default_factory=list)
    submission_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form for `--json`."""
        return {
            "files": self.files,
            "files_skipped": self.files_skipped,
            "files_rejected": self.files_rejected,
            "rows": dict(self.rows),
            "repairs": self.repairs,
            "flags": self.flags,
        }


class RegistryKeys:
    """Pseudonyms of facilities and devices (HMAC with the site secret) and the key table behind them."""

    def __init__(self, pseudonymiser: Pseudonymiser) -> None:
        self._pz = pseudonymiser
        self.labels: dict[str, tuple[str, str]] = {}
        self.stored: set[str] = set()
        self._cache: dict[tuple[str, ...], str] = {}

    def facility(self, name: str) -> str:
        """Pseudonym of a facility (same for every spelling that normalises alike)."""
        key = self._cache.get(("f", name))
        if key is None:
            key = self._cache[("f", name)] = self._pz.key("registry-facility", facility_identity(name))
            self.labels.setdefault(key, ("facility", name))
        return key

    def device(self, facility: str, device: str) -> str:
        """Pseudonym of a device within its facility."""
        key = self._cache.get(("d", facility, device))
        if key is None:
            key = self._pz.key("registry-device", facility_identity(facility), words(device))
            self._cache[("d", facility, device)] = key
            self.labels.setdefault(key, ("device", f"{facility} / {device}"))
        return key

    def row_keys(self, r: SurveyRow) -> tuple[str, str | None]:
        """(facility key, device key) of a row."""
        fac = self.facility(r.facility or "")
        return fac, (self.device(r.facility or "", r.device) if r.device else None)


def survey_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Survey files under the paths, recursively, in a stable order."""
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and not any(part.startswith((".", "_")) for part in rel):
                    yield f
        elif p.is_file():
            yield p


def _earlier_claims(
    conn: Connection, years: set[int], facilities: set[str]
) -> dict[tuple[str, int], list[Claim]]:
    out: dict[tuple[str, int], dict[int, Claim]] = {}
    if not years or not facilities:
        return {}
    q = (
        select(
            registry_rows.c.facility_key,
            registry_rows.c.year,
            registry_rows.c.device_key,
            registry_rows.c.exam_code,
            registry_submissions.c.source_file,
            registry_submissions.c.id,
        )
        .join(registry_submissions, registry_submissions.c.id == registry_rows.c.submission_id)
        .where(registry_rows.c.status != RowStatus.REJECTED.value)
        .where(registry_rows.c.year.in_(sorted(years)))
        .where(registry_rows.c.facility_key.in_(sorted(facilities)))
    )
    for fac, year, dev, code, name, sid in conn.execute(q):
        c = out.setdefault((fac, year), {}).setdefault(sid, Claim(f"{name} (imported earlier)"))
        c.keys.add((dev, code))
        c.valid_rows += 1
    return {k: list(v.values()) for k, v in out.items()}


@dataclass(slots=True)
class Batch:
    """Files read and repaired together, before they are stored."""

    files: list[SurveyFile] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    seen: int = 0


def read_batch(
    paths: Iterable[Path],
    options: SurveyOptions | None = None,
    known: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Batch:
    """Read every survey file under ``paths`` (no database); files already imported are skipped."""
    opts = options or SurveyOptions()
    paths = list(paths)
    for p in paths:
        cmap = p / CODE_MAP_NAME if p.is_dir() else None
        if cmap is not None and cmap.is_file():
            opts.catalogue.code_map.update(load_code_map(cmap))
    known = known or {}
    batch = Batch()
    seen_here: dict[str, str] = {}
    for path in survey_files(paths):
        batch.seen += 1
        digest = sha256_file(path)
        if digest in known or digest in seen_here:
            batch.skipped.append(
                {
                    "file": path.name,
                    "reason": f"same bytes as {known.get(digest) or seen_here[digest]}, already read",
                }
            )
        else:
            seen_here[digest] = path.name
            batch.files.append(read_survey(path, opts, name=_display_name(path, paths)))
        if progress:
            progress(1)
    return batch


def repair_batch(
    files: list[SurveyFile],
    fallback_reference: ReferenceFn | None = None,
    earlier: dict[tuple[str, int], list[Claim]] | None = None,
    keys: KeyFn = identity_keys,
) -> list[str]:
    """Checks across files: wrong units, plausibility, two files for one facility and year; returns flags."""
    ref = batch_reference(files, fallback_reference)
    fix_wrong_units(files, ref)
    check_plausible(files)
    return resolve_duplicate_claims(files, earlier, keys)


def import_surveys(
    engine: Engine,
    paths: Iterable[Path],
    pseudonymiser: Pseudonymiser,
    options: SurveyOptions | None = None,
    fallback_reference: ReferenceFn | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Read, repair and store every survey file under ``paths``; returns what happened."""
    summary = ImportSummary()
    with engine.connect() as conn:
        known = {
            r[0]: r[1]
            for r in conn.execute(select(registry_submissions.c.sha256, registry_submissions.c.source_file))
        }
    batch = read_batch(paths, options, known, progress)
    summary.files = batch.seen
    summary.files_skipped = batch.skipped
    files = batch.files
    keys = RegistryKeys(pseudonymiser)
    years = {r.year for f in files for r in f.rows() if r.year}
    facs = {keys.facility(r.facility) for f in files for r in f.rows() if r.facility}
    with engine.connect() as conn:
        earlier = _earlier_claims(conn, years, facs)
    summary.flags.extend(repair_batch(files, fallback_reference, earlier, keys.row_keys))
    # Files are stored in batches: one transaction (one commit, one fsync) per batch of files.
    for start in range(0, len(files), FILES_PER_COMMIT):
        with engine.begin() as conn:
            for f in files[start : start + FILES_PER_COMMIT]:
                summary.submission_ids.append(store_file(conn, f, keys))
    for f in files:
        if f.rejected:
            summary.files_rejected.append({"file": f.name, "reason": f.rejected})
        for r in f.rows():
            summary.rows[r.status.value] += 1
        summary.repairs += len(f.repairs())
    return summary


def _display_name(path: Path, roots: list[Path]) -> str:
    for root in roots:
        if root.is_dir():
            try:
                return str(path.relative_to(root))
            except ValueError:
                continue
    return path.name


def store_file(conn: Connection, f: SurveyFile, keys: RegistryKeys) -> int:
    """Store one read file: its submission, key-table entries, rows and repairs; returns the submission id."""
    rows = f.rows()
    counts = Counter(r.status.value for r in rows)
    notes = list(f.notes)
    for s in f.sheets:
        if s.skipped:
            notes.append(f"sheet {s.name!r} skipped: {s.skipped}")
        notes.extend(f"sheet {s.name!r}: {n}" for n in s.notes)
    status = (
        "rejected" if f.rejected else ("flagged" if any("already submitted" in n for n in f.notes) else "ok")
    )
    sid = conn.execute(
        insert(registry_submissions).values(
            source_file=f.name,
            sha256=f.sha256,
            file_format=f.fmt[:8],
            status=status,
            reason=f.rejected,
            notes=notes,
            rows_total=len(rows),
            rows_ok=counts.get("ok", 0),
            rows_repaired=counts.get("repaired", 0),
            rows_rejected=counts.get("rejected", 0),
            imported_at=utcnow(),
        )
    ).inserted_primary_key[0]
    _store_keys(conn, keys)
    row_ids: list[int] = []
    for start in range(0, len(rows), _BATCH):
        chunk = rows[start : start + _BATCH]
        values = [_row_values(sid, r, keys) for r in chunk]
        result = conn.execute(
            insert(registry_rows).returning(registry_rows.c.id, sort_by_parameter_order=True), values
        )
        row_ids.extend(x[0] for x in result)
    repairs: list[dict[str, Any]] = [_repair_values(sid, None, rep) for s in f.sheets for rep in s.repairs]
    for rid, r in zip(row_ids, rows, strict=True):
        repairs.extend(_repair_values(sid, rid, rep) for rep in r.repairs)
    for start in range(0, len(repairs), _BATCH * 5):
        conn.execute(insert(registry_repairs), repairs[start : start + _BATCH * 5])
    return int(sid)


def _store_keys(conn: Connection, keys: RegistryKeys) -> None:
    todo = [k for k in keys.labels if k not in keys.stored]
    if not todo:
        return
    have = {k for (k,) in conn.execute(select(registry_keys.c.key).where(registry_keys.c.key.in_(todo)))}
    new = [
        {"key": k, "kind": keys.labels[k][0], "label": keys.labels[k][1], "created_at": utcnow()}
        for k in todo
        if k not in have
    ]
    if new:
        conn.execute(insert(registry_keys), new)
    keys.stored.update(todo)


def _row_values(sid: int, r: SurveyRow, keys: RegistryKeys) -> dict[str, Any]:
    fac, dev = keys.row_keys(r) if r.facility else (None, None)
    return {
        "submission_id": sid,
        "source_sheet": r.source_sheet,
        "source_row": r.source_row,
        "source_column": r.source_column or None,
        "facility_key": fac,
        "device_key": dev,
        "year": r.year,
        "data_source": r.data_source,
        "exam_code": (r.exam_code or "")[:16] or None,
        "exam_name": r.exam_name,
        "dap_gy_cm2": r.dap_gy_cm2,
        "agd_mgy": r.agd_mgy,
        "dlp_mgy_cm": r.dlp_mgy_cm,
        "ctdivol_mgy": r.ctdivol_mgy,
        "ctdi_phantom": r.ctdi_phantom,
        "patient_weight_kg": r.patient_weight_kg,
        "patient_age_years": r.patient_age_years,
        "patient_sex": r.patient_sex,
        "is_mean": r.is_mean,
        "n_exams": r.n_exams,
        "status": r.status.value,
        "reason": r.reason,
    }


def _repair_values(sid: int, rid: int | None, rep: Any) -> dict[str, Any]:
    return {
        "submission_id": sid,
        "row_id": rid,
        "source_sheet": rep.sheet,
        "source_row": rep.row,
        "source_column": (rep.column or None) and rep.column[:8],
        "old_value": rep.old_value,
        "new_value": rep.new_value,
        "rule": rep.rule,
    }
