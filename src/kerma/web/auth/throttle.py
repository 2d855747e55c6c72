"""Login throttling: too many failures for one username, or from one address, pause further tries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from kerma.store.schema.auth import login_attempts
from kerma.store.writer import utcnow

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 30


def _key(username: str) -> str:
    return username.strip().lower()[:64]


def wait_seconds(engine: Engine, username: str, ip: str | None, now: datetime | None = None) -> int:
    """Seconds to wait before the next try (0: go ahead)."""
    now = now or utcnow()
    since = now - WINDOW
    with engine.connect() as conn:
        last_ok = conn.execute(
            select(func.max(login_attempts.c.at)).where(
                login_attempts.c.username == _key(username), login_attempts.c.success.is_(True)
            )
        ).scalar()
        user_since = max(since, last_ok) if last_ok else since
        user_fail = conn.execute(
            select(func.count(), func.min(login_attempts.c.at)).where(
                login_attempts.c.username == _key(username),
                login_attempts.c.success.is_(False),
                login_attempts.c.at > user_since,
            )
        ).one()
        ip_fail = (
            conn.execute(
                select(func.count(), func.min(login_attempts.c.at)).where(
                    login_attempts.c.ip == ip,
                    login_attempts.c.success.is_(False),
                    login_attempts.c.at > since,
                )
            ).one()
            if ip
            else (0, None)
        )
    waits = [0]
    for (count, first), limit in ((user_fail, MAX_FAILURES_PER_USER), (ip_fail, MAX_FAILURES_PER_IP)):
        if count >= limit and first is not None:
            waits.append(int((first + WINDOW - now).total_seconds()) + 1)
    return max(waits)


def record_attempt(engine: Engine, username: str, ip: str | None, success: bool) -> None:
    """Remember one try (old rows are pruned on the way)."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            login_attempts.insert().values(
                at=now, username=_key(username), ip=(ip or "")[:64], success=success
            )
        )
        conn.execute(login_attempts.delete().where(login_attempts.c.at < now - 4 * WINDOW))
