"""The command line contract: import --json counts, export columns in csv/json/xlsx, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from kerma.cli import app
from kerma.config import Settings
from kerma.ingest.pipeline import Ingestor, Parsed
from kerma.store import open_store
from tests.factories import ct_event, ct_rdsr, header_event

STUDY_CONTRACT = [
    "study_instance_uid",
    "accession_number",
    "study_datetime",
    "modality",
    "station_name",
    "manufacturer",
    "model",
    "study_description",
    "patient_key",
    "patient_age_years",
    "patient_sex",
    "patient_weight_kg",
    "patient_height_m",
    "event_count",
    "total_dlp_mgy_cm",
    "total_dap_gy_cm2",
    "total_kar_mgy",
    "total_fluoro_time_s",
    "administered_activity_mbq",
]
EVENT_CONTRACT = [
    "study_instance_uid",
    "irradiation_event_uid",
    "source",
    "modality",
    "event_type",
    "protocol",
    "ctdivol_mgy",
    "dlp_mgy_cm",
    "ctdi_phantom",
    "dap_gy_cm2",
    "kar_mgy",
    "agd_mgy",
    "entrance_dose_mgy",
    "exposure_index",
    "kvp",
    "fluoro_time_s",
]

runner = CliRunner()


@pytest.fixture
def filled(db_url: str) -> str:
    ing = Ingestor(open_store(db_url), Settings())
    for rep in (
        ct_rdsr("S1", "1.1", [ct_event("E1", 100.0), ct_event("E2", 50.5)], 150.5),
        header_event("H1", "2.2", "hdr:1", 0.25),
    ):
        ing.store_one(Parsed(rep.sop_instance_uid, rep, None))
    return db_url


def test_export_json_study_level_has_the_contract_columns(filled: str) -> None:
    res = runner.invoke(app, ["export", "--db", filled, "--format", "json", "--level", "study"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 2
    assert set(STUDY_CONTRACT) <= set(rows[0])
    ct = next(r for r in rows if r["study_instance_uid"] == "1.1")
    assert ct["total_dlp_mgy_cm"] == pytest.approx(150.5) and ct["event_count"] == 2
    assert ct["patient_key"].startswith("P") and "patient_name" not in ct


def test_export_csv_event_level(filled: str) -> None:
    res = runner.invoke(app, ["export", "--db", filled, "--format", "csv", "--level", "event"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert set(EVENT_CONTRACT) <= set(rows[0])
    assert sorted(r["irradiation_event_uid"] for r in rows) == ["E1", "E2", "H1"]
    dx = next(r for r in rows if r["irradiation_event_uid"] == "H1")
    assert dx["source"] == "header" and float(dx["dap_gy_cm2"]) == pytest.approx(0.25)


def test_export_xlsx(filled: str, tmp_path: Path) -> None:
    out = tmp_path / "s.xlsx"
    res = runner.invoke(app, ["export", "--db", filled, "--format", "xlsx", "--out", str(out)])
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(out, read_only=True).active
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert set(STUDY_CONTRACT) <= set(header)
    assert ws.max_row == 3


def test_export_filters_by_modality_and_date(filled: str) -> None:
    res = runner.invoke(app, ["export", "--db", filled, "--format", "json", "--modality", "DX"])
    assert [r["modality"] for r in json.loads(res.stdout)] == ["DX"]
    res = runner.invoke(app, ["export", "--db", filled, "--format", "json", "--from", "2025-03-05"])
    assert [r["study_instance_uid"] for r in json.loads(res.stdout)] == ["2.2"]


def test_bad_usage_exits_2(sqlite_url: str) -> None:
    assert runner.invoke(app, ["export", "--db", sqlite_url, "--format", "pdf"]).exit_code == 2
    assert runner.invoke(app, ["export", "--db", sqlite_url, "--from", "yesterday"]).exit_code == 2
    assert runner.invoke(app, ["export", "--db", sqlite_url, "--format", "xlsx"]).exit_code == 2


def test_import_json_counts_and_exit_code(sqlite_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"DICM garbage")
    res = runner.invoke(
        app, ["import", str(bad), "--db", sqlite_url, "--json", "--quarantine", str(tmp_path / "q")]
    )
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["files"] == 1 and data["stored"] == 0
    assert data["rejected"][0]["file"] == str(bad)
    assert set(data) == {
        "files",
        "stored",
        "duplicates",
        "not_dose_relevant",
        "rejected",
        "studies",
        "events",
    }


def test_patient_corrections_are_audited(filled: str, tmp_path: Path) -> None:
    from sqlalchemy import select

    from kerma.store.schema.core import characteristic_changes, studies

    f = tmp_path / "fix.csv"
    f.write_text("accession_number,patient_weight_kg,patient_height_m\nACC-1.1,82.5,\nNOPE,70,1.7\n")
    res = runner.invoke(app, ["patients", "correct", str(f), "--db", filled])
    assert res.exit_code == 1  # one key matched no study
    assert json.loads(res.stdout) == {"rows": 2, "changed": 1, "unmatched": ["NOPE"]}
    engine = open_store(filled)
    with engine.connect() as conn:
        assert (
            conn.scalar(select(studies.c.patient_weight_kg).where(studies.c.study_instance_uid == "1.1"))
            == 82.5
        )
        change = conn.execute(select(characteristic_changes)).mappings().one()
    assert (change["old_value"], change["new_value"], change["field"]) == (70.0, 82.5, "patient_weight_kg")
    f.write_text("accession_number,patient_weight_kg\nACC-1.1,abc\n")
    assert runner.invoke(app, ["patients", "correct", str(f), "--db", filled]).exit_code == 2


def test_export_registry_needs_year_and_writes_the_survey_format(filled: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["export", "--db", filled, "--registry"]).exit_code == 2
    res = runner.invoke(app, ["export", "--db", filled, "--registry", "--year", "2025", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert isinstance(json.loads(res.stdout), list)


def test_demo_builds_a_mapped_database(sqlite_url: str) -> None:
    from sqlalchemy import func, select

    from kerma.store.schema.core import studies

    res = runner.invoke(app, ["demo", "--db", sqlite_url, "--studies", "20", "--no-serve"])
    assert res.exit_code == 0, res.output
    assert "0 rejected" in res.output.replace("\n", " ")
    with open_store(sqlite_url).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(studies)) == 20
