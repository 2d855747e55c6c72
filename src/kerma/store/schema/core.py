"""Core tables: devices (rooms), pseudonymised patients and their separate identities, studies, dose
objects, irradiation events, accumulated doses, administrations, ingest log and audit trails.

Event, accumulated and administration columns are derived from the domain dataclasses so a field's name
(with its canonical unit) is written once; Alembic migrations pin the resulting DDL.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
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

from kerma.domain.model import AccumulatedDose, Administration, IrradiationEvent
from kerma.store.schema.base import Json, metadata

_TYPES: dict[Any, Any] = {float: Float, int: Integer, str: Text, bool: Boolean, datetime: DateTime}


def _columns_of(cls: type, skip: set[str]) -> list[Column[Any]]:
    hints = typing.get_type_hints(cls)
    cols: list[Column[Any]] = []
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        hint = hints[f.name]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        base = (
            args[0] if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union else hint
        )
        origin = typing.get_origin(base) or base
        sqltype = Json if origin in (dict, list) else _TYPES[origin]
        cols.append(Column(f.name, sqltype, nullable=True))
    return cols


devices = Table(
    "devices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("match_key", String(400), nullable=False, unique=True),
    Column("display_name", Text),
    Column("manufacturer", Text),
    Column("model", Text),
    Column("station_name", Text),
    Column("serial_number", Text),
    Column("device_observer_uid", Text),
    Column("institution", Text),
    Column("department", Text),
    Column("calling_ae_title", Text),
    Column("merged_into_id", Integer, ForeignKey("devices.id")),
    Column("created_at", DateTime, nullable=False),
)

device_observer_uids = Table(
    "device_observer_uids",
    metadata,
    Column("uid", String(128), primary_key=True),
    Column("device_id", Integer, ForeignKey("devices.id"), nullable=False, index=True),
)

patients = Table(
    "patients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_key", String(64), nullable=False, unique=True),
    Column("is_phantom", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
)

# Identifiers live here and nowhere else; every read of this table goes through privacy.identity (audited).
patient_identities = Table(
    "patient_identities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False, unique=True),
    Column("id_value", Text),
    Column("issuer", Text),
    Column("name", Text),
    Column("birth_date", Date),
    Column("updated_at", DateTime, nullable=False),
)

studies = Table(
    "studies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_instance_uid", String(128), nullable=False, unique=True),
    Column("accession_number", Text, index=True),
    Column("study_datetime", DateTime, index=True),
    Column("modality", String(16), index=True),
    Column("device_id", Integer, ForeignKey("devices.id"), index=True),
    Column("patient_id", Integer, ForeignKey("patients.id"), index=True),
    Column("study_description", Text, index=True),
    Column("series_description", Text),
    Column("requested_procedure", Text),
    Column("performed_procedure", Text),
    Column("patient_age_years", Float),
    Column("patient_sex", String(1)),
    Column("patient_weight_kg", Float),
    Column("patient_height_m", Float),
    Column("is_phantom", Boolean, nullable=False, default=False),
    Column("event_count", Integer, nullable=False, default=0),
    Column("total_dlp_mgy_cm", Float),
    Column("total_dap_gy_cm2", Float),
    Column("total_kar_mgy", Float),
    Column("total_fluoro_time_s", Float),
    Column("total_fluoro_dap_gy_cm2", Float),
    Column("total_acquisition_dap_gy_cm2", Float),
    Column("total_agd_mgy", Float),
    Column("administered_activity_mbq", Float),
    Column("dose_source", String(16)),
    Column("flags", Json),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_studies_modality_datetime", "modality", "study_datetime"),
    Index("ix_studies_device_datetime", "device_id", "study_datetime"),
)

dose_objects = Table(
    "dose_objects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sop_instance_uid", String(128), nullable=False, unique=True),
    Column("sop_class_uid", String(128), nullable=False),
    Column("study_id", Integer, ForeignKey("studies.id"), nullable=False, index=True),
    Column("device_id", Integer, ForeignKey("devices.id"), index=True),
    Column("source", String(16), nullable=False),
    Column("kind", String(32)),
    Column("series_instance_uid", String(128)),
    Column("content_datetime", DateTime),
    Column("status", String(16), nullable=False, default="counted"),
    Column("summary", Json, nullable=False),
    Column("warnings", Json),
    Column("origin", Text),
    Column("sha256", String(64)),
    Column("received_at", DateTime, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", Integer, ForeignKey("studies.id"), nullable=False),
    Column("dose_object_id", Integer, ForeignKey("dose_objects.id"), nullable=False, index=True),
    Column("source", String(16), nullable=False),
    Column("counted", Boolean, nullable=False, default=True),
    *_columns_of(IrradiationEvent, skip=set()),
    UniqueConstraint("study_id", "source", "dedupe_key", name="uq_events_study_source_key"),
    Index("ix_events_modality_datetime", "modality", "datetime_started"),
    Index("ix_events_protocol", "protocol"),
    Index("ix_events_irradiation_event_uid", "irradiation_event_uid"),
)

accumulated_doses = Table(
    "accumulated_doses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dose_object_id", Integer, ForeignKey("dose_objects.id"), nullable=False, index=True),
    *_columns_of(AccumulatedDose, skip=set()),
)

administrations = Table(
    "administrations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", Integer, ForeignKey("studies.id"), nullable=False, index=True),
    Column("dose_object_id", Integer, ForeignKey("dose_objects.id"), nullable=False),
    Column("source", String(16), nullable=False),
    Column("counted", Boolean, nullable=False, default=True),
    *_columns_of(Administration, skip=set()),
    UniqueConstraint("study_id", "source", "event_uid", name="uq_administrations_study_source_uid"),
)

ingest_log = Table(
    "ingest_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("origin", Text),
    Column("sop_instance_uid", String(128)),
    Column("outcome", String(32), nullable=False),
    Column("reason", Text),
    Column("quarantine_path", Text),
)

characteristic_changes = Table(
    "characteristic_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_id", Integer, ForeignKey("studies.id"), nullable=False, index=True),
    Column("field", String(64), nullable=False),
    Column("old_value", Float),
    Column("new_value", Float),
    Column("source", Text),
    Column("changed_by", Text),
    Column("changed_at", DateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("actor", Text, nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text),
    Column("detail", Json),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Json),
)

__all__ = [
    "accumulated_doses",
    "administrations",
    "audit_log",
    "characteristic_changes",
    "device_observer_uids",
    "devices",
    "dose_objects",
    "events",
    "ingest_log",
    "patient_identities",
    "patients",
    "settings",
    "studies",
]
