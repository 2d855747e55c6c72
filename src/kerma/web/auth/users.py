"""Local accounts and API tokens: create, list, change, revoke; every change is audited."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from kerma.privacy.audit import record
from kerma.store.schema.auth import api_tokens, users, web_sessions
from kerma.store.writer import utcnow
from kerma.web.auth.passwords import check_strength, hash_password, needs_rehash, verify_password
from kerma.web.auth.roles import Principal, format_roles, parse_roles

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
TOKEN_PREFIX = "kerma_"
# Writes of last_used_at are spaced so a script's many calls do not write on every request.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


class UserError(ValueError):
    """A user or token operation that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class User:
    """A local account as the admin pages show it (never the hash)."""

    id: int
    username: str
    roles: frozenset[str]
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "id": self.id,
            "username": self.username,
            "roles": sorted(self.roles),
            "is_active": self.is_active,
            "created_at": self.created_at.isoformat(),
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
        }


def _user(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        roles=frozenset(row.roles.split(",")),
        is_active=bool(row.is_active),
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def validate_username(username: str) -> str:
    """The username, stripped; raises UserError when it has characters other than letters, digits, ._@-."""
    name = username.strip()
    if not USERNAME_RE.match(name):
        raise UserError("a username has 1-64 letters, digits or . _ @ - and starts with a letter or digit")
    return name


def create_user(engine: Engine, username: str, password: str, roles: str | list[str], actor: str) -> User:
    """Create an account (argon2id hash of ``password``); raises UserError on a bad name, role or password."""
    name = validate_username(username)
    try:
        role_set = parse_roles(roles)
        check_strength(password)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    now = utcnow()
    with engine.begin() as conn:
        exists = conn.execute(select(users.c.id).where(func.lower(users.c.username) == name.lower())).first()
        if exists:
            raise UserError(f"a user named {name!r} exists already")
        uid = conn.execute(
            users.insert().values(
                username=name,
                password_hash=hash_password(password),
                roles=format_roles(role_set),
                is_active=True,
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]
        record(conn, actor, "user.create", f"user:{name}", {"roles": sorted(role_set)})
        row = conn.execute(select(users).where(users.c.id == uid)).one()
    return _user(row)


def list_users(engine: Engine) -> list[User]:
    """All accounts, by username."""
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(select(users).order_by(users.c.username))]


def get_user(conn: Connection, user_id: int) -> User | None:
    """One account by id."""
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return _user(row) if row else None


def find_user(engine: Engine, username: str) -> User | None:
    """One account by username (case-insensitive)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(users).where(func.lower(users.c.username) == username.strip().lower())
        ).first()
    return _user(row) if row else None


def _admins_left(conn: Connection, excluding: int) -> int:
    rows = conn.execute(
        select(users.c.roles).where(users.c.is_active.is_(True), users.c.id != excluding)
    ).all()
    return sum(1 for (r,) in rows if "admin" in r.split(","))


def update_user(
    engine: Engine,
    user_id: int,
    actor: str,
    roles: str | list[str] | None = None,
    is_active: bool | None = None,
    password: str | None = None,
) -> User:
    """Change roles, active flag or password; the last active admin cannot lose admin or be disabled."""
    values: dict[str, Any] = {}
    detail: dict[str, Any] = {}
    try:
        if roles is not None:
            role_set = parse_roles(roles)
            values["roles"] = format_roles(role_set)
            detail["roles"] = sorted(role_set)
        if password is not None:
            check_strength(password)
            values["password_hash"] = hash_password(password)
            detail["password"] = "changed"
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if is_active is not None:
        values["is_active"] = is_active
        detail["is_active"] = is_active
    with engine.begin() as conn:
        user = get_user(conn, user_id)
        if user is None:
            raise UserError(f"no user with id {user_id}")
        loses_admin = "admin" in user.roles and (
            ("roles" in values and "admin" not in values["roles"].split(",")) or is_active is False
        )
        if loses_admin and _admins_left(conn, user_id) == 0:
            raise UserError("this is the last active admin: make another admin first")
        if not values:
            return user
        values["updated_at"] = utcnow()
        conn.execute(update(users).where(users.c.id == user_id).values(**values))
        if is_active is False or password is not None:
            # a disabled account or a new password ends every open session of that user
            conn.execute(web_sessions.delete().where(web_sessions.c.user_id == user_id))
        record(conn, actor, "user.update", f"user:{user.username}", detail)
        changed = get_user(conn, user_id)
    assert changed is not None
    return changed


def authenticate_password(engine: Engine, username: str, password: str) -> User | None:
    """The active user whose password matches, else None (same cost for an unknown user)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(users).where(func.lower(users.c.username) == username.strip().lower()[:64])
        ).first()
    ok = verify_password(row.password_hash if row else None, password)
    if not ok or row is None or not row.is_active:
        return None
    if needs_rehash(row.password_hash):
        with engine.begin() as conn:
            conn.execute(
                update(users).where(users.c.id == row.id).values(password_hash=hash_password(password))
            )
    return _user(row)


