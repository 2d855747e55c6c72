"""Small results pages need often but that change rarely (rooms, modalities, the overview's DRL summary),
cached per engine: on a million studies the distinct modalities alone cost a full index scan."""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from threading import Lock
from typing import Any, TypeVar

from sqlalchemy import Engine

from kerma.web.data.studies import modalities, rooms

T = TypeVar("T")
TTL_S = 60.0
# keyed by the engine itself (weakly): an id() could be reused by a later engine of another database
_cache: weakref.WeakKeyDictionary[Engine, dict[str, tuple[float, Any]]] = weakref.WeakKeyDictionary()
# The overview's "exams above their DRL" runs the DRL compliance over every exam: on a large store that
# takes seconds, and a summary a few minutes old is as useful, so it is kept this long.
OVERVIEW_DRL_TTL_S = 600.0
_lock = Lock()


def cached(engine: Engine, name: str, fn: Callable[[Engine], T], ttl_s: float = TTL_S) -> T:
    """``fn(engine)``, remembered for ``ttl_s`` seconds per engine and name."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(engine, {}).get(name)
        if hit and now - hit[0] < ttl_s:
            return hit[1]  # type: ignore[no-any-return]
    value = fn(engine)
    with _lock:
        _cache.setdefault(engine, {})[name] = (now, value)
    return value


def cached_rooms(engine: Engine) -> list[dict[str, Any]]:
    """Rooms (not merged), by name."""
    return cached(engine, "rooms", rooms)


def cached_modalities(engine: Engine) -> list[str]:
    """Modalities present in the store."""
    return cached(engine, "modalities", modalities)


def forget(engine: Engine) -> None:
    """Drop the cached lists of an engine (after a merge or rename)."""
    with _lock:
        _cache.pop(engine, None)
