"""Diagnostic reference level sets: versioned sets of values, and which sets are active at each site.

A set is identified by its key; an edit adds a new version of the set (values are copied), so a
comparison can always say which version of which set it used.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kerma.store.schema.base import metadata

drl_sets = Table(
    "drl_sets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("issuer", Text),
    Column("country", String(8)),
    Column("year", Integer),
    # p75_of_room_medians (ICRP 135) | p75_of_room_means (Germany before 2022) | local
    Column("method", String(32)),
    Column("source", Text),
    # verified (read in the issuer's text) | unverified | local
    Column("status", String(16), nullable=False),
    Column("builtin", Boolean, nullable=False, default=False),
    Column("current", Boolean, nullable=False, default=True),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("note", Text),
    UniqueConstraint("key", "version", name="uq_drl_sets_key_version"),
)

drl_values = Table(
    "drl_values",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("set_id", Integer, ForeignKey("drl_sets.id"), nullable=False),
    Column("modality", String(16), nullable=False),
    Column("exam_code", String(64), nullable=False),
    Column("exam_name", Text),
    Column("clinical_indication", Text, nullable=False, default=""),
    # adult | age | weight
    Column("band_kind", String(8), nullable=False),
    Column("band_min", Float),
    Column("band_max", Float),
    Column("band_label", String(64), nullable=False),
    # dlp_mgy_cm | ctdivol_mgy | dap_gy_cm2 | agd_mgy
    Column("quantity", String(32), nullable=False),
    # study | exposure
    Column("per", String(16), nullable=False),
    Column("value", Float, nullable=False),
    Column("published_value", Float),
    Column("published_unit", String(32)),
    Column("note", Text),
    UniqueConstraint(
        "set_id", "exam_code", "clinical_indication", "band_label", "quantity", name="uq_drl_values_entry"
    ),
    Index("ix_drl_values_exam_code", "exam_code"),
)

drl_active_sets = Table(
    "drl_active_sets",
    metadata,
    # an institution name as the devices table spells it, or "*" for every site
    Column("site", String(200), primary_key=True),
    Column("set_key", String(128), primary_key=True),
    Column("chosen_by", Text, nullable=False),
    Column("chosen_at", DateTime, nullable=False),
)

__all__ = ["drl_active_sets", "drl_sets", "drl_values"]
