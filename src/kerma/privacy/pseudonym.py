"""Keyed pseudonyms (HMAC-SHA256 with a site secret) for patients; the secret is kept apart from the data."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

from kerma.domain.model import PatientIdentity

SECRET_ENV = "KERMA_SITE_SECRET"


def load_secret(path: Path) -> bytes:
    """The site secret: ``KERMA_SITE_SECRET`` if set, else the key file, created (mode 0600) on first use."""
    env = os.environ.get(SECRET_ENV)
    if env:
        return env.encode("utf-8")
    if path.is_file():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
    return key


class Pseudonymiser:
    """Turns patient identifiers into stable keyed pseudonyms; the same patient always gets the same key."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("site secret too short: use at least 16 bytes")
        self._secret = secret

    def key(self, *parts: str) -> str:
        """HMAC of the normalised parts, 24 hex characters prefixed 'P'."""
        msg = "\x1f".join(p.strip().upper() for p in parts).encode("utf-8")
        return "P" + hmac.new(self._secret, msg, hashlib.sha256).hexdigest()[:24]

    def patient_key(self, identity: PatientIdentity, study_instance_uid: str) -> str:
        """Pseudonym of a patient: by ID (and issuer), else name and birth date, else one per study."""
        if identity.patient_id:
            return self.key("id", identity.issuer or "", identity.patient_id)
        if identity.name and identity.birth_date:
            return self.key("name", identity.name, identity.birth_date.isoformat())
        return self.key("study", study_instance_uid)


class PhantomMatcher:
    """Recognises phantom and QA exposures by patterns on patient name and ID."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = [re.compile(p) for p in patterns]

    def __call__(self, identity: PatientIdentity) -> bool:
        fields = [identity.name or "", identity.patient_id or ""]
        return any(p.search(f) for p in self._patterns for f in fields if f)
