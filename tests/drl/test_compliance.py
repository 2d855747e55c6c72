"""Compliance and establishment over a small store whose numbers are worked out by hand."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from kerma.analytics.quantities import StatsFilter
from kerma.config import Settings
from kerma.domain.model import Device, PatientCharacteristics, PatientIdentity
from kerma.drl import sets
from kerma.drl.compliance import COMPLIANCE_KEYS, compliance, establish
from kerma.ingest.hooks import default_hooks
from kerma.ingest.pipeline import Ingestor, Parsed
from kerma.nomenclature.service import add_rule, apply_rules
from kerma.store import open_store
from tests.factories import ct_event, ct_rdsr

ROOM_A = Device(
    manufacturer="SIEMENS", model="X", station_name="CT-A", serial_number="A1", institution="Site 1"
)
ROOM_B = Device(manufacturer="GE", model="Y", station_name="CT-B", serial_number="B1", institution="Site 1")


def _store(engine: Engine, tmp_path, studies: list[tuple[str, Device, str, float, str]]) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(secret_file=tmp_path / "k.key", quarantine_dir=tmp_path / "q")
    ing = Ingestor(engine, settings, hooks=default_hooks())
    for i, (desc, room, month, dlp, patient) in enumerate(studies):
        uid = f"1.2.3.{i}"
        # one localizer (excluded from CTDIvol) and one spiral with the study's DLP
        rep = ct_rdsr(
            f"9.9.{i}",
            uid,
            [ct_event(f"{uid}.1", 5.0, 0.2), ct_event(f"{uid}.2", dlp - 5.0, dlp / 50)],
            dlp,
            device=room,
            patient_id=patient,
        )
        rep.events[0].event_type = "constant_angle"
        rep.events[1].event_type = "spiral"
        rep.study.study_description = desc
        rep.study.study_datetime = datetime.fromisoformat(f"2025-{month}-10T10:00")
        rep.patient = PatientCharacteristics(age_years=50.0)
        if patient.startswith("PHANTOM"):
            rep.identity = PatientIdentity(patient_id=patient, name="Phantom^QA")
        ing.store_one(Parsed(f"study{i}", rep, None))


@pytest.fixture
def store(db_url: str, tmp_path) -> Engine:  # type: ignore[no-untyped-def]
    engine = open_store(db_url)
    data = [
        # room A, CT head: DLP 400, 500, 600, 700 (Jan, Jan, Feb, Feb)
        ("CT Schädel nativ", ROOM_A, "01", 400.0, "P1"),
        ("CCT", ROOM_A, "01", 500.0, "P2"),
        ("Kopf nativ 2", ROOM_A, "02", 600.0, "P3"),
        ("CT SCHÄDEL NATIV", ROOM_A, "02", 700.0, "P4"),
        # room B, CT head: one study (n = 1)
        ("cct", ROOM_B, "01", 1000.0, "P5"),
        # room B, CT chest: one study; a phantom scan that must not count
        ("Thorax", ROOM_B, "03", 300.0, "P6"),
        ("CT Schädel nativ", ROOM_B, "03", 99999.0, "PHANTOM-1"),
    ]
    _store(engine, tmp_path, data)
    with engine.begin() as conn:
        add_rule(
            conn,
            pattern=r"sch(ae|ä)del|\bcct\b|kopf",
            exam_code="1010",
            match="regex",
            field_name="any",
            modality="CT",
        )
        add_rule(conn, pattern="Thorax", exam_code="1030", modality="CT")
        rows = [
            {"exam_code": "1010", "modality": "CT", "quantity": "DLP", "value": "0.5", "unit": "Gy*cm"},
            {"exam_code": "1030", "modality": "CT", "quantity": "DLP", "value": "350", "unit": "mGy*cm"},
        ]
        version, parsed = sets.import_set(conn, rows, key="TEST", name="test set")
        assert parsed.errors == [] and version == 1
    apply_rules(engine)
    return engine


def _by(rows: list[dict], **kw: object) -> list[dict]:  # type: ignore[type-arg]
    return [r for r in rows if all(r[k] == v for k, v in kw.items())]


def test_compliance_numbers(store: Engine) -> None:
    rows = compliance(store, StatsFilter(), quantities=["dlp_mgy_cm"], min_n=3, set_keys=["TEST"])
    assert all(set(COMPLIANCE_KEYS) == set(r) for r in rows)
    head_a = _by(rows, exam_code="1010", station_name="CT-A", per="study")[0]
    # 400 500 600 700: median 550, Q1 = 400 + 0.75*100 = 475, Q3 = 625, QCD = 150/1100
    assert (head_a["n"], head_a["median"], head_a["q1"], head_a["q3"], head_a["p75"]) == (
        4,
        550,
        475,
        625,
        625,
    )
    assert head_a["mean"] == 550 and head_a["qcd"] == pytest.approx(150 / 1100, rel=1e-5)
    assert (
        head_a["drl"] == 500 and head_a["ratio_to_drl"] == 1.1 and head_a["valid"] and head_a["exceeds_drl"]
    )
    head_b = _by(rows, exam_code="1010", station_name="CT-B", per="study")[0]
    # a single study: every statistic is its value, no SD, never a valid comparison; the phantom is left out
    assert (head_b["n"], head_b["median"], head_b["sd"], head_b["valid"], head_b["exceeds_drl"]) == (
        1,
        1000,
        None,
        False,
        False,
    )
    chest = _by(rows, exam_code="1030", per="study")[0]
    assert (chest["n"], chest["median"], chest["ratio_to_drl"]) == (
        1,
        300,
        pytest.approx(300 / 350, rel=1e-4),
    )


def test_monthly_trend_and_ctdivol(store: Engine) -> None:
    rows = compliance(
        store,
        StatsFilter(exam_codes=["1010"]),
        quantities=["dlp_mgy_cm", "ctdivol_mgy"],
        period="month",
        by_room=False,
        set_keys=["TEST"],
    )
    dlp = {r["period"]: r["median"] for r in rows if r["quantity"] == "dlp_mgy_cm" and r["per"] == "study"}
    assert dlp == {"2025-01": 500.0, "2025-02": 650.0}  # Jan 400 500 1000, Feb 600 700
    ctdi = {r["period"]: r["median"] for r in rows if r["quantity"] == "ctdivol_mgy"}
    # CTDIvol per study = the spiral's only (the localizer is left out): DLP / 50
    assert ctdi == {"2025-01": 10.0, "2025-02": 13.0}


def test_establish_with_min_per_room(store: Engine) -> None:
    est = establish(store, StatsFilter(), quantity="dlp_mgy_cm", min_per_room=1, set_keys=["TEST"])
    head = _by(est, exam_code="1010")[0]
    # room medians 550 (A) and 1000 (B): 75th percentile 550 + 0.75*450 = 887.5, achievable = 775
    assert (head["rooms"], head["n"], head["local_drl"], head["achievable_dose"]) == (2, 5, 887.5, 775)
    assert head["national_drl"] == 500 and head["ratio_to_national"] == pytest.approx(1.775)
    chest = _by(est, exam_code="1030")[0]
    assert (chest["rooms"], chest["local_drl"], chest["achievable_dose"]) == (1, 300, 300)  # a single room
    strict = establish(store, StatsFilter(), quantity="dlp_mgy_cm", min_per_room=2, set_keys=["TEST"])
    assert [(r["exam_code"], r["rooms"], r["local_drl"]) for r in strict] == [("1010", 1, 550)]


def test_cli_compliance_json(store: Engine) -> None:
    from kerma.cli import app

    url = store.url.render_as_string(hide_password=False)
    res = CliRunner().invoke(
        app,
        [
            "drl",
            "compliance",
            "--db",
            url,
            "--format",
            "json",
            "--quantity",
            "dlp_mgy_cm",
            "--set",
            "TEST",
            "--min-n",
            "3",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    required = {
        "exam_code",
        "station_name",
        "quantity",
        "n",
        "median",
        "mean",
        "q1",
        "q3",
        "p75",
        "qcd",
        "drl",
        "ratio_to_drl",
        "valid",
    }
    assert data and all(required <= set(r) for r in data)
    assert {r["exam_code"] for r in data} == {"1010", "1030"}
    res = CliRunner().invoke(
        app,
        [
            "drl",
            "establish",
            "--db",
            url,
            "--quantity",
            "dlp_mgy_cm",
            "--format",
            "csv",
            "--min-per-room",
            "1",
            "--set",
            "TEST",
        ],
    )
    assert res.exit_code == 0 and res.stdout.splitlines()[0].startswith("exam_code,exam_name,band")
    bad = CliRunner().invoke(app, ["drl", "compliance", "--db", url, "--period", "week"])
    assert bad.exit_code == 2
    sets_out = CliRunner().invoke(app, ["drl", "sets", "--db", url, "--format", "json"])
    assert sets_out.exit_code == 0 and "DE-BFS-2022-DX" in sets_out.stdout


def test_compliance_on_simulated_projection_data_with_unbanded_groups(sqlite_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Regression: groups whose sort keys are missing (e.g. no DRL band) once crashed the sort.
    from pathlib import Path

    from kerma.ingest.pipeline import Ingestor
    from kerma.nomenclature.service import apply_rules
    from kerma.simulate import simulate
    from kerma.store import open_store

    out = Path(tmp_path) / "sim"
    simulate(out, studies=200, seed=1)
    engine = open_store(sqlite_url)
    Ingestor(engine, Settings(quarantine_dir=Path(tmp_path) / "q")).import_paths(
        [p for p in out.iterdir() if p.is_dir()]
    )
    apply_rules(engine, auto=True)
    rows = compliance(engine, StatsFilter(modality=("DX", "RF", "XA", "MG")))
    assert rows and {r["quantity"] for r in rows} >= {"dap_gy_cm2"}
    assert all(r["n"] >= 1 for r in rows)
