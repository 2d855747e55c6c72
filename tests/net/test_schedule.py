"""The nightly pull schedule."""

from __future__ import annotations

import threading
from datetime import date, datetime, time

import pytest

from kerma.net.schedule import NightlyPull, NightlyScheduler, next_run, parse_nightly, pull_window


def test_parse_nightly() -> None:
    assert parse_nightly("PACS") == NightlyPull("PACS", time(2, 0))
    assert parse_nightly("main-pacs@23:05") == NightlyPull("main-pacs", time(23, 5))
    for bad in ("", "a b", "PACS@25:00", "PACS@1:60", "PACS@noon"):
        with pytest.raises(ValueError):
            parse_nightly(bad)


def test_next_run() -> None:
    assert next_run(datetime(2025, 3, 4, 1, 0), time(2, 0)) == datetime(2025, 3, 4, 2, 0)
    assert next_run(datetime(2025, 3, 4, 2, 0), time(2, 0)) == datetime(2025, 3, 5, 2, 0)
    assert next_run(datetime(2025, 12, 31, 23, 59), time(0, 0)) == datetime(2026, 1, 1, 0, 0)


def test_pull_window() -> None:
    assert pull_window(None, date(2025, 3, 4)) == (date(2025, 3, 3), date(2025, 3, 4))
    assert pull_window(date(2025, 2, 27), date(2025, 3, 4)) == (date(2025, 2, 27), date(2025, 3, 4))


def test_scheduler_runs_the_job_when_due_and_stops() -> None:
    times = iter([datetime(2025, 3, 4, 1, 59, 59)])  # when the schedule is made; later: just past 02:00
    ran = threading.Event()
    calls: list[str] = []

    def job(name: str) -> None:
        calls.append(name)
        ran.set()

    def clock() -> datetime:
        return next(times, datetime(2025, 3, 4, 2, 0, 1))

    sched = NightlyScheduler([NightlyPull("PACS", time(2, 0))], job, clock=clock)
    sched.start()
    assert ran.wait(5)
    sched.stop()
    assert calls == ["PACS"]
