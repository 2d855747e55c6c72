"""Back-fill from a PACS: find the dose objects of a date range and retrieve only those, resumably.

A re-run skips series already pulled (``pull_progress``) and instances already stored (``dose_objects``),
so an interrupted pull of several years simply continues.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from kerma.config import Settings
from kerma.ingest.pipeline import PostStoreHook
from kerma.net.config import PacsNode, set_last_pulled
from kerma.net.qr import (
    InstanceHit,
    PacsClient,
    PacsError,
    SeriesHit,
    StudyHit,
    day_windows,
    plan_study,
    wanted_study,
)
from kerma.net.receive import Receiver, Status, WriteLock
from kerma.store.schema.core import dose_objects
from kerma.store.schema.net import pull_progress
from kerma.store.writer import utcnow

log = logging.getLogger("kerma.net.pull")

Progress = Callable[[int, int], None]
"""Called after each study: (studies done, studies to do)."""


@dataclass(slots=True)
class PullSummary:
    """What a pull did; the JSON of `kerma pacs pull --json`."""

    node: str
    date_from: str
    date_to: str
    method: str
    studies_found: int = 0
    studies_wanted: int = 0
    series_planned: int = 0
    series_skipped: int = 0
    instances_wanted: int = 0
    instances_skipped: int = 0
    retrieved: int = 0
    failed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {
            "node": self.node,
            "from": self.date_from,
            "to": self.date_to,
            "method": self.method,
            "studies_found": self.studies_found,
            "studies_wanted": self.studies_wanted,
            "series_planned": self.series_planned,
            "series_skipped": self.series_skipped,
            "instances_wanted": self.instances_wanted,
            "instances_skipped": self.instances_skipped,
            "retrieved": self.retrieved,
            "failed": self.failed,
            "outcomes": dict(self.outcomes),
            "errors": list(self.errors),
        }


def stored_instances(engine: Engine, uids: list[str]) -> set[str]:
    """Which of these SOP Instance UIDs are already dose objects."""
    if not uids:
        return set()
    with engine.connect() as conn:
        rows = conn.execute(
            select(dose_objects.c.sop_instance_uid).where(dose_objects.c.sop_instance_uid.in_(uids))
        ).all()
    return {r[0] for r in rows}


def pulled_series(engine: Engine, node_id: int) -> set[str]:
    """Series this node's pulls have finished."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(pull_progress.c.series_instance_uid).where(
                pull_progress.c.node_id == node_id, pull_progress.c.status == "done"
            )
        ).all()
    return {r[0] for r in rows}


def record_series(
    engine: Engine,
    node_id: int,
    study_uid: str,
    series_uid: str,
    status: str,
    instances: int,
    detail: str | None,
) -> None:
    """Insert or update the progress row of one series."""
    values = {"status": status, "instances": instances, "detail": detail, "updated_at": utcnow()}
    with engine.begin() as conn:
        found = conn.execute(
            select(pull_progress.c.id).where(
                pull_progress.c.node_id == node_id, pull_progress.c.series_instance_uid == series_uid
            )
        ).first()
        if found:
            conn.execute(update(pull_progress).where(pull_progress.c.id == found[0]).values(**values))
        else:
            conn.execute(
                pull_progress.insert().values(
                    node_id=node_id, study_instance_uid=study_uid, series_instance_uid=series_uid, **values
                )
            )


class _GetSink:
    """Stores objects delivered by C-GET and counts what happened to them."""

    def __init__(self, receiver: Receiver, label: str, summary: PullSummary) -> None:
        self.receiver = receiver
        self.label = label
        self.summary = summary
        self.retryable = 0  # answered "out of resources": the object must be fetched again
        self.refused = 0  # quarantined with a reason: fetching it again changes nothing
        self._lock = threading.Lock()

    def __call__(self, path: Path, sop_class: str | None, sop_uid: str | None) -> int:
        received = self.receiver.receive_file(path, None, sop_class, sop_uid, label=self.label)
        with self._lock:
            self.summary.outcomes[received.outcome] = self.summary.outcomes.get(received.outcome, 0) + 1
            if received.status == Status.OUT_OF_RESOURCES:
                self.retryable += 1
            elif received.status != Status.SUCCESS:
                self.refused += 1
        return int(received.status)


