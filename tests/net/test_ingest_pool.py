"""The ingest worker pool: results from worker processes, and the listener taking over when one dies."""

from __future__ import annotations

import os

import pytest

from kerma.net.ingest_pool import MAX_RESTARTS, IngestPool

_state: dict[str, str] = {}


def _init(value: str) -> None:
    _state["value"] = value


def _work(x: int) -> tuple[int, str, int]:
    return x * 2, _state["value"], os.getpid()


def _die() -> None:
    os._exit(3)


def test_no_pool_means_the_caller_does_it() -> None:
    assert IngestPool(0).call(_work, 1) is None


@pytest.mark.slow
def test_workers_are_initialised_and_answer() -> None:
    pool = IngestPool(1, _init, ("ready",))
    assert pool.start()
    try:
        doubled, value, pid = pool.call(_work, 21) or (0, "", 0)
        assert (doubled, value) == (42, "ready") and pid != os.getpid()
    finally:
        pool.close()
    assert pool.call(_work, 1) is None  # closed


@pytest.mark.slow
def test_a_dead_worker_hands_the_object_back_and_the_pool_is_replaced() -> None:
    pool = IngestPool(1, _init, ("ready",))
    try:
        assert pool.call(_die) is None
        assert pool.call(_work, 2) is not None  # a new pool
        for _ in range(MAX_RESTARTS - 1):
            assert pool.call(_die) is None
        assert pool.call(_work, 2) is None  # given up: the listener receives everything itself
    finally:
        pool.close()


def _broken_init(_value: str) -> None:
    raise RuntimeError("the store is unreachable")


@pytest.mark.slow
def test_workers_that_cannot_start_leave_the_work_to_the_listener() -> None:
    pool = IngestPool(1, _broken_init, ("x",))
    assert pool.start(timeout_s=60) is False
    assert pool.call(_work, 1) is None
