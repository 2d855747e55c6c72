"""Rules compiled once per process: filters as sets and compiled patterns, grouped by what they need.

The engine keeps one :class:`RuleSet` per database and reloads it only when the rules table changes
(checked at most every few seconds, and at once after a change made in this process).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from kerma.alerts import rulestore
from kerma.alerts.quantities import BY_SCOPE, STUDY_AGGREGATES, QuantityInfo, Scope
from kerma.alerts.rules import Kind, Rule
from kerma.store.schema.alerts import alert_rules

CHECK_SECONDS = 2.0


@dataclass(slots=True)
class StudyContext:
    """What the engine knows about one study while evaluating it."""

    id: int
    uid: str
    datetime: datetime | None
    modality: str | None
    device_id: int | None
    room: str | None
    station_name: str | None
    institution: str | None
    patient_id: int | None
    age_years: float | None
    sex: str | None
    weight_kg: float | None
    is_phantom: bool
    description: str | None
    exam_code: str | None
    values: dict[str, float | None] = field(default_factory=dict)
    events: list[Mapping[str, Any]] | None = None
    shared: dict[str, Any] = field(default_factory=dict)
    """Rows several rules read (the patient's window, the room's series), fetched once per study."""


@dataclass(slots=True)
class CompiledRule:
    """A rule with its filters ready to apply."""

    rule: Rule
    info: QuantityInfo | None
    modalities: frozenset[str]
    room_ids: frozenset[int]
    room_names: frozenset[str]
    exam_codes: frozenset[str]
    exam_prefixes: tuple[str, ...]
    protocol_re: re.Pattern[str] | None
    region_re: re.Pattern[str] | None
    needs_events: bool

    @property
    def id(self) -> int:
        """The rule's id."""
        assert self.rule.id is not None
        return self.rule.id

    def exam_code_ok(self, code: str | None) -> bool:
        """True when the exam-code filter lets ``code`` through."""
        if not self.exam_codes and not self.exam_prefixes:
            return True
        if code is None:
            return False
        return code in self.exam_codes or code.startswith(self.exam_prefixes)

    def study_ok(self, ctx: StudyContext) -> bool:
        """Study-level filters: phantoms, modality, room, exam code, age and weight bands."""
        f = self.rule.filters
        if ctx.is_phantom and not f.include_phantoms:
            return False
        # Event rules check the event's own modality (a study may mix them).
        if (
            self.modalities
            and self.rule.scope is not Scope.EVENT
            and (ctx.modality or "") not in self.modalities
        ):
            return False
        if (self.room_ids or self.room_names) and not (
            ctx.device_id in self.room_ids
            or (ctx.room or "").lower() in self.room_names
            or (ctx.station_name or "").lower() in self.room_names
        ):
            return False
        if not self.exam_code_ok(ctx.exam_code):
            return False
        if not _in_band(ctx.age_years, f.age_min, f.age_max):
            return False
        if not _in_band(ctx.weight_kg, f.weight_min, f.weight_max):
            return False
        return not (
            self.protocol_re is not None
            and self.rule.scope is not Scope.EVENT
            and not self.protocol_re.search(ctx.description or "")
        )

    def event_ok(self, ev: Mapping[str, Any], ctx: StudyContext) -> bool:
        """Event-level filters: modality, protocol and target region."""
        if self.modalities and (ev.get("modality") or ctx.modality or "") not in self.modalities:
            return False
        if self.protocol_re is not None and not self.protocol_re.search(ev.get("protocol") or ""):
            return False
        return not (self.region_re is not None and not self.region_re.search(ev.get("target_region") or ""))


def _in_band(value: float | None, lo: float | None, hi: float | None) -> bool:
    if lo is None and hi is None:
        return True
    if value is None:
        return False
    return (lo is None or value >= lo) and (hi is None or value < hi)


def compile_rule(rule: Rule) -> CompiledRule:
    """Prepare one rule for evaluation."""
    f = rule.filters
    ids = frozenset(int(r) for r in f.rooms if r.isdigit())
    names = frozenset(r.lower() for r in f.rooms if not r.isdigit())
    codes = frozenset(c for c in f.exam_codes if not c.endswith("*"))
    prefixes = tuple(c[:-1] for c in f.exam_codes if c.endswith("*"))
    info = BY_SCOPE[rule.scope].get(rule.quantity) if rule.quantity else None
    needs_events = (
        rule.scope is Scope.EVENT
        or rule.kind is Kind.DE_SINGLE_PERSON
        or (rule.scope is Scope.STUDY and rule.quantity in STUDY_AGGREGATES)
    )
    return CompiledRule(
        rule=rule,
        info=info,
        modalities=frozenset(f.modalities),
        room_ids=ids,
        room_names=names,
        exam_codes=codes,
        exam_prefixes=prefixes,
        protocol_re=re.compile(f.protocol) if f.protocol else None,
        region_re=re.compile(f.target_region) if f.target_region else None,
        needs_events=needs_events,
    )


@dataclass(slots=True)
class RuleSet:
    """The enabled rules of one database, compiled."""

    rules: list[CompiledRule]
    fingerprint: tuple[Any, ...] = ()
    checked_at: float = 0.0

    @property
    def empty(self) -> bool:
        """True when there is nothing to evaluate."""
        return not self.rules

    @property
    def patient_rules(self) -> list[CompiledRule]:
        """Rules that read the patient's window."""
        return [r for r in self.rules if r.rule.scope is Scope.PATIENT]

    @property
    def series_rules(self) -> list[CompiledRule]:
        """Rules that read the room's series of exams (device scope, group criterion)."""
        return [r for r in self.rules if r.rule.scope is Scope.DEVICE]


_lock = threading.Lock()
_cache: dict[str, RuleSet] = {}


def invalidate() -> None:
    """Drop every compiled rule set (rules changed)."""
    with _lock:
        _cache.clear()


rulestore.on_change(invalidate)


def _fingerprint(conn: Connection) -> tuple[Any, ...]:
    row = conn.execute(
        select(func.count(), func.max(alert_rules.c.updated_at), func.max(alert_rules.c.id))
    ).one()
    return tuple(row)


def current_rules(conn: Connection) -> RuleSet:
    """The enabled rules for the database behind ``conn``, compiled and cached."""
    key = str(conn.engine.url)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and now - cached.checked_at < CHECK_SECONDS:
        return cached
    fp = _fingerprint(conn)
    if cached is not None and cached.fingerprint == fp:
        cached.checked_at = now
        return cached
    compiled = [compile_rule(r) for r in rulestore.list_rules(conn, enabled_only=True)]
    ruleset = RuleSet(compiled, fp, now)
    with _lock:
        _cache[key] = ruleset
    return ruleset
