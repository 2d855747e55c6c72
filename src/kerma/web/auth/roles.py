"""Roles and what a request needs: viewer < mpe < admin, plus `pid` (identity access) on its own.

`pid` is deliberately not implied by admin: seeing who a patient is must be granted explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

PID = "pid"


class Level(IntEnum):
    """Hierarchical access levels; a higher level includes the lower ones."""

    NONE = 0
    VIEWER = 1
    MPE = 2
    ADMIN = 3


LEVEL_NAMES = {"viewer": Level.VIEWER, "mpe": Level.MPE, "admin": Level.ADMIN}
ROLE_NAMES = (*LEVEL_NAMES, PID)


def parse_roles(values: str | list[str] | tuple[str, ...]) -> frozenset[str]:
    """Role names from a comma-separated string or a list; raises ValueError on an unknown name."""
    items = values.split(",") if isinstance(values, str) else [v for x in values for v in x.split(",")]
    roles = frozenset(r.strip().lower() for r in items if r.strip())
    unknown = sorted(roles - set(ROLE_NAMES))
    if unknown:
        raise ValueError(f"unknown role {', '.join(unknown)}; use {', '.join(ROLE_NAMES)}")
    if not roles:
        raise ValueError(f"give at least one role: {', '.join(ROLE_NAMES)}")
    if roles == {PID}:
        # identity access alone would see nothing else: it always comes with viewer
        roles = roles | {"viewer"}
    return roles


def level_of(roles: frozenset[str]) -> Level:
    """The highest hierarchical level among ``roles``."""
    return max((LEVEL_NAMES[r] for r in roles if r in LEVEL_NAMES), default=Level.NONE)


def format_roles(roles: frozenset[str]) -> str:
    """Stored form: sorted by level, then pid."""
    order = {**{k: int(v) for k, v in LEVEL_NAMES.items()}, PID: 9}
    return ",".join(sorted(roles, key=lambda r: order.get(r, 10)))


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a route needs: a minimum level, and identity access when ``pid`` is set."""

    level: Level = Level.VIEWER
    pid: bool = False

    def stricter(self, other: Requirement) -> Requirement:
        """The combination of two requirements (each at least as strict as both)."""
        return Requirement(max(self.level, other.level), self.pid or other.pid)

    def describe(self) -> str:
        """Human-readable: 'mpe', 'viewer + pid', ..."""
        name = self.level.name.lower()
        return f"{name} + pid" if self.pid else name


PUBLIC = Requirement(Level.NONE)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated user of one request."""

    user_id: int
    username: str
    roles: frozenset[str]
    via: str  # "session" | "token"
    csrf_token: str | None = None
    session_id_hash: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def level(self) -> Level:
        """Highest hierarchical level of this user."""
        return level_of(self.roles)

    @property
    def has_pid(self) -> bool:
        """True when the user may see patient identities."""
        return PID in self.roles

    def satisfies(self, req: Requirement) -> bool:
        """True when this user meets ``req``."""
        return self.level >= req.level and (self.has_pid or not req.pid)

    def can(self, role: str) -> bool:
        """True for `pid` if granted, else when the level reaches the named role."""
        if role == PID:
            return self.has_pid
        return self.level >= LEVEL_NAMES[role]
