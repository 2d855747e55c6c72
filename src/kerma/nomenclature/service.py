"""Mapping over the store: write rules (each change a new rules version), apply them to every study
(history included), list unmapped local names with suggestions, and accept suggestions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from kerma.analytics.values import refresh as refresh_values
from kerma.nomenclature.codes import ExamCode, catalogue
from kerma.nomenclature.rules import Rule, RuleSet, StudyText, active_rules, current_version
from kerma.nomenclature.suggest import DEFAULT_AUTO_CONFIDENCE, Suggestion, rank
from kerma.nomenclature.text import name_key
from kerma.store.schema.core import events, studies
from kerma.store.schema.nomenclature import mapping_rule_versions, mapping_rules, study_exam_codes
from kerma.store.writer import utcnow

CHUNK = 2000


# -- rules ---------------------------------------------------------------------------------------


def new_version(conn: Connection, actor: str, note: str | None = None) -> int:
    """Open a new rules version (every rule change belongs to one)."""
    version = current_version(conn) + 1
    conn.execute(
        insert(mapping_rule_versions).values(
            version=version, created_at=utcnow(), created_by=actor, note=note
        )
    )
    return version


def add_rule(
    conn: Connection,
    *,
    pattern: str,
    exam_code: str,
    match: str = "normalised",
    field_name: str = "study_description",
    modality: str | None = None,
    device_id: int | None = None,
    priority: int = 100,
    source: str = "user",
    actor: str = "cli",
    confidence: float | None = None,
    note: str | None = None,
    version: int | None = None,
) -> int:
    """Add a rule (in a new rules version unless ``version`` is given); returns its id.

    The exam code must be in the catalogue and the pattern must compile: ValueError otherwise.
    """
    codes = catalogue(conn)
    if exam_code not in codes:
        raise ValueError(f"unknown exam code {exam_code!r}")
    if modality and not codes[exam_code].fits(modality):
        raise ValueError(f"exam code {exam_code} is not for modality {modality}")
    Rule.build(id=0, match=match, field=field_name, pattern=pattern, exam_code=exam_code)  # validates
    v = version if version is not None else new_version(conn, actor, f"add rule {pattern!r} -> {exam_code}")
    return int(
        conn.execute(
            insert(mapping_rules).values(
                match=match,
                field=field_name,
                pattern=pattern,
                modality=modality.upper() if modality else None,
                device_id=device_id,
                exam_code=exam_code,
                priority=priority,
                source=source,
                confidence=confidence,
                created_version=v,
                created_by=actor,
                created_at=utcnow(),
                note=note,
            )
        ).inserted_primary_key[0]
    )


def retire_rule(conn: Connection, rule_id: int, actor: str = "cli") -> None:
    """Retire a rule in a new rules version (it stays in the table for the record)."""
    row = conn.execute(select(mapping_rules.c.retired_version).where(mapping_rules.c.id == rule_id)).first()
    if row is None:
        raise ValueError(f"no rule {rule_id}")
    if row[0] is not None:
        return
    v = new_version(conn, actor, f"retire rule {rule_id}")
    conn.execute(update(mapping_rules).where(mapping_rules.c.id == rule_id).values(retired_version=v))


def list_rules(conn: Connection, include_retired: bool = False) -> list[dict[str, Any]]:
    """Rules as dicts, oldest first."""
    stmt = select(mapping_rules).order_by(mapping_rules.c.id)
    if not include_retired:
        stmt = stmt.where(mapping_rules.c.retired_version.is_(None))
    return [dict(r) for r in conn.execute(stmt).mappings()]


# -- studies -------------------------------------------------------------------------------------


def study_texts(conn: Connection, ids: Sequence[int]) -> dict[int, StudyText]:
    """Mapping inputs of the given studies (with their counted events' protocols and body parts)."""
    if not ids:
        return {}
    protocols: dict[int, set[str]] = defaultdict(set)
    parts: dict[int, set[str]] = defaultdict(set)
    ev = select(events.c.study_id, events.c.protocol, events.c.body_part, events.c.target_region).where(
        events.c.study_id.in_(ids), events.c.counted.is_(True)
    )
    for sid, protocol, body_part, region in conn.execute(ev.distinct()):
        if protocol:
            protocols[sid].add(protocol)
        for p in (body_part, region):
            if p:
                parts[sid].add(p)
    st = select(
        studies.c.id,
        studies.c.modality,
        studies.c.device_id,
        studies.c.study_description,
        studies.c.requested_procedure,
        studies.c.performed_procedure,
    ).where(studies.c.id.in_(ids))
    return {
        r.id: StudyText(
            r.modality,
            r.device_id,
            r.study_description,
            r.requested_procedure,
            r.performed_procedure,
            tuple(sorted(protocols[r.id])),
            tuple(sorted(parts[r.id])),
        )
        for r in conn.execute(st)
    }


def _set_mapping(
    conn: Connection, study_id: int, rule: Rule | None, version: int, codes: dict[str, ExamCode], current: Any
) -> str:
    """Write one study's mapping; returns 'mapped', 'changed', 'removed' or 'same'."""
    if rule is None:
        if current is not None and current.mapped_by == "rule":
            conn.execute(delete(study_exam_codes).where(study_exam_codes.c.study_id == study_id))
            return "removed"
        return "same"
    if current is not None and current.exam_code == rule.exam_code and current.rule_id == rule.id:
        return "same"
    code = codes.get(rule.exam_code)
    values = {
        "exam_code": rule.exam_code,
        "exam_name": code.name if code else None,
        "rule_id": rule.id,
        "rule_version": version,
        "confidence": 1.0,
        "mapped_by": "rule",
        "mapped_at": utcnow(),
    }
    if current is None:
        conn.execute(insert(study_exam_codes).values(study_id=study_id, **values))
        return "mapped"
    conn.execute(update(study_exam_codes).where(study_exam_codes.c.study_id == study_id).values(**values))
    return "changed"


def map_studies(
    conn: Connection, ids: Sequence[int], rules: RuleSet | None = None
) -> tuple[dict[str, int], list[int]]:
    """Apply the active rules to the given studies; manual mappings are left alone.

    Returns the counts per outcome and the ids whose mapping changed. Their statistics rows are not
    rebuilt here: ingest rebuilds them after all hooks, :func:`apply_rules` after each chunk.
    """
    rules = rules or active_rules(conn)
    codes = catalogue(conn)
    texts = study_texts(conn, ids)
    current = {
        r.study_id: r
        for r in conn.execute(
            select(
                study_exam_codes.c.study_id,
                study_exam_codes.c.exam_code,
                study_exam_codes.c.rule_id,
                study_exam_codes.c.mapped_by,
            ).where(study_exam_codes.c.study_id.in_(ids))
        )
    }
    counts: dict[str, int] = defaultdict(int)
    memo: dict[StudyText, Rule | None] = {}
    touched: list[int] = []
    for sid, text in texts.items():
        cur = current.get(sid)
        if cur is not None and cur.mapped_by == "manual":
            counts["manual"] += 1
            continue
        if text not in memo:
            memo[text] = rules.first_match(text)
        what = _set_mapping(conn, sid, memo[text], rules.version, codes, cur)
        counts[what] += 1
        if what != "same":
            touched.append(sid)
    return dict(counts), touched


@dataclass(slots=True)
class ApplyReport:
    """What `kerma map apply` did."""

    rules_version: int = 0
    studies: int = 0
    mapped: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    unmapped: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "rules_version": self.rules_version,
            "studies": self.studies,
            "mapped": self.mapped,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "unmapped": self.unmapped,
            "accepted": self.accepted,
        }


