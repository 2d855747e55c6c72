"""Password hashing with argon2id; verification is constant-time and upgrades old parameters."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): about 30 ms here, so logins stay snappy on
# small servers while an offline guess still costs 19 MiB of memory.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified when the user does not exist, so a wrong username costs as long as a wrong password.
_DUMMY = _HASHER.hash("kerma-no-such-user")

MIN_LENGTH = 10


def check_strength(password: str) -> None:
    """Raise ValueError when a new password is too weak to accept."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"the password needs at least {MIN_LENGTH} characters")
    if password.strip() != password:
        raise ValueError("the password must not start or end with spaces")


def hash_password(password: str) -> str:
    """Encoded argon2id hash."""
    return _HASHER.hash(password)


def verify_password(encoded: str | None, password: str) -> bool:
    """True when ``password`` matches ``encoded``; a missing hash still costs one verification."""
    try:
        return _HASHER.verify(encoded or _DUMMY, password) and encoded is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(encoded)
