"""From a received file to a stored object and the status answered (no network: the handler's logic)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, JPEGBaseline8Bit
from sqlalchemy import Engine, event, select, text

from kerma.config import load_settings
from kerma.net.config import Sender, SenderDirectory, add_sender
from kerma.net.receive import Receiver, Status, read_received
from kerma.store import make_engine, open_store
from kerma.store.schema.core import devices, dose_objects, ingest_log, studies
from tests.net.builders import ct_image, write


@pytest.fixture
def lite(sqlite_url: str) -> Engine:
    """SQLite only: status mapping does not depend on the database."""
    eng = open_store(sqlite_url)
    yield eng  # type: ignore[misc]
    eng.dispose()


def receiver(engine: Engine, **kwargs: object) -> Receiver:
    return Receiver(engine, load_settings(), **kwargs)  # type: ignore[arg-type]


def malformed(data: bytes) -> bytes:
    """Insert an undefined-length sequence whose item is never closed before PatientName."""
    cut = data.index(b"\x10\x00\x10\x00")
    broken = (
        b"\x08\x00\x15\x11SQ\x00\x00\xff\xff\xff\xff"  # (0008,1115) SQ, undefined length
        b"\xfe\xff\x00\xe0\xff\xff\xff\xff"  # item of undefined length, never delimited
        b"\x08\x00\x00\x01SH\x04\x00abcd"
    )
    return data[:cut] + broken + data[cut:]


def quarantined(tmp_path: Path) -> list[dict[str, str]]:
    return [json.loads(p.read_text()) for p in sorted((tmp_path / "quarantine").glob("*.reason.json"))]


def test_image_is_stored_and_answered_success(engine: Engine, tmp_path: Path) -> None:
    ds = ct_image(ctdivol=12.5)
    path = write(ds, tmp_path / "ct.dcm")
    got = receiver(engine).receive_file(path, "CT_AE", ds.SOPClassUID, ds.SOPInstanceUID)
    assert got.status == Status.SUCCESS and got.outcome == "stored"
    with engine.connect() as conn:
        row = conn.execute(select(dose_objects.c.sha256, dose_objects.c.origin)).one()
        dev = conn.execute(select(devices.c.calling_ae_title)).scalar_one()
        log = conn.execute(select(ingest_log.c.channel, ingest_log.c.outcome)).one()
    header = path.read_bytes()[: path.read_bytes().index(b"\xe0\x7f\x10\x00")]
    assert row.sha256 == hashlib.sha256(header).hexdigest()  # hashed without the pixel data
    assert row.origin == f"dicom:CT_AE/{ds.SOPInstanceUID}"
    assert dev == "CT_AE"
    assert tuple(log) == ("dicom", "stored")


def test_duplicate_is_success_and_stores_nothing_new(engine: Engine, tmp_path: Path) -> None:
    ds = ct_image()
    path = write(ds, tmp_path / "ct.dcm")
    r = receiver(engine)
    assert r.receive_file(path, "A").outcome == "stored"
    again = r.receive_file(path, "A")
    assert (again.status, again.outcome) == (Status.SUCCESS, "duplicate")
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from dose_objects")).scalar() == 1


def test_not_dose_relevant_is_success(lite: Engine, tmp_path: Path) -> None:
    ds = ct_image()
    for kw in ("CTDIvol", "KVP", "XRayTubeCurrent", "ExposureTime"):
        delattr(ds, kw)
    got = receiver(lite).receive_file(write(ds, tmp_path / "x.dcm"), "A")
    assert (got.status, got.outcome) == (Status.SUCCESS, "not_dose_relevant")


def test_undecodable_bytes_are_quarantined_cannot_understand(lite: Engine, tmp_path: Path) -> None:
    ds = ct_image()
    path = write(ds, tmp_path / "bad.dcm")
    path.write_bytes(malformed(path.read_bytes()))
    got = receiver(lite).receive_file(path, "A", ds.SOPClassUID, ds.SOPInstanceUID)
    assert got.status == Status.CANNOT_UNDERSTAND
    [q] = quarantined(tmp_path)
    assert "dicom:A/" in q["origin"]
    with lite.connect() as conn:
        assert conn.execute(select(ingest_log.c.outcome)).scalar_one() == "rejected"


def test_identity_mismatch_is_dataset_does_not_match(lite: Engine, tmp_path: Path) -> None:
    ds = ct_image()
    got = receiver(lite).receive_file(write(ds, tmp_path / "x.dcm"), "A", ds.SOPClassUID, "1.2.3.999")
    assert got.status == Status.DATASET_MISMATCH
    assert "differs" in (got.reason or "")
    assert len(quarantined(tmp_path)) == 1


def test_missing_study_uid_is_rejected_with_reason(lite: Engine, tmp_path: Path) -> None:
    ds = ct_image()
    del ds.StudyInstanceUID
    got = receiver(lite).receive_file(write(ds, tmp_path / "x.dcm"), "A")
    assert got.status == Status.DATASET_MISMATCH
    [q] = quarantined(tmp_path)
    assert "StudyInstanceUID" in q["reason"]


def test_parser_crash_is_cannot_understand(
    lite: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(_ds: object) -> None:
        raise ZeroDivisionError("no rule for this")

    monkeypatch.setattr("kerma.ingest.pipeline.parse_dataset", boom)
    got = receiver(lite).receive_file(write(ct_image(), tmp_path / "x.dcm"), "A")
    assert got.status == Status.CANNOT_UNDERSTAND
    assert "ZeroDivisionError" in (got.reason or "")


def test_database_down_answers_out_of_resources(tmp_path: Path) -> None:
    dead = make_engine("postgresql://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    got = Receiver(dead, load_settings(), retries=0).receive_file(write(ct_image(), tmp_path / "x.dcm"), "A")
    assert (got.status, got.outcome) == (Status.OUT_OF_RESOURCES, "failed")
    assert not (tmp_path / "quarantine").exists()  # nothing quarantined: the sender keeps and resends it


@pytest.mark.filterwarnings("ignore:The value length")
def test_disk_full_answers_out_of_resources(sqlite_url: str, tmp_path: Path) -> None:
    engine = open_store(sqlite_url)
    with engine.connect() as conn:
        pages = conn.execute(text("pragma page_count")).scalar()

    @event.listens_for(engine, "connect")
    def _cap(dbapi_conn: object, _rec: object) -> None:
        cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
        cur.execute(f"pragma max_page_count = {pages}")  # SQLITE_FULL as soon as the file must grow
        cur.close()

    engine.dispose()
    big = ct_image()
    big.StudyDescription = "x" * 60000  # needs new pages
    got = receiver(engine, retries=0).receive_file(write(big, tmp_path / "x.dcm"), "A")
    assert got.status == Status.OUT_OF_RESOURCES
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from dose_objects")).scalar() == 0
    engine.dispose()


def test_known_sender_names_the_room(engine: Engine, tmp_path: Path) -> None:
    add_sender(engine, Sender("CT_NORTH", station_name="CT North"))
    add_sender(engine, Sender("CT_SOUTH", station_name="CT South", override_station_name=True))
    r = receiver(engine, senders=SenderDirectory(engine))
    # no serial numbers: rooms are told apart by station name, which the sender list supplies
    r.receive_file(write(ct_image(station=None, serial=None), tmp_path / "a.dcm"), "CT_NORTH")  # named
    r.receive_file(write(ct_image(station="CTS-01", serial=None), tmp_path / "b.dcm"), "CT_SOUTH")  # override
    r.receive_file(write(ct_image(station="OWN", serial=None), tmp_path / "c.dcm"), "CT_NORTH")  # own kept
    with engine.connect() as conn:
        names = {r[0] for r in conn.execute(select(devices.c.station_name))}
        linked = conn.execute(
            select(devices.c.station_name).select_from(
                studies.join(devices, devices.c.id == studies.c.device_id)
            )
        ).all()
    assert names == {"CT North", "CT South", "OWN"}
    assert len(linked) == 3


@pytest.mark.parametrize("syntax", [DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, JPEGBaseline8Bit])
def test_other_transfer_syntaxes_are_read_without_pixels(
    sqlite_url: str, tmp_path: Path, syntax: str
) -> None:
    engine = open_store(sqlite_url)
    ds = ct_image(ctdivol=7.5)
    if syntax == JPEGBaseline8Bit:
        ds.PixelData = encapsulate([b"\xff\xd8 not really a jpeg \xff\xd9"])  # never decoded
        ds["PixelData"].VR = "OB"
    path = write(ds, tmp_path / "x.dcm", syntax)
    header, raw = read_received(path)
    assert "PixelData" not in header
    assert raw.startswith(b"\x00" * 128 + b"DICM")
    assert b"not really a jpeg" not in raw
    got = receiver(engine).receive_file(path, "A")
    assert got.outcome == "stored"
    with engine.connect() as conn:
        assert conn.execute(text("select ctdivol_mgy from events")).scalar() == 7.5
    engine.dispose()


def test_secondary_capture_is_kept_whole_for_ocr(sqlite_url: str, tmp_path: Path) -> None:
    engine = open_store(sqlite_url)
    ds = ct_image()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    del ds.CTDIvol
    path = write(ds, tmp_path / "sc.dcm")
    got = receiver(engine, dose_screen_dir=tmp_path / "screens").receive_file(path, "A")
    assert got.status == Status.SUCCESS
    kept = tmp_path / "screens" / f"{ds.SOPInstanceUID}.dcm"
    assert kept.read_bytes() == path.read_bytes()
    engine.dispose()


def test_internal_error_in_a_hook_is_quarantined_not_retried_forever(lite: Engine, tmp_path: Path) -> None:
    def broken_hook(*_args: object) -> None:
        raise KeyError("a bug in a post-store hook")

    got = receiver(lite, hooks=[broken_hook]).receive_file(write(ct_image(), tmp_path / "x.dcm"), "A")
    assert got.status == Status.PROCESSING_FAILURE
    [q] = quarantined(tmp_path)
    assert "internal error" in q["reason"] and "KeyError" in q["reason"]
    with lite.connect() as conn:
        assert conn.execute(text("select count(*) from dose_objects")).scalar() == 0  # rolled back
