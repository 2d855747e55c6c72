"""Every file gets one outcome; bad input is rejected with a reason and quarantined, never dropped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from sqlalchemy import func, select

from kerma.config import Settings
from kerma.ingest.pipeline import Ingestor
from kerma.store import open_store
from kerma.store.schema.core import ingest_log, studies
from tests.conftest import corpus_path


def _ingestor(url: str, tmp_path: Path) -> Ingestor:
    return Ingestor(open_store(url), Settings(quarantine_dir=tmp_path / "q", batch_size=3))


def _dx_image(path: Path, *, preamble: bool = True, charset: str | None = None, station: str = "DX1") -> Path:
    ds = pydicom.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ds.SOPInstanceUID = generate_uid(entropy_srcs=[str(path)])
    ds.StudyInstanceUID = generate_uid(entropy_srcs=[str(path), "study"])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[str(path), "series"])
    ds.Modality = "DX"
    ds.StudyDate, ds.StudyTime = "20250102", "101500"
    ds.PatientID, ds.PatientName = "P1", "Doe^John"
    ds.Manufacturer, ds.StationName, ds.DeviceSerialNumber = "ACME", station, "SN1"
    if charset:
        ds.SpecificCharacterSet = charset
    ds.ImageAndFluoroscopyAreaDoseProduct = "1.53"  # dGy·cm² -> 0.153 Gy·cm²
    ds.KVP = "70"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=preamble)
    return path


def test_bad_inputs_are_rejected_with_reasons_and_quarantined(sqlite_url: str, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "notes.txt").write_text("not dicom at all")
    good = _dx_image(src / "good.dcm")
    data = good.read_bytes()
    (src / "truncated.dcm").write_bytes(data[: len(data) // 2])
    (src / "empty.dcm").write_bytes(b"")
    ing = _ingestor(sqlite_url, tmp_path)
    report = ing.import_paths([src, tmp_path / "missing.dcm"])
    assert report.files == 5
    assert report.stored == 1
    reasons = {Path(r["file"]).name: r["reason"] for r in report.rejected}
    assert set(reasons) == {"notes.txt", "truncated.dcm", "empty.dcm", "missing.dcm"}
    assert "not a DICOM file" in reasons["notes.txt"]
    assert "no such file" in reasons["missing.dcm"]
    for name, reason in reasons.items():
        assert name in reason  # the reason names the file
    quarantined = sorted(p.name for p in (tmp_path / "q").iterdir())
    # Every rejection leaves its reason; the missing file has nothing to copy beside it.
    assert sum(n.endswith(".reason.json") for n in quarantined) == 4
    note = json.loads(next((tmp_path / "q").glob("*notes.txt.reason.json")).read_text())
    assert "not a DICOM file" in note["reason"]
    with ing.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ingest_log)) == 5


def test_dicom_without_preamble_and_charsets(sqlite_url: str, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    _dx_image(src / "raw.dcm", preamble=False)
    _dx_image(src / "latin1.dcm", charset="ISO_IR 100", station="Röntgen Süd")
    _dx_image(src / "utf8.dcm", charset="ISO_IR 192", station="Rayos X – Sala 2")
    ing = _ingestor(sqlite_url, tmp_path)
    report = ing.import_paths([src])
    assert report.rejected == [] and report.stored == 3
    with ing.engine.connect() as conn:
        dap = conn.execute(select(studies.c.total_dap_gy_cm2)).scalars().all()
    assert dap == pytest.approx([0.153] * 3)  # 1.53 dGy·cm² x 0.1


def test_reimport_changes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    _dx_image(src / "a.dcm")
    ing = _ingestor(sqlite_url, tmp_path)
    assert ing.import_paths([src]).stored == 1
    again = ing.import_paths([src])
    assert again.stored == 0 and again.duplicates == 1


def test_whole_corpus_imports_without_rejection(sqlite_url: str, tmp_path: Path) -> None:
    corpus = corpus_path()
    ing = _ingestor(sqlite_url, tmp_path)
    report = ing.import_paths([corpus])
    assert report.rejected == []
    assert report.files == len([p for p in corpus.iterdir() if p.is_file()])
    # The two Artis Zee files share a SOP Instance UID; the second is a duplicate, not an overwrite.
    assert report.duplicates >= 1
    # ESR_non-dose.dcm and the secondary captures are not dose-relevant.
    assert report.not_dose_relevant >= 1


def test_stored_file_can_be_moved_without_losing_data(sqlite_url: str, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    f = _dx_image(src / "a.dcm")
    ing = _ingestor(sqlite_url, tmp_path)
    ing.import_paths([src])
    shutil.rmtree(src)
    assert not f.exists()
    with ing.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(studies)) == 1
