"""Tables of the DICOM node: known senders, PACS nodes, pull progress and MPPS steps."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kerma.store.schema.base import Json, metadata

# Calling AE titles Kerma knows: allowed senders in restricted mode, and how to name their room.
dicom_senders = Table(
    "dicom_senders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ae_title", String(16), nullable=False, unique=True),
    Column("station_name", Text),
    Column("override_station_name", Boolean, nullable=False, default=False),
    Column("institution", Text),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("comment", Text),
    Column("created_at", DateTime, nullable=False),
)

# PACS (or any Q/R SCP) that history is pulled from.
pacs_nodes = Table(
    "pacs_nodes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("host", Text, nullable=False),
    Column("port", Integer, nullable=False),
    Column("ae_title", String(16), nullable=False),
    Column("retrieve_method", String(8), nullable=False, default="get"),
    Column("move_destination", String(16)),
    Column("last_pulled_to", Date),
    Column("created_at", DateTime, nullable=False),
)

# One row per series a pull has finished (or failed), so a re-run skips what is done.
pull_progress = Table(
    "pull_progress",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("node_id", Integer, ForeignKey("pacs_nodes.id"), nullable=False),
    Column("study_instance_uid", String(128), nullable=False),
    Column("series_instance_uid", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("instances", Integer, nullable=False, default=0),
    Column("detail", Text),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("node_id", "series_instance_uid"),
)

# Modality Performed Procedure Steps as received (N-CREATE, then N-SET until COMPLETED/DISCONTINUED).
mpps_steps = Table(
    "mpps_steps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sop_instance_uid", String(128), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("study_instance_uid", String(128), index=True),
    Column("calling_ae_title", String(16)),
    Column("attributes", Json, nullable=False),
    Column("dose_outcome", String(32)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

__all__ = ["dicom_senders", "mpps_steps", "pacs_nodes", "pull_progress"]
