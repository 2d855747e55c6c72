"""The statistics' own table: one row per dose value a DRL statistic can use, kept in step with the store.

A statistic over millions of exams must not join studies, exam codes and events and sort every value
each time it is asked. ``stat_values`` holds each usable value once (per study and per exposure) with
the columns statistics group and filter by; its two indexes keep the values sorted within each exam code
and room, and within each exam code and month, so counts come from one ordered scan and percentiles from
positioned reads (kerma.analytics.ranked). Rows are derived data: kerma.analytics.values rebuilds a
study's rows whenever anything they depend on changes (ingest, exam-code mapping, patient corrections,
device merges).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, ForeignKey, Index, Integer, String, Table

from kerma.store.schema.base import metadata

stat_values = Table(
    "stat_values",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", Integer, ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    # the event a per-exposure value comes from (NULL for per-study values)
    Column("event_id", Integer),
    # dlp_mgy_cm | ctdivol_mgy | dap_gy_cm2 | agd_mgy, in the unit the name says
    Column("quantity", String(16), nullable=False),
    # study | exposure
    Column("per", String(8), nullable=False),
    Column("exam_code", String(64), nullable=False),
    Column("device_id", Integer),
    Column("modality", String(16)),
    Column("study_datetime", DateTime),
    # year * 100 + month of the study, for monthly trends
    Column("month", Integer),
    Column("patient_age_years", Float),
    Column("patient_weight_kg", Float),
    Column("value", Float, nullable=False),
    # Covering: the filter and band columns follow the value, so reads never visit the table rows.
    Index(
        "ix_stat_values_room",
        "quantity",
        "per",
        "exam_code",
        "device_id",
        "value",
        "study_datetime",
        "modality",
        "patient_age_years",
        "patient_weight_kg",
    ),
    Index(
        "ix_stat_values_month",
        "quantity",
        "per",
        "exam_code",
        "month",
        "value",
        "study_datetime",
        "modality",
        "device_id",
        "patient_age_years",
        "patient_weight_kg",
    ),
    Index("ix_stat_values_study_id", "study_id"),
)

__all__ = ["stat_values"]
