"""Server-side sessions behind a signed cookie: the cookie carries a random id, the database its hash.

Logging out, disabling a user or changing a password ends sessions at once, which a self-contained
signed cookie could not do. The signature (itsdangerous, keyed from the site secret) rejects forged or
tampered cookies before any database lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine, select, update

from kerma.config import Settings
from kerma.privacy.pseudonym import load_secret
from kerma.store.schema.auth import users, web_sessions
from kerma.store.writer import utcnow
from kerma.web.auth.roles import Principal

COOKIE_NAME = "kerma_session"
IDLE_TIMEOUT = timedelta(hours=4)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen_at is written at most this often, so page views do not each cost a write.
TOUCH_INTERVAL = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Timeouts and cookie flags of one app."""

    idle: timedelta = IDLE_TIMEOUT
    absolute: timedelta = ABSOLUTE_TIMEOUT
    secure_cookie: bool = False


def cookie_key(settings: Settings) -> bytes:
    """Signing key for cookies, derived from the site secret with its own label (never the secret itself)."""
    return hmac.new(load_secret(settings.secret_file), b"kerma-web-session-cookie", hashlib.sha256).digest()


class SessionStore:
    """Creates, reads and ends sessions for one engine."""

    def __init__(self, engine: Engine, key: bytes, config: SessionConfig | None = None) -> None:
        self.engine = engine
        self.config = config or SessionConfig()
        self._signer = URLSafeTimedSerializer(key, salt="kerma-session")

    @staticmethod
    def _hash(session_id: str) -> str:
        return hashlib.sha256(session_id.encode("ascii")).hexdigest()

    def create(self, user_id: int, ip: str | None, user_agent: str | None) -> tuple[str, str]:
        """Start a session; returns (cookie value, CSRF token)."""
        sid = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                web_sessions.insert().values(
                    id_hash=self._hash(sid),
                    user_id=user_id,
                    csrf_token=csrf,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.config.idle,
                    ip=(ip or "")[:64] or None,
                    user_agent=(user_agent or "")[:300] or None,
                )
            )
            # expired sessions are swept here, when a new one starts, rather than by a background job
            conn.execute(web_sessions.delete().where(web_sessions.c.expires_at < now))
        return self._signer.dumps(sid), csrf

    def _sid(self, cookie: str) -> str | None:
        try:
            sid = self._signer.loads(cookie, max_age=int(self.config.absolute.total_seconds()))
        except BadSignature:
            return None
        return sid if isinstance(sid, str) else None

    def load(self, cookie: str, now: datetime | None = None) -> Principal | None:
        """The principal of a valid, unexpired session of an active user; slides the idle timeout."""
        sid = self._sid(cookie)
        if sid is None:
            return None
        now = now or utcnow()
        h = self._hash(sid)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    web_sessions.c.csrf_token,
                    web_sessions.c.created_at,
                    web_sessions.c.last_seen_at,
                    web_sessions.c.expires_at,
                    users.c.id,
                    users.c.username,
                    users.c.roles,
                    users.c.is_active,
                )
                .join(users, users.c.id == web_sessions.c.user_id)
                .where(web_sessions.c.id_hash == h)
            ).first()
        if row is None or not row.is_active:
            return None
        if row.expires_at <= now or row.created_at + self.config.absolute <= now:
            return None
        if now - row.last_seen_at > TOUCH_INTERVAL:
            expires = min(now + self.config.idle, row.created_at + self.config.absolute)
            with self.engine.begin() as conn:
                conn.execute(
                    update(web_sessions)
                    .where(web_sessions.c.id_hash == h)
                    .values(last_seen_at=now, expires_at=expires)
                )
        return Principal(
            user_id=row.id,
            username=row.username,
            roles=frozenset(row.roles.split(",")),
            via="session",
            csrf_token=row.csrf_token,
            session_id_hash=h,
        )

    def end(self, cookie: str) -> None:
        """Log out: the session row is deleted, so the cookie is worthless even if kept."""
        sid = self._sid(cookie)
        if sid is None:
            return
        with self.engine.begin() as conn:
            conn.execute(web_sessions.delete().where(web_sessions.c.id_hash == self._hash(sid)))