# -- API tokens -------------------------------------------------------------------------------------


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough (no password-style stretching needed).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    engine: Engine, username: str, actor: str, name: str | None = None, days: int | None = None
) -> str:
    """A new API token for ``username``; returns the token (shown once: only its hash is stored)."""
    user = find_user(engine, username)
    if user is None:
        raise UserError(f"no user named {username!r}")
    if not user.is_active:
        raise UserError(f"user {user.username!r} is disabled")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            api_tokens.insert().values(
                user_id=user.id,
                token_hash=_digest(token),
                prefix=token[: len(TOKEN_PREFIX) + 6],
                name=(name or "").strip()[:200] or None,
                created_at=now,
                expires_at=now + timedelta(days=days) if days else None,
            )
        )
        record(conn, actor, "token.create", f"user:{user.username}", {"name": name, "days": days})
    return token


def list_tokens(engine: Engine, user_id: int | None = None) -> list[dict[str, Any]]:
    """Tokens (never their hashes), newest first; all users' when ``user_id`` is None."""
    stmt = (
        select(
            api_tokens.c.id,
            api_tokens.c.prefix,
            api_tokens.c.name,
            api_tokens.c.created_at,
            api_tokens.c.expires_at,
            api_tokens.c.last_used_at,
            api_tokens.c.revoked_at,
            users.c.username,
        )
        .join(users, users.c.id == api_tokens.c.user_id)
        .order_by(api_tokens.c.id.desc())
    )
    if user_id is not None:
        stmt = stmt.where(api_tokens.c.user_id == user_id)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def revoke_token(engine: Engine, token_id: int, actor: str, owner_id: int | None = None) -> bool:
    """Revoke a token (only the owner's when ``owner_id`` is given); True if one was revoked."""
    stmt = (
        update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if owner_id is not None:
        stmt = stmt.where(api_tokens.c.user_id == owner_id)
    with engine.begin() as conn:
        n = conn.execute(stmt).rowcount
        if n:
            record(conn, actor, "token.revoke", f"token:{token_id}", None)
    return bool(n)


def principal_for_token(engine: Engine, token: str) -> Principal | None:
    """The user a bearer token belongs to, if the token is valid, unrevoked and unexpired."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    now = utcnow()
    with engine.connect() as conn:
        row = conn.execute(
            select(
                api_tokens.c.id,
                api_tokens.c.expires_at,
                api_tokens.c.revoked_at,
                api_tokens.c.last_used_at,
                users.c.id.label("user_id"),
                users.c.username,
                users.c.roles,
                users.c.is_active,
            )
            .join(users, users.c.id == api_tokens.c.user_id)
            .where(api_tokens.c.token_hash == _digest(token))
        ).first()
    if row is None or row.revoked_at is not None or not row.is_active:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL:
        with engine.begin() as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now))
    return Principal(
        user_id=row.user_id, username=row.username, roles=frozenset(row.roles.split(",")), via="token"
    )


def has_users(engine: Engine) -> bool:
    """True once any account exists (the login page explains how to create the first one)."""
    with engine.connect() as conn:
        return conn.execute(select(users.c.id).limit(1)).first() is not None


def ensure_demo_user(engine: Engine, username: str = "demo") -> str | None:
    """For `kerma demo`: create ``username`` (mpe and pid, so every page can be tried) with a random
    password, which is returned; None when the user exists already (its password is left alone)."""
    if find_user(engine, username) is not None:
        return None
    password = secrets.token_urlsafe(12)
    create_user(engine, username, password, ["mpe", "pid"], actor="demo")
    return password
