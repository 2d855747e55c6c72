"""Small DICOM objects built in the tests: CT image headers, MPPS steps, files for storescu."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
MPPS = "1.2.840.10008.3.1.2.3.3"


def ct_image(
    study_uid: str | None = None,
    *,
    ctdivol: float = 12.5,
    station: str | None = "CT_ROOM_1",
    frames: int = 0,
    rows: int = 8,
    sop_uid: str | None = None,
    patient_id: str = "PAT-NET-1",
    serial: str | None = "SN-1",
) -> Dataset:
    """A CT image header with CTDIvol (and tiny or, with ``frames``, multi-frame pixel data)."""
    ds = Dataset()
    ds.SOPClassUID = UID(CT_IMAGE)
    ds.SOPInstanceUID = UID(sop_uid or generate_uid())
    ds.StudyInstanceUID = UID(study_uid or generate_uid())
    ds.SeriesInstanceUID = UID(generate_uid())
    ds.Modality = "CT"
    ds.StudyDate = "20250304"
    ds.StudyTime = "101500"
    ds.SeriesNumber = 2
    ds.AcquisitionNumber = 1
    ds.InstanceNumber = 1
    ds.PatientID = patient_id
    ds.PatientName = "Test^Network"
    ds.PatientSex = "F"
    ds.PatientAge = "054Y"
    ds.Manufacturer = "ACME"
    ds.ManufacturerModelName = "Scanner 9000"
    if serial:
        ds.DeviceSerialNumber = serial
    if station:
        ds.StationName = station
    ds.KVP = "120"
    ds.XRayTubeCurrent = 200
    ds.ExposureTime = 500
    ds.CTDIvol = ctdivol
    ds.ProtocolName = "THORAX"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = rows
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    if frames:
        ds.NumberOfFrames = frames
    ds.PixelData = bytes(rows * rows * max(frames, 1))
    return ds


def with_meta(ds: Dataset, transfer_syntax: str = ExplicitVRLittleEndian) -> Dataset:
    """Add file meta so the dataset can be written as a Part 10 file."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = UID(transfer_syntax)
    ds.file_meta = meta
    return ds


def write(ds: Dataset, path: Path, transfer_syntax: str = ExplicitVRLittleEndian) -> Path:
    """Write ``ds`` as a Part 10 file."""
    with_meta(ds, transfer_syntax).save_as(path, enforce_file_format=True)
    return path


def ct_batch(folder: Path, n: int, prefix: str = "ct") -> list[Path]:
    """``n`` CT image files of distinct studies (each a dose-relevant object)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write(ct_image(ctdivol=5.0 + i), folder / f"{prefix}_{i:04d}.dcm") for i in range(n)]


def mpps_create(
    study_uid: str,
    *,
    modality: str = "RF",
    status: str = "IN PROGRESS",
    station: str | None = "FLUORO_2",
    started: datetime = datetime(2025, 3, 4, 9, 30),
) -> Dataset:
    """An N-CREATE attribute list of a performed procedure step."""
    ds = Dataset()
    item = Dataset()
    item.StudyInstanceUID = study_uid
    item.AccessionNumber = "ACC-MPPS-1"
    item.RequestedProcedureDescription = "Barium swallow"
    item.ScheduledProcedureStepID = "SPS1"
    ds.ScheduledStepAttributesSequence = Sequence([item])
    ds.PatientName = "Test^Mpps"
    ds.PatientID = "PAT-MPPS-1"
    ds.PatientBirthDate = "19700501"
    ds.PatientSex = "M"
    ds.Modality = modality
    ds.PerformedStationAETitle = "FLUORO2"
    if station:
        ds.PerformedStationName = station
    ds.PerformedLocation = "Room 2"
    ds.PerformedProcedureStepStartDate = started.strftime("%Y%m%d")
    ds.PerformedProcedureStepStartTime = started.strftime("%H%M%S")
    ds.PerformedProcedureStepID = "PPS1"
    ds.PerformedProcedureStepDescription = "Swallow study"
    ds.PerformedProcedureStepStatus = status
    ds.PerformedSeriesSequence = Sequence([])
    return ds


def mpps_completion(
    *,
    fluoro_s: int | None = 95,
    dap_dgy_cm2: str | None = "123.4",
    exposures: int | None = 3,
    entrance_dgy: int | None = None,
    entrance_mgy: str | None = None,
    exposure_items: list[dict[str, object]] | None = None,
    ct_items: list[dict[str, object]] | None = None,
    status: str = "COMPLETED",
) -> Dataset:
    """An N-SET modification list completing a step with dose attributes."""
    ds = Dataset()
    ds.PerformedProcedureStepStatus = status
    ds.PerformedProcedureStepEndDate = "20250304"
    ds.PerformedProcedureStepEndTime = "094500"
    if fluoro_s is not None:
        ds.TotalTimeOfFluoroscopy = fluoro_s
    if exposures is not None:
        ds.TotalNumberOfExposures = exposures
    if dap_dgy_cm2 is not None:
        ds.ImageAndFluoroscopyAreaDoseProduct = dap_dgy_cm2
    if entrance_dgy is not None:
        ds.EntranceDose = entrance_dgy
    if entrance_mgy is not None:
        ds.EntranceDoseInmGy = entrance_mgy
    if exposure_items is not None:
        items = []
        for values in exposure_items:
            item = Dataset()
            for k, v in values.items():
                setattr(item, k, v)
            items.append(item)
        ds.ExposureDoseSequence = Sequence(items)
    if ct_items is not None:
        items = []
        for values in ct_items:
            item = Dataset()
            for k, v in values.items():
                setattr(item, k, v)
            items.append(item)
        ds.CTExposureSequence = Sequence(items)
    series = Dataset()
    series.SeriesInstanceUID = generate_uid()
    series.ProtocolName = "SWALLOW"
    series.ReferencedImageSequence = Sequence([])
    ds.PerformedSeriesSequence = Sequence([series])
    return ds
