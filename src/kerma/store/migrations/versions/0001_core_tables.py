"""core tables

Revision ID: 0001_core
Revises:
Create Date: 2026-11-25 07:55:24.774029
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_core"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_key", sa.String(length=400), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("manufacturer", sa.Text(), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("station_name", sa.Text(), nullable=True),
        sa.Column("serial_number", sa.Text(), nullable=True),
        sa.Column("device_observer_uid", sa.Text(), nullable=True),
        sa.Column("institution", sa.Text(), nullable=True),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("calling_ae_title", sa.Text(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["devices.id"], name=op.f("fk_devices_merged_into_id_devices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("match_key", name=op.f("uq_devices_match_key")),
    )
    op.create_table(
        "ingest_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("sop_instance_uid", sa.String(length=128), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("quarantine_path", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_log")),
    )
    with op.batch_alter_table("ingest_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_log_at"), ["at"], unique=False)

    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_key", sa.String(length=64), nullable=False),
        sa.Column("is_phantom", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("patient_key", name=op.f("uq_patients_patient_key")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "device_observer_uids",
        sa.Column("uid", sa.String(length=128), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_device_observer_uids_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_device_observer_uids")),
    )
    with op.batch_alter_table("device_observer_uids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_observer_uids_device_id"), ["device_id"], unique=False)

    op.create_table(
        "patient_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("id_value", sa.Text(), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_identities_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_identities")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_patient_identities_patient_id")),
    )
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_instance_uid", sa.String(length=128), nullable=False),
        sa.Column("accession_number", sa.Text(), nullable=True),
        sa.Column("study_datetime", sa.DateTime(), nullable=True),
        sa.Column("modality", sa.String(length=16), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("study_description", sa.Text(), nullable=True),
        sa.Column("series_description", sa.Text(), nullable=True),
        sa.Column("requested_procedure", sa.Text(), nullable=True),
        sa.Column("performed_procedure", sa.Text(), nullable=True),
        sa.Column("patient_age_years", sa.Float(), nullable=True),
        sa.Column("patient_sex", sa.String(length=1), nullable=True),
        sa.Column("patient_weight_kg", sa.Float(), nullable=True),
        sa.Column("patient_height_m", sa.Float(), nullable=True),
        sa.Column("is_phantom", sa.Boolean(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("total_dlp_mgy_cm", sa.Float(), nullable=True),
        sa.Column("total_dap_gy_cm2", sa.Float(), nullable=True),
        sa.Column("total_kar_mgy", sa.Float(), nullable=True),
        sa.Column("total_fluoro_time_s", sa.Float(), nullable=True),
        sa.Column("total_fluoro_dap_gy_cm2", sa.Float(), nullable=True),
        sa.Column("total_acquisition_dap_gy_cm2", sa.Float(), nullable=True),
        sa.Column("total_agd_mgy", sa.Float(), nullable=True),
        sa.Column("administered_activity_mbq", sa.Float(), nullable=True),
        sa.Column("dose_source", sa.String(length=16), nullable=True),
        sa.Column(
            "flags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_studies_device_id_devices")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_studies_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studies")),
        sa.UniqueConstraint("study_instance_uid", name=op.f("uq_studies_study_instance_uid")),
    )
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_studies_accession_number"), ["accession_number"], unique=False)
        batch_op.create_index("ix_studies_device_datetime", ["device_id", "study_datetime"], unique=False)
        batch_op.create_index(batch_op.f("ix_studies_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_studies_modality"), ["modality"], unique=False)
        batch_op.create_index("ix_studies_modality_datetime", ["modality", "study_datetime"], unique=False)
        batch_op.create_index(batch_op.f("ix_studies_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_studies_study_datetime"), ["study_datetime"], unique=False)
        batch_op.create_index(batch_op.f("ix_studies_study_description"), ["study_description"], unique=False)

    op.create_table(
        "characteristic_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.Float(), nullable=True),
        sa.Column("new_value", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_characteristic_changes_study_id_studies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_characteristic_changes")),
    )
    with op.batch_alter_table("characteristic_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_characteristic_changes_study_id"), ["study_id"], unique=False)

    op.create_table(
        "dose_objects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sop_instance_uid", sa.String(length=128), nullable=False),
        sa.Column("sop_class_uid", sa.String(length=128), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("series_instance_uid", sa.String(length=128), nullable=True),
        sa.Column("content_datetime", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "warnings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_dose_objects_device_id_devices")
        ),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"], name=op.f("fk_dose_objects_study_id_studies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dose_objects")),
        sa.UniqueConstraint("sop_instance_uid", name=op.f("uq_dose_objects_sop_instance_uid")),
    )
    with op.batch_alter_table("dose_objects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dose_objects_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dose_objects_study_id"), ["study_id"], unique=False)

    op.create_table(
        "accumulated_doses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dose_object_id", sa.Integer(), nullable=False),
        sa.Column("plane", sa.Text(), nullable=True),
        sa.Column("dap_total_gy_cm2", sa.Float(), nullable=True),
        sa.Column("kar_total_mgy", sa.Float(), nullable=True),
        sa.Column("fluoro_dap_total_gy_cm2", sa.Float(), nullable=True),
        sa.Column("fluoro_kar_total_mgy", sa.Float(), nullable=True),
        sa.Column("fluoro_time_total_s", sa.Float(), nullable=True),
        sa.Column("acquisition_dap_total_gy_cm2", sa.Float(), nullable=True),
        sa.Column("acquisition_kar_total_mgy", sa.Float(), nullable=True),
        sa.Column("acquisition_time_total_s", sa.Float(), nullable=True),
        sa.Column("total_frames", sa.Float(), nullable=True),
        sa.Column("total_pulses", sa.Float(), nullable=True),
        sa.Column("agd_left_mgy", sa.Float(), nullable=True),
        sa.Column("agd_right_mgy", sa.Float(), nullable=True),
        sa.Column("agd_both_mgy", sa.Float(), nullable=True),
        sa.Column("dlp_total_mgy_cm", sa.Float(), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=True),
        sa.Column("effective_dose_total_msv", sa.Float(), nullable=True),
        sa.Column("calibration_factor", sa.Float(), nullable=True),
        sa.Column("reference_point_definition", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dose_object_id"],
            ["dose_objects.id"],
            name=op.f("fk_accumulated_doses_dose_object_id_dose_objects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accumulated_doses")),
    )
    with op.batch_alter_table("accumulated_doses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accumulated_doses_dose_object_id"), ["dose_object_id"], unique=False
        )

    op.create_table(
        "administrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("dose_object_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("event_uid", sa.Text(), nullable=True),
        sa.Column("radionuclide", sa.Text(), nullable=True),
        sa.Column("radionuclide_half_life_s", sa.Float(), nullable=True),
        sa.Column("pharmaceutical", sa.Text(), nullable=True),
        sa.Column("activity_mbq", sa.Float(), nullable=True),
        sa.Column("route", sa.Text(), nullable=True),
        sa.Column("start_datetime", sa.DateTime(), nullable=True),
        sa.Column("stop_datetime", sa.DateTime(), nullable=True),
        sa.Column("pre_administration_activity_mbq", sa.Float(), nullable=True),
        sa.Column("post_administration_activity_mbq", sa.Float(), nullable=True),
        sa.Column(
            "organ_doses",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["dose_object_id"],
            ["dose_objects.id"],
            name=op.f("fk_administrations_dose_object_id_dose_objects"),
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_administrations_study_id_studies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_administrations")),
        sa.UniqueConstraint("study_id", "source", "event_uid", name="uq_administrations_study_source_uid"),
    )
    with op.batch_alter_table("administrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_administrations_study_id"), ["study_id"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("dose_object_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("irradiation_event_uid", sa.Text(), nullable=True),
        sa.Column("modality", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.Text(), nullable=True),
        sa.Column("event_type", sa.Text(), nullable=True),
        sa.Column("datetime_started", sa.DateTime(), nullable=True),
        sa.Column("protocol", sa.Text(), nullable=True),
        sa.Column("target_region", sa.Text(), nullable=True),
        sa.Column("laterality", sa.Text(), nullable=True),
        sa.Column("acquisition_plane", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("ctdivol_mgy", sa.Float(), nullable=True),
        sa.Column("dlp_mgy_cm", sa.Float(), nullable=True),
        sa.Column("ctdi_phantom", sa.Text(), nullable=True),
        sa.Column("scanning_length_mm", sa.Float(), nullable=True),
        sa.Column("exposed_range_mm", sa.Float(), nullable=True),
        sa.Column("pitch_factor", sa.Float(), nullable=True),
        sa.Column("nominal_single_collimation_mm", sa.Float(), nullable=True),
        sa.Column("nominal_total_collimation_mm", sa.Float(), nullable=True),
        sa.Column("number_of_sources", sa.Integer(), nullable=True),
        sa.Column("exposure_time_per_rotation_s", sa.Float(), nullable=True),
        sa.Column("max_tube_current_ma", sa.Float(), nullable=True),
        sa.Column("water_equivalent_diameter_mm", sa.Float(), nullable=True),
        sa.Column("ssde_mgy", sa.Float(), nullable=True),
        sa.Column("effective_dose_msv", sa.Float(), nullable=True),
        sa.Column("dose_check_alert", sa.Boolean(), nullable=True),
        sa.Column("dose_check_notification", sa.Boolean(), nullable=True),
        sa.Column(
            "dose_check",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("kvp", sa.Float(), nullable=True),
        sa.Column("tube_current_ma", sa.Float(), nullable=True),
        sa.Column("exposure_time_s", sa.Float(), nullable=True),
        sa.Column("exposure_mas", sa.Float(), nullable=True),
        sa.Column("dap_gy_cm2", sa.Float(), nullable=True),
        sa.Column("kar_mgy", sa.Float(), nullable=True),
        sa.Column("fluoro_time_s", sa.Float(), nullable=True),
        sa.Column("irradiation_duration_s", sa.Float(), nullable=True),
        sa.Column("fluoro_mode", sa.Text(), nullable=True),
        sa.Column("pulse_rate_per_s", sa.Float(), nullable=True),
        sa.Column("pulse_width_ms", sa.Float(), nullable=True),
        sa.Column("number_of_pulses", sa.Float(), nullable=True),
        sa.Column("reference_point_definition", sa.Text(), nullable=True),
        sa.Column("distance_source_to_rp_mm", sa.Float(), nullable=True),
        sa.Column("distance_source_to_detector_mm", sa.Float(), nullable=True),
        sa.Column("distance_source_to_isocenter_mm", sa.Float(), nullable=True),
        sa.Column("distance_source_to_patient_mm", sa.Float(), nullable=True),
        sa.Column("positioner_primary_angle_deg", sa.Float(), nullable=True),
        sa.Column("positioner_secondary_angle_deg", sa.Float(), nullable=True),
        sa.Column("positioner_primary_end_angle_deg", sa.Float(), nullable=True),
        sa.Column("positioner_secondary_end_angle_deg", sa.Float(), nullable=True),
        sa.Column("column_angulation_deg", sa.Float(), nullable=True),
        sa.Column("table_longitudinal_position_mm", sa.Float(), nullable=True),
        sa.Column("table_lateral_position_mm", sa.Float(), nullable=True),
        sa.Column("table_height_position_mm", sa.Float(), nullable=True),
        sa.Column("collimated_field_area_cm2", sa.Float(), nullable=True),
        sa.Column("collimated_field_height_mm", sa.Float(), nullable=True),
        sa.Column("collimated_field_width_mm", sa.Float(), nullable=True),
        sa.Column("filters", sa.Text(), nullable=True),
        sa.Column("focal_spot_mm", sa.Float(), nullable=True),
        sa.Column("grid", sa.Text(), nullable=True),
        sa.Column("exposure_index", sa.Float(), nullable=True),
        sa.Column("target_exposure_index", sa.Float(), nullable=True),
        sa.Column("deviation_index", sa.Float(), nullable=True),
        sa.Column("agd_mgy", sa.Float(), nullable=True),
        sa.Column("entrance_dose_mgy", sa.Float(), nullable=True),
        sa.Column("compression_thickness_mm", sa.Float(), nullable=True),
        sa.Column("compression_force_n", sa.Float(), nullable=True),
        sa.Column("half_value_layer_mm", sa.Float(), nullable=True),
        sa.Column("anode_target", sa.Text(), nullable=True),
        sa.Column("view", sa.Text(), nullable=True),
        sa.Column("body_part", sa.Text(), nullable=True),
        sa.Column("sop_instance_uid", sa.Text(), nullable=True),
        sa.Column("series_instance_uid", sa.Text(), nullable=True),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["dose_object_id"], ["dose_objects.id"], name=op.f("fk_events_dose_object_id_dose_objects")
        ),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"], name=op.f("fk_events_study_id_studies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("study_id", "source", "dedupe_key", name="uq_events_study_source_key"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_dose_object_id"), ["dose_object_id"], unique=False)
        batch_op.create_index("ix_events_irradiation_event_uid", ["irradiation_event_uid"], unique=False)
        batch_op.create_index("ix_events_modality_datetime", ["modality", "datetime_started"], unique=False)
        batch_op.create_index("ix_events_protocol", ["protocol"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_protocol")
        batch_op.drop_index("ix_events_modality_datetime")
        batch_op.drop_index("ix_events_irradiation_event_uid")
        batch_op.drop_index(batch_op.f("ix_events_dose_object_id"))

    op.drop_table("events")
    with op.batch_alter_table("administrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_administrations_study_id"))

    op.drop_table("administrations")
    with op.batch_alter_table("accumulated_doses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accumulated_doses_dose_object_id"))

    op.drop_table("accumulated_doses")
    with op.batch_alter_table("dose_objects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dose_objects_study_id"))
        batch_op.drop_index(batch_op.f("ix_dose_objects_device_id"))

    op.drop_table("dose_objects")
    with op.batch_alter_table("characteristic_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_characteristic_changes_study_id"))

    op.drop_table("characteristic_changes")
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_studies_study_description"))
        batch_op.drop_index(batch_op.f("ix_studies_study_datetime"))
        batch_op.drop_index(batch_op.f("ix_studies_patient_id"))
        batch_op.drop_index("ix_studies_modality_datetime")
        batch_op.drop_index(batch_op.f("ix_studies_modality"))
        batch_op.drop_index(batch_op.f("ix_studies_device_id"))
        batch_op.drop_index("ix_studies_device_datetime")
        batch_op.drop_index(batch_op.f("ix_studies_accession_number"))

    op.drop_table("studies")
    op.drop_table("patient_identities")
    with op.batch_alter_table("device_observer_uids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_observer_uids_device_id"))

    op.drop_table("device_observer_uids")
    op.drop_table("settings")
    op.drop_table("patients")
    with op.batch_alter_table("ingest_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_log_at"))

    op.drop_table("ingest_log")
    op.drop_table("devices")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
