"""Mapping rules: data rows (exact, normalised or regex match on a field; global or per device) compiled
once per rules version and per process, then applied to studies.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from kerma.nomenclature.text import name_key
from kerma.store.schema.nomenclature import mapping_rule_versions, mapping_rules

MATCHES = ("exact", "normalised", "regex")
FIELDS = ("any", "study_description", "requested_procedure", "performed_procedure", "protocol", "body_part")
_TEXT_FIELDS = ("study_description", "requested_procedure", "performed_procedure", "protocol")
_MATCH_RANK = {"exact": 0, "normalised": 1, "regex": 2}


@dataclass(frozen=True, slots=True)
class StudyText:
    """What a study says about itself: the inputs of mapping."""

    modality: str | None
    device_id: int | None = None
    study_description: str | None = None
    requested_procedure: str | None = None
    performed_procedure: str | None = None
    protocols: tuple[str, ...] = ()
    body_parts: tuple[str, ...] = ()

    def values(self, name: str) -> tuple[str, ...]:
        """Values of one field ('protocol' and 'body_part' may have several; 'any' is every text field)."""
        if name == "any":
            return tuple(v for f in _TEXT_FIELDS for v in self.values(f))
        if name == "protocol":
            return self.protocols
        if name == "body_part":
            return self.body_parts
        value = getattr(self, name)
        return (value,) if value else ()

    def texts(self) -> tuple[str, ...]:
        """Every text, for suggestions."""
        return (*self.values("any"), *self.body_parts)

    def local_name(self) -> tuple[str, str] | None:
        """(field, value) naming the exam locally: description, else requested, performed, protocol."""
        for f in _TEXT_FIELDS:
            vals = self.values(f)
            if vals and vals[0].strip():
                return f, vals[0]
        return None


@dataclass(frozen=True, slots=True)
class Rule:
    """One mapping rule (a row of ``mapping_rules``)."""

    id: int
    match: str
    field: str
    pattern: str
    exam_code: str
    modality: str | None = None
    device_id: int | None = None
    priority: int = 100
    source: str = "user"
    _regex: re.Pattern[str] | None = None
    _key: str = ""

    @classmethod
    def build(cls, **kw: object) -> Rule:
        """A rule with its pattern compiled; a bad regex raises ValueError naming it."""
        rule = cls(**kw)  # type: ignore[arg-type]
        if rule.match not in MATCHES:
            raise ValueError(f"match must be one of {', '.join(MATCHES)}, not {rule.match!r}")
        if rule.field not in FIELDS:
            raise ValueError(f"field must be one of {', '.join(FIELDS)}, not {rule.field!r}")
        regex = None
        if rule.match == "regex":
            try:
                regex = re.compile(rule.pattern, re.IGNORECASE)
            except re.error as exc:
                raise ValueError(f"bad regular expression {rule.pattern!r}: {exc}") from None
        object.__setattr__(rule, "_regex", regex)
        object.__setattr__(rule, "_key", name_key(rule.pattern) if rule.match == "normalised" else "")
        return rule

    def matches(self, study: StudyText) -> bool:
        """True when this rule maps ``study``."""
        if self.modality and (study.modality or "").upper() != self.modality.upper():
            return False
        if self.device_id is not None and study.device_id != self.device_id:
            return False
        for value in study.values(self.field):
            if self.match == "exact" and value.strip() == self.pattern.strip():
                return True
            if self.match == "normalised" and name_key(value) == self._key:
                return True
            if self._regex is not None and self._regex.search(value):
                return True
        return False


@dataclass(slots=True)
class RuleSet:
    """Active rules in the order they are tried: device rules, then by priority, exact before regex."""

    version: int
    rules: list[Rule] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rules.sort(key=lambda r: (r.device_id is None, r.priority, _MATCH_RANK[r.match], r.id))

    def first_match(self, study: StudyText) -> Rule | None:
        """The rule that maps ``study``, or None."""
        for rule in self.rules:
            if rule.matches(study):
                return rule
        return None


def current_version(conn: Connection) -> int:
    """The rules version in force (0 when no rule was ever written)."""
    return int(conn.execute(select(func.coalesce(func.max(mapping_rule_versions.c.version), 0))).scalar_one())


def rule_from_row(row: Mapping[str, Any]) -> Rule:
    """A Rule from a ``mapping_rules`` row."""
    return Rule.build(
        id=row["id"],
        match=row["match"],
        field=row["field"],
        pattern=row["pattern"],
        exam_code=row["exam_code"],
        modality=row["modality"],
        device_id=row["device_id"],
        priority=row["priority"],
        source=row["source"],
    )


def load_rules(conn: Connection) -> list[Rule]:
    """The active (not retired) rules."""
    rows = conn.execute(select(mapping_rules).where(mapping_rules.c.retired_version.is_(None))).mappings()
    return [rule_from_row(dict(r)) for r in rows]


_CACHE: dict[str, RuleSet] = {}
_LOCK = threading.Lock()


def active_rules(conn: Connection) -> RuleSet:
    """Compiled active rules, cached per database and rules version (one cheap query per call)."""
    version = current_version(conn)
    key = conn.engine.url.render_as_string(hide_password=True)
    cached = _CACHE.get(key)
    if cached is not None and cached.version == version:
        return cached
    rules = RuleSet(version, load_rules(conn))
    with _LOCK:
        _CACHE[key] = rules
    return rules


def compile_rules(rows: Iterable[Mapping[str, Any]], version: int = 0) -> RuleSet:
    """A RuleSet from rule rows (tests, previews)."""
    return RuleSet(version, [rule_from_row(r) for r in rows])


def clear_cache() -> None:
    """Forget compiled rules (tests)."""
    with _LOCK:
        _CACHE.clear()


__all__: Sequence[str] = (
    "FIELDS",
    "MATCHES",
    "Rule",
    "RuleSet",
    "StudyText",
    "active_rules",
    "clear_cache",
    "compile_rules",
    "current_version",
    "load_rules",
)
