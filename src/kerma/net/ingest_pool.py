"""Receive in worker processes, so several associations use several CPU cores.

Reading, parsing and storing a dose report is Python work that holds the interpreter lock; with every
association in a thread of the listener process, a large fluoroscopy RDSR stalls all other senders and
the threads that poll the network slow every store down. A worker process receives the object's
temporary file name and does the whole of it, commit included, in its own interpreter and with its own
database connection; the listener thread waits for the answer (the status for the sender), so the rule
"answer only after the commit" is unchanged. SQLite serialises the workers' write transactions (they
begin IMMEDIATE, see kerma.store.db); PostgreSQL runs them side by side.

Workers are started with 'spawn' (forking a process that runs network threads is unsafe). A pool that
breaks (a worker killed) is replaced, and the object is received in the listener meanwhile: a sender never
gets a failure because of the pool. After ``MAX_RESTARTS`` breaks the pool is given up.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger("kerma.net")

MAX_RESTARTS = 3

P = ParamSpec("P")
R = TypeVar("R")


def default_workers() -> int:
    """Worker processes for `kerma serve`: one per CPU core, at most 8."""
    return max(1, min(8, os.cpu_count() or 1))


def _ready() -> bool:
    # long enough that each worker takes one of the start-up calls: all of them are then initialised
    time.sleep(0.3)
    return True


class IngestPool:
    """A process pool whose workers are set up by ``initializer``; ``workers=0`` means no pool."""

    def __init__(
        self,
        workers: int,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        self.workers = max(0, workers)
        self._initializer = initializer
        self._initargs = initargs
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._closed = self.workers == 0
        self._restarts = 0

    def start(self, timeout_s: float = 120.0) -> bool:
        """Start the workers and wait until they are set up (imports, store connection), so the first
        sender does not wait for them; False (and no pool: the caller does the work) if they fail."""
        pool = self._get()
        if pool is None:
            return False
        try:
            for future in [pool.submit(_ready) for _ in range(self.workers)]:
                future.result(timeout=timeout_s)
        except Exception as exc:  # a worker that cannot start (import error, store unreachable)
            log.error(
                "ingest workers did not start (%s: %s); receiving in the listener", type(exc).__name__, exc
            )
            self.close()
            return False
        return True

    def _get(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self._closed:
                return None
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=self._initializer,
                    initargs=self._initargs,
                )
            return self._pool

    def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R | None:
        """``fn(*args)`` in a worker; None when there is no pool or it broke (the caller does it itself)."""
        pool = self._get()
        if pool is None:
            return None
        try:
            return pool.submit(fn, *args, **kwargs).result()
        except BrokenProcessPool:
            log.error("an ingest worker died; restarting the pool, this object is received in the listener")
            with self._lock:
                if self._pool is pool:
                    self._pool = None
                    self._restarts += 1
                    if self._restarts >= MAX_RESTARTS:
                        log.error("ingest workers keep dying: receiving in the listener from now on")
                        self._closed = True
            pool.shutdown(wait=False, cancel_futures=True)
            return None

    def close(self) -> None:
        """Stop the workers (after the objects they are working on)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


__all__ = ["MAX_RESTARTS", "IngestPool", "default_workers"]
