"""Web access: local users, API tokens (hashes only), server-side sessions and login attempts."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from kerma.store.schema.base import metadata
from kerma.store.schema.core import studies

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    # argon2id encoded hash (salt and parameters inside)
    Column("password_hash", Text, nullable=False),
    # comma-separated: viewer | mpe | admin, plus pid for identity access
    Column("roles", String(64), nullable=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    # SHA-256 of the token: the token itself is shown once and never stored
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("name", Text),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime),
    Column("last_used_at", DateTime),
    Column("revoked_at", DateTime),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    # SHA-256 of the session id carried (signed) in the cookie
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False, index=True),
    Column("ip", String(64)),
    Column("user_agent", Text),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("username", String(64)),
    Column("ip", String(64)),
    Column("success", Boolean, nullable=False),
    Index("ix_login_attempts_username_at", "username", "at"),
    Index("ix_login_attempts_ip_at", "ip", "at"),
)

# Indexes on the core studies table that the dashboard's dose-sorted lists and dose-range filters need
# on large stores (measured with bench/web.py): without them a sort by DLP reads every study.
ix_studies_total_dlp = Index("ix_studies_total_dlp_mgy_cm", studies.c.total_dlp_mgy_cm)
ix_studies_total_dap = Index("ix_studies_total_dap_gy_cm2", studies.c.total_dap_gy_cm2)
ix_studies_total_agd = Index("ix_studies_total_agd_mgy", studies.c.total_agd_mgy)
# Covering index for the per-room charts (a modality over a period): read without touching the table.
ix_studies_chart = Index(
    "ix_studies_modality_datetime_doses",
    studies.c.modality,
    studies.c.study_datetime,
    studies.c.is_phantom,
    studies.c.device_id,
    studies.c.total_dlp_mgy_cm,
    studies.c.total_dap_gy_cm2,
    studies.c.total_agd_mgy,
    studies.c.patient_weight_kg,
)

__all__ = ["api_tokens", "login_attempts", "users", "web_sessions"]
