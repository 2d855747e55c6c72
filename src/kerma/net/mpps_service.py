"""MPPS SCP state: steps as received (N-CREATE, N-SET) and their dose data once COMPLETED.

Steps live in ``mpps_steps`` (attributes as DICOM JSON) until they reach a final state; a COMPLETED step
with dose attributes becomes a dose object through the ingest pipeline (source MPPS).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from kerma.domain.model import NotDoseRelevant, RejectedInput
from kerma.ingest.pipeline import Parsed
from kerma.net.mpps import (
    COMPLETED,
    FINAL_STATES,
    MPPS_SOP_CLASS,
    merge_set,
    mpps_to_report,
    step_status,
    step_study_uid,
)
from kerma.net.receive import Receiver, Status
from kerma.store.schema.core import devices, studies
from kerma.store.schema.net import mpps_steps
from kerma.store.writer import Outcome, SaveResult, utcnow

log = logging.getLogger("kerma.net.mpps")

# DIMSE statuses of the MPPS SOP class (PS3.4 F.7.2, PS3.7 C).
PROCESSING_FAILURE = 0x0110
DUPLICATE_INSTANCE = 0x0111
NO_SUCH_INSTANCE = 0x0112
MAY_NO_LONGER_BE_UPDATED = 0xA710  # Error ID with 0x0110


@dataclass(slots=True)
class StepResult:
    """The DIMSE status to answer and what happened to the step's dose data."""

    status: int
    comment: str | None = None
    error_id: int | None = None
    dose_outcome: str | None = None

    def as_status(self) -> int | Dataset:
        """Plain status, or a status dataset carrying the error comment."""
        if self.comment is None and self.error_id is None:
            return self.status
        ds = Dataset()
        ds.Status = self.status
        if self.comment:
            ds.ErrorComment = self.comment[:64]
        if self.error_id is not None:
            ds.ErrorID = self.error_id
        return ds


def _to_json(ds: Dataset) -> dict[str, Any]:
    return ds.to_json_dict()


def _from_json(data: dict[str, Any]) -> Dataset:
    return Dataset.from_json(data)


def encode_step(ds: Dataset, sop_instance_uid: str) -> bytes:
    """A step as a DICOM file (for the quarantine folder)."""
    out = copy.deepcopy(ds)
    out.SOPClassUID = UID(MPPS_SOP_CLASS)
    out.SOPInstanceUID = UID(sop_instance_uid)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(MPPS_SOP_CLASS)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    out.file_meta = meta
    buf = BytesIO()
    out.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


