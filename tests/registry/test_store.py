"""Import into the store (SQLite and PostgreSQL): pseudonyms with the key apart, per-cell repair log,
export columns, re-import, and two files claiming the same facility and year."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from kerma.cli import app
from kerma.privacy.pseudonym import Pseudonymiser
from kerma.registry.importer import import_surveys
from kerma.registry.writers import SheetModel, write_csv, write_xlsx
from kerma.store import open_store
from kerma.store.schema.core import audit_log
from kerma.store.schema.registry import registry_keys, registry_repairs, registry_rows, registry_submissions

PZ = Pseudonymiser(b"test-site-secret-0123456789abcdef")
HEAD = ["Einrichtung", "Jahr", "Gerät", "Code", "DAP [cGy·cm²]", "Gewicht"]


def _sheet(rows: list[list[object]]) -> SheetModel:
    return SheetModel("Daten", [HEAD, *rows])


def test_import_export_with_pseudonyms_and_repairs(engine: Engine, tmp_path: Path, db_url: str) -> None:
    d = tmp_path / "in"
    d.mkdir()
    write_xlsx(
        d / "nord.xlsx",
        [
            _sheet(
                [
                    ["Klinikum Nord", 2024, "Raum 1", "Thorax p.a.", "12,5", 70],
                    ["Klinikum Nord", 2024, "Raum 1", "??", 5, 80],
                ]
            )
        ],
    )
    s = import_surveys(engine, [d], PZ)
    assert s.rows == {"repaired": 1, "rejected": 1}
    with engine.connect() as conn:
        rows = conn.execute(select(registry_rows).order_by(registry_rows.c.id)).mappings().all()
        keys = conn.execute(select(registry_keys)).mappings().all()
        repairs = conn.execute(select(registry_repairs)).mappings().all()
    assert rows[0]["facility_key"] == PZ.key("registry-facility", "klinikum nord")
    assert rows[0]["dap_gy_cm2"] == pytest.approx(0.125)
    assert rows[0]["source_row"] == 2 and rows[0]["status"] == "repaired"
    assert rows[1]["status"] == "rejected" and "unknown exam" in rows[1]["reason"]
    assert {k["label"] for k in keys} == {"Klinikum Nord", "Klinikum Nord / Raum 1"}
    assert not any(
        "Klinikum" in str(v) for r in rows for v in r.values()
    )  # the name lives only in the key table
    by_rule = {r["rule"]: r for r in repairs}
    assert (
        by_rule["decimal_comma"]["old_value"] == "12,5" and by_rule["decimal_comma"]["source_column"] == "E"
    )
    assert by_rule["unit_from_header_converted"]["new_value"] == "0.125"
    assert by_rule["exam_name_to_code"]["new_value"] == "K-XR-CHEST-PA"

    runner = CliRunner()
    res = runner.invoke(app, ["registry", "export", "--year", "2024", "--format", "json", "--db", db_url])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [r["status"] for r in data] == ["repaired", "rejected"]
    need = {
        "source_file",
        "source_sheet",
        "source_row",
        "facility_key",
        "exam_code",
        "dap_gy_cm2",
        "agd_mgy",
        "dlp_mgy_cm",
        "ctdivol_mgy",
        "ctdi_phantom",
        "patient_weight_kg",
        "patient_age_years",
        "status",
        "reason",
    }
    assert need <= set(data[0])
    assert data[0]["source_file"] == "nord.xlsx" and data[0]["source_sheet"] == "Daten"
    res = runner.invoke(app, ["registry", "export", "--repairs", "--format", "csv", "--db", db_url])
    assert res.exit_code == 0
    log = list(csv.DictReader(io.StringIO(res.stdout)))
    assert {
        "source_file",
        "source_sheet",
        "source_row",
        "source_column",
        "old_value",
        "new_value",
        "rule",
    } <= set(log[0])

    again = import_surveys(engine, [d], PZ)
    assert again.files_skipped and again.rows == {}


def test_two_files_for_one_facility_and_year_are_flagged_not_double_counted(
    engine: Engine, tmp_path: Path
) -> None:
    d = tmp_path / "in"
    d.mkdir()
    rows = [
        ["Klinikum Süd", 2024, "Raum 1", "K-XR-PELVIS", 150, 70],
        ["Klinikum Süd", 2024, "Raum 1", "K-XR-PELVIS", 170, 75],
    ]
    write_xlsx(d / "sued.xlsx", [_sheet(rows)])
    write_csv(d / "sued_copy.csv", _sheet(rows))  # the same data saved again as CSV
    conflicting = [["Klinikum-Süd", 2024, "Raum 1", "K-XR-PELVIS", 999, 70]]
    write_csv(d / "sued_v3.csv", _sheet(conflicting))
    s = import_surveys(engine, [d], PZ)
    assert len(s.flags) == 2
    assert any("duplicate file (same data)" in f for f in s.flags)
    assert any("conflicting submission" in f for f in s.flags)
    with engine.connect() as conn:
        counted = conn.execute(
            select(func.count()).select_from(registry_rows).where(registry_rows.c.status != "rejected")
        ).scalar()
        statuses = dict(
            conn.execute(select(registry_submissions.c.source_file, registry_submissions.c.status)).all()
        )
    assert counted == 2
    assert statuses == {"sued.xlsx": "ok", "sued_copy.csv": "flagged", "sued_v3.csv": "flagged"}
    # A later import of yet another file for the same facility and year is flagged against the store.
    later = tmp_path / "later"
    later.mkdir()
    write_csv(later / "sued_nachtrag.csv", _sheet([["KLINIKUM SÜD", 2024, "Raum 1", "K-XR-PELVIS", 160, 72]]))
    s2 = import_surveys(engine, [later], PZ)
    assert s2.rows == {"rejected": 1} and "imported earlier" in s2.flags[0]


def test_cli_simulate_import_template(tmp_path: Path, db_url: str) -> None:
    runner = CliRunner()
    sim = tmp_path / "sim"
    res = runner.invoke(
        app,
        [
            "registry",
            "simulate-surveys",
            "--out",
            str(sim),
            "--facilities",
            "4",
            "--seed",
            "3",
            "--exams",
            "3",
            "--records",
            "3",
        ],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["registry", "import", str(sim), "--db", db_url, "--json"])
    assert res.exit_code in (0, 1), res.output
    data = json.loads(res.stdout)
    assert data["rows"].get("repaired", 0) + data["rows"].get("ok", 0) > 20
    tpl = tmp_path / "template.xlsx"
    res = runner.invoke(app, ["registry", "template", "--out", str(tpl), "--db", db_url])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["registry", "template", "--out", str(tmp_path / "t.csv")])
    assert res.exit_code == 2
    with open_store(db_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar() is not None
