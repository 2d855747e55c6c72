"""stat_values stays in step with the store through every writer that changes what its rows depend on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from kerma.analytics.values import refresh
from kerma.config import Settings
from kerma.domain.model import Device, PatientCharacteristics, PatientIdentity
from kerma.ingest.hooks import default_hooks
from kerma.ingest.pipeline import Ingestor, Parsed
from kerma.nomenclature.service import add_rule, apply_rules, set_manual
from kerma.store.corrections import apply_corrections
from kerma.store.devices import merge_devices
from kerma.store.schema.analytics import stat_values
from kerma.store.schema.core import studies
from tests.factories import ct_event, ct_rdsr

ROOM_A = Device(manufacturer="SIEMENS", model="X", station_name="CT-A", serial_number="A1")
ROOM_B = Device(manufacturer="GE", model="Y", station_name="CT-B", serial_number="B1")


def _snapshot(conn: Connection) -> list[tuple[Any, ...]]:
    cols = [c for c in stat_values.c if c.name != "id"]
    return sorted((tuple(r) for r in conn.execute(select(*cols))), key=repr)


def _assert_in_step(engine: Engine) -> list[tuple[Any, ...]]:
    """The rows kept up to date equal the rows rebuilt from scratch (inside a rolled back transaction)."""
    with engine.connect() as conn:
        kept = _snapshot(conn)
        refresh(conn)
        rebuilt = _snapshot(conn)
        conn.rollback()
    assert kept == rebuilt
    return kept


def _ingestor(engine: Engine, tmp_path: Path) -> Ingestor:
    return Ingestor(
        engine, Settings(secret_file=tmp_path / "k.key", quarantine_dir=tmp_path / "q"), default_hooks()
    )


def _ingest(engine: Engine, tmp_path: Path, sop: str, study: str, dlps: list[float], **kw: Any) -> None:
    ing = _ingestor(engine, tmp_path)
    events = [ct_event(f"{study}.e{i}", d, d / 40) for i, d in enumerate(dlps)]
    rep = ct_rdsr(sop, study, events, sum(dlps), **kw)
    rep.events[0].event_type = "constant_angle"
    ing.store_one(Parsed(sop, rep, None))


def test_rows_follow_every_writer(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        add_rule(conn, pattern="CT Thorax", exam_code="1030", modality="CT")
    _ingest(engine, tmp_path, "9.1", "1.1", [5.0, 200.0, 100.0], device=ROOM_A, patient_id="P1")
    _ingest(engine, tmp_path, "9.2", "1.2", [5.0, 300.0], device=ROOM_B, patient_id="P2")
    rows = _assert_in_step(engine)
    by = {(r[2], r[3]) for r in rows}  # (quantity, per)
    assert {("dlp_mgy_cm", "study"), ("ctdivol_mgy", "study"), ("dlp_mgy_cm", "exposure")} <= by
    # the localizer (constant_angle) gives no exposure row: 2 + 1 diagnostic events
    assert sum(1 for r in rows if r[2] == "dlp_mgy_cm" and r[3] == "exposure") == 3

    # a later, fuller RDSR of study 1.1 replaces the first: its totals and events change
    _ingest(engine, tmp_path, "9.3", "1.1", [5.0, 200.0, 100.0, 50.0], device=ROOM_A, patient_id="P1")
    rows = _assert_in_step(engine)
    assert sorted(r[-1] for r in rows if r[2] == "dlp_mgy_cm" and r[3] == "study") == [305.0, 355.0]

    # a phantom scan has no rows
    ph = ct_rdsr("9.4", "1.4", [ct_event("1.4.e0", 80.0)], 80.0, device=ROOM_A, patient_id="QA-PHANTOM")
    ph.identity = PatientIdentity(patient_id="PHANTOM-1", name="Phantom^QA")
    _ingestor(engine, tmp_path).store_one(Parsed("9.4", ph, None))
    assert _assert_in_step(engine) == rows

    # mapping rules change, then a manual mapping
    with engine.begin() as conn:
        add_rule(conn, pattern="CT Thorax", exam_code="1031", modality="CT", priority=1)
    apply_rules(engine)
    assert {r[4] for r in _assert_in_step(engine)} == {"1031"}
    with engine.begin() as conn:
        sid = conn.execute(select(studies.c.id).where(studies.c.study_instance_uid == "1.2")).scalar_one()
        set_manual(conn, sid, "1030")
    assert {r[4] for r in _assert_in_step(engine)} == {"1030", "1031"}

    # a patient age and weight correction; a device merge
    csv = tmp_path / "fix.csv"
    csv.write_text("study_instance_uid,patient_weight_kg\n1.2,88\n", encoding="utf-8")
    apply_corrections(engine, csv, actor="test")
    assert 88.0 in {r[10] for r in _assert_in_step(engine)}
    with engine.connect() as conn:
        ids = sorted({r[5] for r in _snapshot(conn)})
    merge_devices(engine, ids[0], ids[1], actor="test")
    assert {r[5] for r in _assert_in_step(engine)} == {ids[0]}


def test_patient_characteristics_are_copied(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        add_rule(conn, pattern="CT Thorax", exam_code="1030", modality="CT")
    rep = ct_rdsr("9.9", "2.1", [ct_event("2.1.e0", 120.0, 6.0)], 120.0, device=ROOM_A)
    rep.patient = PatientCharacteristics(age_years=4.0, weight_kg=17.0)
    _ingestor(engine, tmp_path).store_one(Parsed("9.9", rep, None))
    with engine.connect() as conn:
        row = conn.execute(
            select(stat_values).where(stat_values.c.quantity == "ctdivol_mgy", stat_values.c.per == "study")
        ).one()
    assert (row.exam_code, row.value, row.patient_age_years, row.patient_weight_kg, row.month) == (
        "1030",
        6.0,
        4.0,
        17.0,
        202503,
    )
