"""Rules in the database: create, edit, list, delete; each change is audited and seen by the engine.

Creating a rule that compares with a DRL warns when no active DRL exists for what it filters on; such a
rule is still stored and evaluated as 'not applicable' for those exams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, exists, select, update

from kerma.alerts import drl_lookup
from kerma.alerts.quantities import BY_SCOPE
from kerma.alerts.rules import Rule, RuleError, rule_from_dict, rule_from_row, rule_values
from kerma.privacy.audit import record
from kerma.store.schema.alerts import alert_not_applicable, alert_rules, alerts
from kerma.store.writer import utcnow

_listeners: list[Callable[[], None]] = []


def on_change(callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever rules change in this process (the engine drops its compiled rules)."""
    _listeners.append(callback)


def rules_changed() -> None:
    """Tell listeners that rules changed (also call after editing alert_rules by hand)."""
    for cb in _listeners:
        cb()


@dataclass(slots=True)
class Saved:
    """A stored rule and the warnings its creation raised."""

    rule: Rule
    warnings: list[str] = field(default_factory=list)


def drl_warnings(conn: Connection, rule: Rule) -> list[str]:
    """Why a DRL rule will be 'not applicable' for some or all exams (no active DRL)."""
    if not rule.uses_drl or rule.quantity is None:
        return []
    info = BY_SCOPE[rule.scope][rule.quantity]
    drl_q = info.drl_quantity
    if drl_q is None:
        return []
    drl_lookup.ensure_drl_sets(conn)
    known = drl_lookup.exam_codes_with_drl(conn, drl_q)
    if rule.filters.exam_codes:
        missing = [
            c
            for c in rule.filters.exam_codes
            if not (any(k.startswith(c[:-1]) for k in known) if c.endswith("*") else c in known)
        ]
        return [
            f"no active DRL for exam code {c} and {drl_q}: the rule is 'not applicable' for it"
            for c in missing
        ]
    if not known:
        return [f"no active DRL exists for {drl_q}: the rule is 'not applicable' until one is activated"]
    return []


def _name_taken(conn: Connection, name: str, except_id: int | None = None) -> bool:
    stmt = select(alert_rules.c.id).where(alert_rules.c.name == name)
    if except_id is not None:
        stmt = stmt.where(alert_rules.c.id != except_id)
    return conn.execute(stmt).first() is not None


def create_rule(conn: Connection, rule: Rule, actor: str) -> Saved:
    """Store a validated rule; raises :class:`RuleError` when its name is taken."""
    if _name_taken(conn, rule.name):
        raise RuleError(f"name: a rule named {rule.name!r} exists already")
    now = utcnow()
    rule.id = int(
        conn.execute(
            alert_rules.insert().values(
                **rule_values(rule), created_at=now, created_by=actor, updated_at=now, updated_by=actor
            )
        ).inserted_primary_key[0]
    )
    record(conn, actor, "alert.rule.create", f"alert_rule:{rule.id}", rule.as_dict())
    rules_changed()
    return Saved(rule, drl_warnings(conn, rule))


def get_rule(conn: Connection, ref: int | str) -> Rule | None:
    """A rule by id or by name."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        row = conn.execute(select(alert_rules).where(alert_rules.c.id == int(ref))).first()
        if row is not None:
            return rule_from_row(row)
    row = conn.execute(select(alert_rules).where(alert_rules.c.name == str(ref))).first()
    return rule_from_row(row) if row is not None else None


def list_rules(conn: Connection, enabled_only: bool = False) -> list[Rule]:
    """All rules by id."""
    stmt = select(alert_rules).order_by(alert_rules.c.id)
    if enabled_only:
        stmt = stmt.where(alert_rules.c.enabled.is_(True))
    return [rule_from_row(r) for r in conn.execute(stmt)]


def update_rule(
    conn: Connection, ref: int | str, changes: dict[str, Any], actor: str, unit: str | None = None
) -> Saved:
    """Change some fields of a rule; the result is validated as a whole.

    Giving ``threshold`` clears ``drl_factor`` and the other way round.
    """
    old = get_rule(conn, ref)
    if old is None:
        raise LookupError(f"no rule {ref}")
    data = old.as_dict()
    if "threshold" in changes and changes["threshold"] is not None:
        data["drl_factor"] = None
    if "drl_factor" in changes and changes["drl_factor"] is not None:
        data["threshold"] = None
    if "filters" in changes:
        data["filters"] = {**data["filters"], **(changes["filters"] or {})}
    if "params" in changes:
        data["params"] = {**data["params"], **(changes["params"] or {})}
    data.update({k: v for k, v in changes.items() if k not in ("filters", "params")})
    # An unchanged threshold is already canonical: only a new one is read in ``unit``.
    new_unit = unit if "threshold" in changes else None
    rule = rule_from_dict(data, unit=new_unit)
    rule.id = old.id
    if _name_taken(conn, rule.name, except_id=old.id):
        raise RuleError(f"name: a rule named {rule.name!r} exists already")
    conn.execute(
        update(alert_rules)
        .where(alert_rules.c.id == old.id)
        .values(**rule_values(rule), updated_at=utcnow(), updated_by=actor)
    )
    # Facts recorded about the old definition no longer hold.
    conn.execute(delete(alert_not_applicable).where(alert_not_applicable.c.rule_id == old.id))
    record(
        conn,
        actor,
        "alert.rule.update",
        f"alert_rule:{old.id}",
        {"before": old.as_dict(), "after": rule.as_dict()},
    )
    rules_changed()
    return Saved(rule, drl_warnings(conn, rule))


def delete_rule(conn: Connection, ref: int | str, actor: str) -> str:
    """Delete a rule that never raised an alert; one that did is disabled so its alerts keep their rule.

    Returns 'deleted' or 'disabled'.
    """
    rule = get_rule(conn, ref)
    if rule is None:
        raise LookupError(f"no rule {ref}")
    used = conn.execute(select(exists().where(alerts.c.rule_id == rule.id))).scalar()
    if used:
        conn.execute(
            update(alert_rules)
            .where(alert_rules.c.id == rule.id)
            .values(enabled=False, updated_at=utcnow(), updated_by=actor)
        )
        outcome = "disabled"
    else:
        conn.execute(delete(alert_not_applicable).where(alert_not_applicable.c.rule_id == rule.id))
        conn.execute(delete(alert_rules).where(alert_rules.c.id == rule.id))
        outcome = "deleted"
    record(
        conn, actor, f"alert.rule.{'disable' if used else 'delete'}", f"alert_rule:{rule.id}", rule.as_dict()
    )
    rules_changed()
    return outcome


def not_applicable(conn: Connection, rule_id: int | None = None) -> list[dict[str, Any]]:
    """Exam codes for which rules had no DRL to compare with."""
    stmt = (
        select(
            alert_not_applicable.c.rule_id,
            alert_rules.c.name.label("rule"),
            alert_not_applicable.c.exam_code,
            alert_not_applicable.c.reason,
            alert_not_applicable.c.first_seen_at,
        )
        .join(alert_rules, alert_rules.c.id == alert_not_applicable.c.rule_id)
        .order_by(alert_not_applicable.c.rule_id, alert_not_applicable.c.exam_code)
    )
    if rule_id is not None:
        stmt = stmt.where(alert_not_applicable.c.rule_id == rule_id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


__all__ = [
    "Saved",
    "create_rule",
    "delete_rule",
    "drl_warnings",
    "get_rule",
    "list_rules",
    "not_applicable",
    "on_change",
    "rules_changed",
    "update_rule",
]
