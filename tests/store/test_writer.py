"""Storing reports: identity, duplicates, replacement, precedence, pseudonyms, rooms.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, func, select

from kerma.config import Settings
from kerma.domain.model import Device, DoseReport
from kerma.ingest.pipeline import Ingestor, Parsed
from kerma.store.devices import merge_devices
from kerma.store.schema.core import (
    audit_log,
    device_observer_uids,
    devices,
    dose_objects,
    events,
    patient_identities,
    patients,
    studies,
)
from kerma.store.writer import Outcome
from tests.factories import CT_ROOM, ct_event, ct_rdsr, header_event


def _ingestor(engine: Engine, **kw: object) -> Ingestor:
    return Ingestor(engine, Settings(**kw))  # type: ignore[arg-type]


def store(ing: Ingestor, report: DoseReport) -> Outcome:
    return ing.store_one(Parsed(report.sop_instance_uid, report, None)).outcome


def _study(engine: Engine, uid: str) -> dict[str, object]:
    with engine.connect() as conn:
        return dict(conn.execute(select(studies).where(studies.c.study_instance_uid == uid)).mappings().one())


def test_cumulative_rdsrs_replace_and_duplicates_change_nothing(engine: Engine) -> None:
    ing = _ingestor(engine)
    e = [ct_event("1.2.3.1", 7.46), ct_event("1.2.3.2", 69.81), ct_event("1.2.3.3", 158.82)]
    for n in (1, 2, 3):
        rep = ct_rdsr(
            f"9.{n}",
            "1.2.3",
            e[:n],
            round(sum(x.dlp_mgy_cm or 0 for x in e[:n]), 2),
            content=datetime(2025, 1, 1, 10, n),
        )
        assert store(ing, rep) is Outcome.STORED
    assert store(ing, ct_rdsr("9.3", "1.2.3", e, 236.09)) is Outcome.DUPLICATE
    st = _study(engine, "1.2.3")
    assert st["total_dlp_mgy_cm"] == pytest.approx(236.09)
    assert st["event_count"] == 3
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(events)) == 3
        status = dict(conn.execute(select(dose_objects.c.sop_instance_uid, dose_objects.c.status)).all())
    assert status == {"9.1": "superseded", "9.2": "superseded", "9.3": "counted"}


def test_rdsr_wins_over_headers_for_same_study(engine: Engine) -> None:
    ing = _ingestor(engine)
    hdr = ct_rdsr("IMG1", "5.5", [ct_event("EV1", None, 12.0)], None)
    hdr.source = hdr.source.__class__("header")
    assert store(ing, hdr) is Outcome.STORED
    assert _study(engine, "5.5")["dose_source"] == "header"
    assert store(ing, ct_rdsr("SR1", "5.5", [ct_event("EV1", 300.0, 12.0)], 300.0)) is Outcome.STORED
    st = _study(engine, "5.5")
    assert st["dose_source"] == "rdsr" and st["total_dlp_mgy_cm"] == 300.0 and st["event_count"] == 1
    with engine.connect() as conn:
        counted = conn.execute(select(events.c.source, events.c.counted).order_by(events.c.id)).all()
    assert counted == [("header", False), ("rdsr", True)]


def test_same_exposure_in_two_images_counts_once(engine: Engine) -> None:
    ing = _ingestor(engine)
    assert store(ing, header_event("I1", "7.7", "hdr:abc", 1.25)) is Outcome.STORED
    assert store(ing, header_event("I2", "7.7", "hdr:abc", 1.25)) is Outcome.STORED
    st = _study(engine, "7.7")
    assert st["total_dap_gy_cm2"] == pytest.approx(1.25) and st["event_count"] == 1


def test_patients_are_pseudonymised_and_identity_kept_apart(engine: Engine) -> None:
    ing = _ingestor(engine)
    store(ing, ct_rdsr("A1", "1.1", [ct_event("x1", 10.0)], 10.0, patient_id="PID-777"))
    store(ing, ct_rdsr("A2", "1.2", [ct_event("x2", 10.0)], 10.0, patient_id="PID-777"))
    with engine.connect() as conn:
        keys = conn.execute(select(patients.c.patient_key)).scalars().all()
        ident = conn.execute(select(patient_identities.c.id_value, patient_identities.c.name)).all()
        study_cols = set(studies.c.keys())
    assert len(keys) == 1 and keys[0].startswith("P") and "PID-777" not in keys[0]
    assert ident == [("PID-777", "Müller^Anna")]
    assert not study_cols & {"patient_name", "patient_id_value", "birth_date"}


def test_phantom_studies_are_recognised_not_dropped(engine: Engine) -> None:
    ing = _ingestor(engine)
    rep = ct_rdsr("Q1", "3.3", [ct_event("q", 5.0)], 5.0, patient_id="QA-CATPHAN")
    rep.identity.name = "CATPHAN^600"
    assert store(ing, rep) is Outcome.STORED
    assert _study(engine, "3.3")["is_phantom"] is True


def test_mobile_c_arm_with_new_observer_uid_each_study_is_one_room(engine: Engine) -> None:
    ing = _ingestor(engine)
    for i in range(3):
        dev = Device(
            manufacturer="Ziehm", model="Vision RFD", serial_number="ZV-42", device_observer_uid=f"2.25.{i}"
        )
        rep = ct_rdsr(f"M{i}", f"8.{i}", [ct_event(f"m{i}", 1.0)], 1.0, device=dev)
        store(ing, rep)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(devices)) == 1
        assert conn.scalar(select(func.count()).select_from(device_observer_uids)) == 3


def test_device_match_on_station_name_and_merge(engine: Engine) -> None:
    ing = _ingestor(engine, device_match=("station_name",))
    a = Device(manufacturer="Philips", model="Allura", station_name="ANGIO1")
    b = Device(manufacturer="Philips", model="Allura Xper", station_name="ANGIO-1")
    store(ing, ct_rdsr("D1", "6.1", [ct_event("d1", 1.0)], 1.0, device=a))
    store(ing, ct_rdsr("D2", "6.2", [ct_event("d2", 1.0)], 1.0, device=b))
    with engine.connect() as conn:
        ids = conn.execute(select(devices.c.id).order_by(devices.c.id)).scalars().all()
    assert len(ids) == 2
    assert merge_devices(engine, ids[0], ids[1], actor="test") == 1
    with engine.connect() as conn:
        assert set(conn.execute(select(studies.c.device_id)).scalars()) == {ids[0]}
        assert (
            conn.scalar(
                select(func.count()).select_from(audit_log).where(audit_log.c.action == "device.merge")
            )
            == 1
        )
    # A later object from the merged room lands in the kept one.
    store(ing, ct_rdsr("D3", "6.3", [ct_event("d3", 1.0)], 1.0, device=b))
    assert _study(engine, "6.3")["device_id"] == ids[0]


def test_same_event_uid_in_two_studies_is_kept_in_both(engine: Engine) -> None:
    ing = _ingestor(engine)
    store(ing, ct_rdsr("U1", "4.1", [ct_event("SAME", 10.0)], 10.0))
    store(ing, ct_rdsr("U2", "4.2", [ct_event("SAME", 20.0)], 20.0))
    assert _study(engine, "4.1")["total_dlp_mgy_cm"] == 10.0
    assert _study(engine, "4.2")["total_dlp_mgy_cm"] == 20.0


def test_non_ascii_text_round_trips(engine: Engine) -> None:
    ing = _ingestor(engine)
    dev = Device(manufacturer="SIEMENS", model="X", station_name="CT Zürich Süd", serial_number="Ä1")
    rep = ct_rdsr("N1", "2.2", [ct_event("n1", 3.0)], 3.0, device=dev)
    rep.study.study_description = "CT Schädel nativ"
    store(ing, rep)
    assert _study(engine, "2.2")["study_description"] == "CT Schädel nativ"
    with engine.connect() as conn:
        assert conn.scalar(select(devices.c.station_name)) == "CT Zürich Süd"


def test_room_key_unchanged_by_case_and_spacing(engine: Engine) -> None:
    ing = _ingestor(engine)
    store(ing, ct_rdsr("C1", "9.1", [ct_event("c1", 1.0)], 1.0, device=CT_ROOM))
    other = Device(manufacturer="Siemens ", model="somatom  x", station_name="ct1", serial_number="1234")
    store(ing, ct_rdsr("C2", "9.2", [ct_event("c2", 1.0)], 1.0, device=other))
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(devices)) == 1
