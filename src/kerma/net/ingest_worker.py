"""What an ingest worker process runs: its own store connection and receiver, set up once at start."""

from __future__ import annotations

from pathlib import Path

from kerma.config import Settings
from kerma.ingest.hooks import default_hooks
from kerma.net.config import SenderDirectory
from kerma.net.receive import Received, Receiver, WriteLock
from kerma.store.db import make_engine

_receiver: Receiver | None = None


def init_worker(
    db_url: str,
    settings: Settings,
    channel: str,
    dose_screen_dir: Path | None,
    restrict_senders: bool,
    write_lock: WriteLock,
) -> None:
    """Connect to the (already migrated) store and build the receiver this worker uses.

    ``write_lock`` (a multiprocessing lock shared with the listener) queues the write transactions: a
    waiter is woken as soon as the lock is free, where SQLite's own busy handler would sleep and poll.
    """
    global _receiver
    # Write transactions take SQLite's write lock at BEGIN: workers in several processes then queue
    # for it instead of failing when one's snapshot went stale under another's commit.
    engine = make_engine(db_url, immediate_writes=True)
    _receiver = Receiver(
        engine,
        settings,
        senders=SenderDirectory(engine, restrict=restrict_senders),
        hooks=default_hooks(),
        channel=channel,
        dose_screen_dir=dose_screen_dir,
        write_lock=write_lock,
    )


def receive_in_worker(
    path: Path,
    calling_ae: str | None,
    sop_class_uid: str | None,
    sop_instance_uid: str | None,
    label: str | None = None,
) -> Received:
    """Read, parse and store one received object, committed before returning (see Receiver)."""
    if _receiver is None:
        raise RuntimeError("ingest worker used before init_worker")
    return _receiver.receive_file(path, calling_ae, sop_class_uid, sop_instance_uid, label=label)


__all__ = ["init_worker", "receive_in_worker"]
