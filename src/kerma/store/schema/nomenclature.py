"""Exam-code mapping: versioned rules, user-defined codes and each study's mapped exam code.

Rules are data: a rule row is never edited in place. A change retires the old row and adds a new one in
a new rules version, so every mapping names the rule and the version that produced it.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text

from kerma.store.schema.base import metadata

mapping_rule_versions = Table(
    "mapping_rule_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("note", Text),
)

mapping_rules = Table(
    "mapping_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    # exact | normalised | regex
    Column("match", String(16), nullable=False),
    # any | study_description | requested_procedure | performed_procedure | protocol | body_part
    Column("field", String(32), nullable=False),
    Column("pattern", Text, nullable=False),
    Column("modality", String(16)),
    Column("device_id", Integer, ForeignKey("devices.id")),
    Column("exam_code", String(64), nullable=False),
    Column("priority", Integer, nullable=False, default=100),
    # user | auto (an accepted suggestion) | import
    Column("source", String(16), nullable=False),
    Column("confidence", Float),
    Column("created_version", Integer, ForeignKey("mapping_rule_versions.version"), nullable=False),
    Column("retired_version", Integer, ForeignKey("mapping_rule_versions.version")),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("note", Text),
    Index("ix_mapping_rules_retired_version", "retired_version"),
)

custom_exam_codes = Table(
    "custom_exam_codes",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("modality", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("body_region", Text),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

study_exam_codes = Table(
    "study_exam_codes",
    metadata,
    Column("study_id", Integer, ForeignKey("studies.id"), primary_key=True, autoincrement=False),
    Column("exam_code", String(64), nullable=False),
    Column("exam_name", Text),
    Column("rule_id", Integer, ForeignKey("mapping_rules.id")),
    Column("rule_version", Integer),
    Column("confidence", Float),
    # rule | manual
    Column("mapped_by", String(16), nullable=False),
    Column("mapped_at", DateTime, nullable=False),
    Index("ix_study_exam_codes_exam_code", "exam_code"),
)

__all__ = ["custom_exam_codes", "mapping_rule_versions", "mapping_rules", "study_exam_codes"]