def _id_chunks(engine: Engine) -> Iterator[list[int]]:
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(studies.c.id).order_by(studies.c.id))]
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def apply_rules(
    engine: Engine, auto: bool = False, min_confidence: float = DEFAULT_AUTO_CONFIDENCE, actor: str = "cli"
) -> ApplyReport:
    """Re-apply the rules to every study (rules are re-applied to history whenever they change).

    With ``auto``, suggestions at or above ``min_confidence`` for still unmapped names first become rules.
    """
    report = ApplyReport()
    if auto:
        report.accepted = accept_suggestions(engine, min_confidence, actor=actor)
    with engine.connect() as conn:
        rules = active_rules(conn)
    report.rules_version = rules.version
    for ids in _id_chunks(engine):
        with engine.begin() as conn:
            counts, changed = map_studies(conn, ids, rules)
            refresh_values(conn, changed)
        report.studies += len(ids)
        report.mapped += counts.get("mapped", 0)
        report.changed += counts.get("changed", 0)
        report.removed += counts.get("removed", 0)
        report.unchanged += counts.get("same", 0) + counts.get("manual", 0)
    with engine.connect() as conn:
        mapped = conn.execute(select(func.count()).select_from(study_exam_codes)).scalar_one()
    report.unmapped = report.studies - int(mapped)
    return report