def pull(
    engine: Engine,
    settings: Settings,
    node: PacsNode,
    date_from: date,
    date_to: date,
    modalities: tuple[str, ...] = (),
    *,
    aet: str = "KERMA",
    method: str | None = None,
    hooks: list[PostStoreHook] | None = None,
    progress: Progress | None = None,
    write_lock: WriteLock | None = None,
    window_days: int = 1,
) -> PullSummary:
    """Pull the dose objects of studies dated [date_from, date_to] from ``node``.

    With method "get" the objects come back over the query association and are stored here; with
    "move" the PACS sends them to the AE title ``node.move_destination`` (or ``aet``), which must be a
    running Kerma listener the PACS knows.
    """
    if node.id is None:
        raise ValueError("the PACS node must be stored first (kerma pacs add)")
    how = method or node.retrieve_method
    if how not in ("get", "move"):
        raise ValueError(f"retrieve method {how!r}: use get or move")
    modalities = tuple(m.upper() for m in modalities)
    summary = PullSummary(node.name, date_from.isoformat(), date_to.isoformat(), how)
    receiver = Receiver(
        engine, settings, hooks=hooks, channel=f"pacs:{node.name}", scheme="pacs", write_lock=write_lock
    )
    sink = _GetSink(receiver, node.name, summary)
    destination = node.move_destination or aet

    with PacsClient(node, aet, on_store=sink if how == "get" else None) as client:
        found: dict[str, StudyHit] = {}
        for start, end in day_windows(date_from, date_to, window_days):
            for hit in client.find_studies(start, end):
                found.setdefault(hit.study_instance_uid, hit)
        summary.studies_found = len(found)
        studies = [s for s in found.values() if wanted_study(s, modalities)]
        summary.studies_wanted = len(studies)
        done = pulled_series(engine, node.id)
        for index, study in enumerate(studies):
            try:
                _pull_study(engine, client, node.id, study, modalities, done, summary, sink, how, destination)
            except PacsError as exc:
                summary.errors.append(f"{study.study_instance_uid}: {exc}")
                log.error("pull of study %s failed: %s", study.study_instance_uid, exc)
                client.close()
                client.open()  # raises when the PACS is gone: the pull stops, progress so far is kept
            if progress:
                progress(index + 1, len(studies))
    if not summary.errors and summary.failed == 0:
        set_last_pulled(engine, node.name, date_to)
    return summary


def _pull_study(
    engine: Engine,
    client: PacsClient,
    node_id: int,
    study: StudyHit,
    modalities: tuple[str, ...],
    done: set[str],
    summary: PullSummary,
    sink: _GetSink,
    how: str,
    destination: str,
) -> None:
    study_uid = study.study_instance_uid
    series = client.find_series(study_uid)
    cache: dict[str, list[InstanceHit]] = {}

    def instances(s: SeriesHit) -> list[InstanceHit]:
        if s.series_instance_uid not in cache:
            cache[s.series_instance_uid] = client.find_instances(study_uid, s.series_instance_uid)
        return cache[s.series_instance_uid]

    for target in plan_study(series, instances, modalities):
        summary.series_planned += 1
        if target.series_instance_uid in done:
            summary.series_skipped += 1
            continue
        summary.instances_wanted += len(target.sop_instance_uids)
        have = stored_instances(engine, target.sop_instance_uids)
        todo = [u for u in target.sop_instance_uids if u not in have]
        summary.instances_skipped += len(target.sop_instance_uids) - len(todo)
        failed = 0
        retryable, refused = sink.retryable, sink.refused
        for uid in todo:
            if how == "get":
                result = client.get(study_uid, target.series_instance_uid, uid)
            else:
                result = client.move(study_uid, target.series_instance_uid, uid, destination)
                summary.outcomes["moved"] = summary.outcomes.get("moved", 0) + result.completed
            summary.retrieved += result.completed
            failed += result.failed
        # Objects Kerma refused (quarantined with a reason) are final; transfer and storage failures retry.
        refused = sink.refused - refused
        retry = max(0, failed - refused) if how == "get" else failed
        retry = max(retry, sink.retryable - retryable)
        summary.failed += retry
        status = "failed" if retry else "done"
        detail = f"{failed} failed sub-operations ({refused} refused by Kerma)" if failed else None
        record_series(engine, node_id, study_uid, target.series_instance_uid, status, len(todo), detail)
        if status == "done":
            done.add(target.series_instance_uid)
