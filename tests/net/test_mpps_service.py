"""MPPS steps in the store (SQLite and PostgreSQL): create, update, complete, refuse late updates."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from sqlalchemy import select

from kerma.config import load_settings
from kerma.net.mpps_service import DUPLICATE_INSTANCE, NO_SUCH_INSTANCE, PROCESSING_FAILURE, MppsService
from kerma.net.receive import Receiver
from kerma.store import open_store
from kerma.store.schema.core import devices, dose_objects, studies
from kerma.store.schema.net import mpps_steps
from tests.net.builders import ct_image, mpps_completion, mpps_create, write


def test_step_lifecycle(db_url: str) -> None:
    engine = open_store(db_url)
    service = MppsService(engine, Receiver(engine, load_settings(), channel="mpps"))
    study, step = str(generate_uid()), str(generate_uid())
    assert service.create(step, mpps_create(study), "RF2").status == 0
    assert service.create(step, mpps_create(study), "RF2").status == DUPLICATE_INSTANCE
    partial = Dataset()
    partial.PerformedLocation = "Room 9"
    result, merged = service.set(step, partial, "RF2")
    assert result.status == 0 and merged is not None and merged.PerformedLocation == "Room 9"
    result, _ = service.set(step, mpps_completion(dap_dgy_cm2="50"), "RF2")
    assert (result.status, result.dose_outcome) == (0, "stored")
    late, _ = service.set(step, mpps_completion(), "RF2")
    assert late.status == PROCESSING_FAILURE and late.error_id == 0xA710
    status = late.as_status()
    assert isinstance(status, Dataset) and status.ErrorID == 0xA710
    assert service.set(str(generate_uid()), partial, "RF2")[0].status == NO_SUCH_INSTANCE
    with engine.connect() as conn:
        row = conn.execute(select(mpps_steps)).mappings().one()
        total = conn.execute(select(studies.c.total_dap_gy_cm2)).scalar_one()
    assert row["status"] == "COMPLETED" and row["study_instance_uid"] == study
    assert row["calling_ae_title"] == "RF2"
    assert Dataset.from_json(row["attributes"]).PerformedLocation == "Room 9"
    assert total == pytest.approx(5.0)  # 50 dGy·cm²
    engine.dispose()


def test_step_borrows_the_room_of_its_study(sqlite_url: str, tmp_path: Path) -> None:
    """A step names only a station; when its study is known, it is put on the study's room."""
    engine = open_store(sqlite_url)
    receiver = Receiver(engine, load_settings())
    image = ct_image(station="CT-7")
    receiver.receive_file(write(image, tmp_path / "ct.dcm"), "CT7")
    service = MppsService(engine, Receiver(engine, load_settings(), channel="mpps"))
    step = str(generate_uid())
    service.create(step, mpps_create(str(image.StudyInstanceUID), modality="CT", station="MPPS-NAME"), "CT7")
    service.set(step, mpps_completion(fluoro_s=None, dap_dgy_cm2=None, ct_items=[{"CTDIvol": 4.0}]), "CT7")
    with engine.connect() as conn:
        n_devices = conn.execute(select(devices.c.id)).all()
        sources = {r[0]: r[1] for r in conn.execute(select(dose_objects.c.source, dose_objects.c.device_id))}
    assert len(n_devices) == 1
    assert sources["mpps"] == sources["header"]
    engine.dispose()
