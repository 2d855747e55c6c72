"""Settings in one place: environment variables, then an optional ``kerma.toml``, then defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PHANTOM_PATTERNS = (
    r"(?i)phantom",
    r"(?i)\bqa\b",
    r"(?i)\bqc\b",
    r"(?i)catphan",
    r"(?i)konstanz",
    r"(?i)constancy",
    r"(?i)^test\b",
    r"(?i)\bwater\s*(phantom)?$",
)

DEFAULT_DEVICE_MATCH = ("manufacturer", "model", "serial_number")


@dataclass(slots=True)
class Settings:
    """Runtime settings of a Kerma installation."""

    database_url: str | None = None
    secret_file: Path = Path("kerma.key")
    quarantine_dir: Path = Path("quarantine")
    phantom_patterns: tuple[str, ...] = DEFAULT_PHANTOM_PATTERNS
    # Fields that identify a room when the Device Observer UID is unknown or changes with every study.
    device_match: tuple[str, ...] = DEFAULT_DEVICE_MATCH
    batch_size: int = 200
    extra: dict[str, object] = field(default_factory=dict)


def load_settings(path: Path | None = None) -> Settings:
    """Read ``kerma.toml`` (or ``KERMA_CONFIG``) if present, then environment overrides."""
    s = Settings()
    cfg_path = path or Path(os.environ.get("KERMA_CONFIG", "kerma.toml"))
    if cfg_path.is_file():
        data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
        s.database_url = data.get("database_url", s.database_url)
        if "secret_file" in data:
            s.secret_file = Path(data["secret_file"])
        if "quarantine_dir" in data:
            s.quarantine_dir = Path(data["quarantine_dir"])
        if "phantom_patterns" in data:
            s.phantom_patterns = tuple(data["phantom_patterns"])
        if "device_match" in data:
            s.device_match = tuple(data["device_match"])
        s.extra = {k: v for k, v in data.items() if k not in Settings.__slots__}
    env = os.environ
    s.database_url = env.get("KERMA_DATABASE_URL", s.database_url)
    if env.get("KERMA_SECRET_FILE"):
        s.secret_file = Path(env["KERMA_SECRET_FILE"])
    if env.get("KERMA_QUARANTINE"):
        s.quarantine_dir = Path(env["KERMA_QUARANTINE"])
    if env.get("KERMA_DEVICE_MATCH"):
        s.device_match = tuple(x.strip() for x in env["KERMA_DEVICE_MATCH"].split(",") if x.strip())
    return s