class MppsService:
    """N-CREATE / N-SET of Modality Performed Procedure Steps."""

    def __init__(self, engine: Engine, receiver: Receiver) -> None:
        self.engine = engine
        self.receiver = receiver

    def create(self, sop_instance_uid: str, attributes: Dataset, calling_ae: str | None) -> StepResult:
        """Record a new step; a step created already COMPLETED is processed at once."""
        status = step_status(attributes) or "IN PROGRESS"
        now = utcnow()
        try:
            with self.receiver.write_lock, self.engine.begin() as conn:
                conn.execute(
                    mpps_steps.insert().values(
                        sop_instance_uid=sop_instance_uid,
                        status="IN PROGRESS" if status in FINAL_STATES else status,
                        study_instance_uid=step_study_uid(attributes),
                        calling_ae_title=(calling_ae or "")[:16] or None,
                        attributes=_to_json(attributes),
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            return StepResult(DUPLICATE_INSTANCE, "performed procedure step already exists")
        except Exception as exc:
            log.error("MPPS N-CREATE %s not stored: %s", sop_instance_uid, exc)
            return StepResult(PROCESSING_FAILURE, f"cannot store the step ({type(exc).__name__})")
        if status in FINAL_STATES:
            return self._finish(sop_instance_uid, attributes, status, calling_ae)
        return StepResult(int(Status.SUCCESS))

    def set(
        self, sop_instance_uid: str, modification: Dataset, calling_ae: str | None
    ) -> tuple[StepResult, Dataset | None]:
        """Apply an N-SET; when the step becomes COMPLETED its dose data is stored."""
        try:
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(mpps_steps.c.status, mpps_steps.c.attributes).where(
                        mpps_steps.c.sop_instance_uid == sop_instance_uid
                    )
                ).first()
        except Exception as exc:
            return StepResult(PROCESSING_FAILURE, f"cannot read the step ({type(exc).__name__})"), None
        if row is None:
            return StepResult(NO_SUCH_INSTANCE, "no such performed procedure step"), None
        if row.status in FINAL_STATES:
            return (
                StepResult(
                    PROCESSING_FAILURE,
                    "Performed Procedure Step Object may no longer be updated",
                    MAY_NO_LONGER_BE_UPDATED,
                ),
                None,
            )
        merged = merge_set(_from_json(row.attributes), modification)
        status = step_status(merged) or row.status
        if status in FINAL_STATES:
            return self._finish(sop_instance_uid, merged, status, calling_ae), merged
        try:
            with self.receiver.write_lock, self.engine.begin() as conn:
                conn.execute(
                    update(mpps_steps)
                    .where(mpps_steps.c.sop_instance_uid == sop_instance_uid)
                    .values(
                        status=status,
                        attributes=_to_json(merged),
                        updated_at=utcnow(),
                        study_instance_uid=step_study_uid(merged),
                    )
                )
        except Exception as exc:
            return StepResult(PROCESSING_FAILURE, f"cannot store the step ({type(exc).__name__})"), None
        return StepResult(int(Status.SUCCESS)), merged

    def _finish(self, uid: str, ds: Dataset, status: str, calling_ae: str | None) -> StepResult:
        """Store the dose data of a final step, then mark the step final (a failure leaves it open)."""
        origin = f"mpps:{(calling_ae or 'unknown').replace('/', '_')}/{uid}"
        outcome: str
        if status == COMPLETED:
            try:
                report = mpps_to_report(ds, uid)
            except NotDoseRelevant as exc:
                parsed = Parsed(origin, None, SaveResult(Outcome.NOT_DOSE_RELEVANT, uid, reason=str(exc)))
                received = self.receiver.store_parsed(parsed, None)
            except RejectedInput as exc:
                parsed = Parsed(origin, None, SaveResult(Outcome.REJECTED, uid, reason=f"{origin}: {exc}"))
                received = self.receiver.store_parsed(parsed, encode_step(ds, uid))
            else:
                self._adopt_study_device(report)
                received = self.receiver.receive_report(report, calling_ae, origin)
            if received.status == Status.OUT_OF_RESOURCES:
                return StepResult(PROCESSING_FAILURE, "dose data not stored; please retry")
            outcome = received.outcome
        else:
            outcome = "discontinued"
        try:
            with self.receiver.write_lock, self.engine.begin() as conn:
                conn.execute(
                    update(mpps_steps)
                    .where(mpps_steps.c.sop_instance_uid == uid)
                    .values(
                        status=status,
                        attributes=_to_json(ds),
                        dose_outcome=outcome,
                        updated_at=utcnow(),
                        study_instance_uid=step_study_uid(ds),
                    )
                )
        except Exception as exc:
            return StepResult(PROCESSING_FAILURE, f"cannot store the step ({type(exc).__name__})")
        # A rejected dose part is quarantined with its reason; the step itself is recorded and answered
        # with success so the modality's workflow is not broken by Kerma's view of the dose data.
        return StepResult(int(Status.SUCCESS), dose_outcome=outcome)

    def _adopt_study_device(self, report: Any) -> None:
        """Describe the room as the study's stored objects do when the step itself names only a station.

        MPPS carries no manufacturer, model or serial number, so on its own it would be matched to a
        room of its own; borrowing the study's room keeps per-room statistics and lists in one place.
        """
        d = report.device
        if d.manufacturer or d.model or d.serial_number or d.device_observer_uid:
            return
        try:
            with self.engine.connect() as conn:
                row = (
                    conn.execute(
                        select(devices)
                        .select_from(studies.join(devices, devices.c.id == studies.c.device_id))
                        .where(studies.c.study_instance_uid == report.study.study_instance_uid)
                    )
                    .mappings()
                    .first()
                )
        except Exception:
            return
        if row is None:
            return
        for name in (
            "manufacturer",
            "model",
            "serial_number",
            "device_observer_uid",
            "institution",
            "department",
        ):
            if getattr(d, name) in (None, "") and row[name]:
                setattr(d, name, row[name])
        if row["station_name"]:
            d.station_name = row["station_name"]