def set_manual(conn: Connection, study_id: int, exam_code: str, actor: str = "cli") -> None:
    """Map one study by hand; rules no longer change it."""
    codes = catalogue(conn)
    if exam_code not in codes:
        raise ValueError(f"unknown exam code {exam_code!r}")
    cur = conn.execute(
        select(study_exam_codes.c.study_id).where(study_exam_codes.c.study_id == study_id)
    ).first()
    values = {
        "exam_code": exam_code,
        "exam_name": codes[exam_code].name,
        "rule_id": None,
        "rule_version": current_version(conn),
        "confidence": 1.0,
        "mapped_by": "manual",
        "mapped_at": utcnow(),
    }
    if cur is None:
        conn.execute(insert(study_exam_codes).values(study_id=study_id, **values))
    else:
        conn.execute(update(study_exam_codes).where(study_exam_codes.c.study_id == study_id).values(**values))
    refresh_values(conn, [study_id])


# -- unmapped names and suggestions --------------------------------------------------------------


@dataclass(slots=True)
class UnmappedName:
    """A local exam name (normalised) without a mapping, with how many studies carry it."""

    modality: str | None
    field: str
    name: str
    key: str
    studies: int
    suggestions: list[Suggestion]

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "modality": self.modality,
            "field": self.field,
            "name": self.name,
            "studies": self.studies,
            "suggestions": [
                {"exam_code": s.exam_code, "exam_name": s.exam_name, "confidence": s.confidence}
                for s in self.suggestions
            ],
        }


def unmapped_names(
    engine: Engine,
    modality: Sequence[str] = (),
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    top: int = 3,
) -> list[UnmappedName]:
    """Distinct local names of unmapped (non-phantom) studies, most frequent first, with suggestions."""
    stmt = (
        select(studies.c.id)
        .outerjoin(study_exam_codes, study_exam_codes.c.study_id == studies.c.id)
        .where(study_exam_codes.c.study_id.is_(None), studies.c.is_phantom.is_(False))
        .order_by(studies.c.id)
    )
    if modality:
        stmt = stmt.where(studies.c.modality.in_([m.upper() for m in modality]))
    if date_from is not None:
        stmt = stmt.where(studies.c.study_datetime >= date_from)
    if date_to is not None:
        stmt = stmt.where(studies.c.study_datetime < date_to)
    groups: dict[tuple[str | None, str, str], list[StudyText]] = defaultdict(list)
    names: dict[tuple[str | None, str, str], str] = {}
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(stmt)]
        codes = catalogue(conn)
        for i in range(0, len(ids), CHUNK):
            for text in study_texts(conn, ids[i : i + CHUNK]).values():
                local = text.local_name()
                if local is None:
                    continue
                key = (text.modality, local[0], name_key(local[1]))
                groups[key].append(text)
                names.setdefault(key, local[1])
    out = []
    for key, texts in groups.items():
        # the first study's full text (description, protocols, body part) stands for the name
        suggestions = rank(key[0], texts[0].texts(), codes, top=top)
        out.append(UnmappedName(key[0], key[1], names[key], key[2], len(texts), suggestions))
    out.sort(key=lambda u: (-u.studies, u.modality or "", u.key))
    return out


def accept_suggestions(
    engine: Engine, min_confidence: float = DEFAULT_AUTO_CONFIDENCE, actor: str = "cli"
) -> list[dict[str, Any]]:
    """Turn each unmapped name's best suggestion at or above ``min_confidence`` into a rule (one version)."""
    accepted: list[dict[str, Any]] = []
    candidates = [u for u in unmapped_names(engine, top=1) if u.suggestions]
    chosen = [u for u in candidates if u.suggestions[0].confidence >= min_confidence]
    if not chosen:
        return accepted
    with engine.begin() as conn:
        v = new_version(conn, actor, f"accepted {len(chosen)} suggestions at confidence >= {min_confidence}")
        for u in chosen:
            s = u.suggestions[0]
            rule_id = add_rule(
                conn,
                pattern=u.name,
                exam_code=s.exam_code,
                match="normalised",
                field_name=u.field,
                modality=u.modality,
                source="auto",
                actor=actor,
                confidence=s.confidence,
                version=v,
            )
            accepted.append(
                {
                    "rule_id": rule_id,
                    "name": u.name,
                    "modality": u.modality,
                    "exam_code": s.exam_code,
                    "confidence": s.confidence,
                    "studies": u.studies,
                }
            )
    return accepted


def mapping_summary(engine: Engine) -> list[dict[str, Any]]:
    """Studies per exam code (and how they were mapped), for `kerma map list`."""
    stmt = (
        select(
            studies.c.modality,
            study_exam_codes.c.exam_code,
            study_exam_codes.c.exam_name,
            study_exam_codes.c.mapped_by,
            func.count().label("studies"),
        )
        .select_from(study_exam_codes.join(studies, studies.c.id == study_exam_codes.c.study_id))
        .group_by(
            studies.c.modality,
            study_exam_codes.c.exam_code,
            study_exam_codes.c.exam_name,
            study_exam_codes.c.mapped_by,
        )
        .order_by(studies.c.modality, study_exam_codes.c.exam_code)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]
