"""The review of an alert: states, the moves between them, comments, and who did what when.

new → acknowledged → under review → reportable | not reportable → closed; a closed or decided alert can
be reopened (back to under review). Every change and every comment is a row of ``alert_changes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select, update

from kerma.store.schema.alerts import alert_changes, alerts
from kerma.store.writer import utcnow


class State(StrEnum):
    """Where an alert is in its review."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    UNDER_REVIEW = "under_review"
    REPORTABLE = "reportable"
    NOT_REPORTABLE = "not_reportable"
    CLOSED = "closed"


_DECIDED = {State.REPORTABLE, State.NOT_REPORTABLE}
TRANSITIONS: dict[State, set[State]] = {
    State.NEW: {State.ACKNOWLEDGED, State.UNDER_REVIEW, *_DECIDED, State.CLOSED},
    State.ACKNOWLEDGED: {State.UNDER_REVIEW, *_DECIDED, State.CLOSED},
    State.UNDER_REVIEW: {State.ACKNOWLEDGED, *_DECIDED, State.CLOSED},
    State.REPORTABLE: {State.UNDER_REVIEW, State.NOT_REPORTABLE, State.CLOSED},
    State.NOT_REPORTABLE: {State.UNDER_REVIEW, State.REPORTABLE, State.CLOSED},
    State.CLOSED: {State.UNDER_REVIEW},
}
# A decision on reportability must say why.
NEEDS_COMMENT = _DECIDED


class ReviewError(ValueError):
    """A state change that is not allowed; the message says which moves are."""


def parse_state(value: str) -> State:
    """A state from user input ('under review', 'under-review' and 'under_review' alike)."""
    norm = value.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return State(norm)
    except ValueError:
        raise ReviewError(
            f"unknown state {value!r}; use one of {', '.join(s.value for s in State)}"
        ) from None


@dataclass(slots=True)
class Change:
    """One entry of an alert's history."""

    at: datetime
    actor: str
    from_state: str | None
    to_state: str | None
    comment: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "comment": self.comment,
        }


def _current(conn: Connection, alert_id: int) -> State:
    row = conn.execute(select(alerts.c.state).where(alerts.c.id == alert_id)).first()
    if row is None:
        raise LookupError(f"no alert {alert_id}")
    return State(row[0])


def change_state(
    conn: Connection, alert_id: int, to: State | str, actor: str, comment: str | None = None
) -> State:
    """Move an alert to ``to``; records who, when and why. Returns the previous state."""
    target = to if isinstance(to, State) else parse_state(to)
    current = _current(conn, alert_id)
    if target == current:
        raise ReviewError(f"alert {alert_id} is {current.value} already")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current]))
        raise ReviewError(f"alert {alert_id} is {current.value}: it can go to {allowed}")
    text = (comment or "").strip() or None
    if target in NEEDS_COMMENT and text is None:
        raise ReviewError(f"say why the event is {target.value.replace('_', ' ')} (a comment is required)")
    now = utcnow()
    # Guarded by the current state: two reviewers acting at once cannot both move it.
    moved = conn.execute(
        update(alerts)
        .where(alerts.c.id == alert_id, alerts.c.state == current.value)
        .values(state=target.value, updated_at=now, updated_by=actor)
    ).rowcount
    if moved != 1:
        raise ReviewError(f"alert {alert_id} was changed by someone else; reload and try again")
    conn.execute(
        alert_changes.insert().values(
            alert_id=alert_id,
            at=now,
            actor=actor,
            from_state=current.value,
            to_state=target.value,
            comment=text,
        )
    )
    return current


def acknowledge(conn: Connection, alert_id: int, actor: str, comment: str | None = None) -> State:
    """Acknowledge a new alert (the usual first step)."""
    return change_state(conn, alert_id, State.ACKNOWLEDGED, actor, comment)


def add_comment(conn: Connection, alert_id: int, actor: str, comment: str) -> None:
    """A comment that does not change the state."""
    text = comment.strip()
    if not text:
        raise ReviewError("an empty comment")
    _current(conn, alert_id)
    now = utcnow()
    conn.execute(
        alert_changes.insert().values(
            alert_id=alert_id, at=now, actor=actor, from_state=None, to_state=None, comment=text
        )
    )
    conn.execute(update(alerts).where(alerts.c.id == alert_id).values(updated_at=now, updated_by=actor))


def history(conn: Connection, alert_id: int) -> list[Change]:
    """Every change and comment, oldest first."""
    rows = conn.execute(
        select(alert_changes).where(alert_changes.c.alert_id == alert_id).order_by(alert_changes.c.id)
    ).mappings()
    return [Change(r["at"], r["actor"], r["from_state"], r["to_state"], r["comment"]) for r in rows]
