"""The nightly pull of `kerma serve --pull-nightly NAME[@HH:MM]`: one thread, one pull per node a day."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

log = logging.getLogger("kerma.net.schedule")

DEFAULT_TIME = time(2, 0)


@dataclass(slots=True, frozen=True)
class NightlyPull:
    """Pull from PACS node ``node`` every day at ``at`` (local time)."""

    node: str
    at: time = DEFAULT_TIME


def parse_nightly(spec: str) -> NightlyPull:
    """'PACS' or 'PACS@23:30' -> NightlyPull; ValueError with the reason otherwise."""
    m = re.fullmatch(r"([A-Za-z0-9_.-]{1,64})(?:@(\d{1,2}):(\d{2}))?", spec.strip())
    if not m:
        raise ValueError(f"{spec!r}: use NAME or NAME@HH:MM")
    if m.group(2) is None:
        return NightlyPull(m.group(1))
    hh, mm = int(m.group(2)), int(m.group(3))
    if hh > 23 or mm > 59:
        raise ValueError(f"{spec!r}: {hh:02d}:{mm:02d} is not a time of day")
    return NightlyPull(m.group(1), time(hh, mm))


def next_run(now: datetime, at: time) -> datetime:
    """The first moment at ``at`` strictly after ``now``."""
    candidate = datetime.combine(now.date(), at)
    return candidate if candidate > now else candidate + timedelta(days=1)


def pull_window(last_pulled_to: date | None, today: date) -> tuple[date, date]:
    """Dates the nightly pull covers: from the end of the last complete pull (or yesterday) to today.

    Today is included because a study of the day may already be in the PACS; the next night asks again
    and the pull's resumability skips what is stored.
    """
    start = last_pulled_to if last_pulled_to is not None else today - timedelta(days=1)
    return min(start, today), today


class NightlyScheduler:
    """Runs ``job(node_name)`` for each configured pull at its time of day until stopped."""

    def __init__(
        self,
        pulls: Sequence[NightlyPull],
        job: Callable[[str], None],
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.pulls = list(pulls)
        self.job = job
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the scheduler thread (nothing to do without configured pulls)."""
        if not self.pulls:
            return
        self._thread = threading.Thread(target=self._run, name="kerma-nightly-pull", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop waiting; a pull in progress finishes its current study (its progress is kept)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def _run(self) -> None:
        due = {p: next_run(self.clock(), p.at) for p in self.pulls}
        while not self._stop.is_set():
            pull, when = min(due.items(), key=lambda kv: kv[1])
            wait = (when - self.clock()).total_seconds()
            if wait > 0 and self._stop.wait(min(wait, 60.0)):
                return
            if self.clock() < when:
                continue
            try:
                log.info("nightly pull from %s", pull.node)
                self.job(pull.node)
            except Exception:  # keep the schedule alive: tonight's failure is retried tomorrow
                log.exception("nightly pull from %s failed", pull.node)
            due[pull] = next_run(self.clock(), pull.at)
