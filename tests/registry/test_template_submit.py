"""The survey template, and a site's own data written in the registry's format (`kerma export --registry`)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import insert

from kerma.config import Settings
from kerma.ingest.pipeline import Ingestor, Parsed
from kerma.ingest.survey import read_survey
from kerma.registry.catalogue import Catalogue
from kerma.registry.drlref import current_drls
from kerma.registry.model import RowStatus
from kerma.registry.submit import write_site_submission
from kerma.registry.template import COLUMNS, write_template
from kerma.store import open_store
from kerma.store.schema.nomenclature import study_exam_codes
from tests.factories import ct_event, ct_rdsr


def test_template_has_validation_and_the_exam_list(tmp_path: Path, sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    with engine.begin() as conn:
        drls = current_drls(conn)
    out = tmp_path / "template.xlsx"
    n = write_template(out, drls=drls)
    assert n == len(Catalogue().exams)
    wb = openpyxl.load_workbook(out)
    survey, codes = wb["Survey"], wb["Exam codes"]
    assert [c.value for c in survey[1]] == [t for _f, t, _h in COLUMNS]
    kinds = {dv.type for dv in survey.data_validations.dataValidation}
    assert {"list", "whole", "decimal"} <= kinds
    listed = {r[0]: r for r in codes.iter_rows(min_row=2, values_only=True)}
    assert listed["1010"][5] == 60  # CTDIvol DRL in force (BfS 2016) next to the code
    assert listed["K-XR-CHEST-PA"][7] == pytest.approx(0.12)
    # A facility fills the template: it reads without a single repair, and the exam list sheet is skipped.
    survey.append(
        ["DMS", 2024, "Klinik A", "CT 1", "1010", None, None, None, 55.5, 850, 16, 80, 61, "F", "single", 1]
    )
    wb.save(out)
    f = read_survey(out)
    (row,) = f.rows()
    assert row.status is RowStatus.OK and row.repairs == []
    assert (row.ctdivol_mgy, row.dlp_mgy_cm, row.ctdi_phantom, row.year) == (55.5, 850, "head16", 2024)
    assert f.sheets[1].skipped and "rows not read" in f.sheets[1].skipped


def test_site_submission_reads_back_without_repairs(tmp_path: Path, db_url: str) -> None:
    engine = open_store(db_url)
    ing = Ingestor(engine, Settings(secret_file=tmp_path / "k.key", quarantine_dir=tmp_path / "q"))
    rep = ct_rdsr(
        "9.9.1", "1.2.3.1", [ct_event("1.2.3.1.1", 5.0, 0.2), ct_event("1.2.3.1.2", 395.0, 8.0)], 400.0
    )
    rep.events[0].event_type = "constant_angle"  # a localizer: not part of CTDIvol
    rep.events[1].event_type = "spiral"
    rep.study.study_datetime = datetime(2024, 5, 6, 10, 0)
    result = ing.store_one(Parsed("s1", rep, None))
    with engine.begin() as conn:
        conn.execute(
            insert(study_exam_codes).values(
                study_id=result.study_id,
                exam_code="1030",
                exam_name="Thorax",
                mapped_by="test",
                mapped_at=datetime(2024, 5, 7),
            )
        )
    out = tmp_path / "site_2024.csv"
    assert write_site_submission(engine, out, 2024, "csv", facility="Klinikum Test") == 1
    assert write_site_submission(engine, tmp_path / "none.csv", 2023, "csv") == 0
    text = out.read_text(encoding="utf-8")
    assert "PAT1" not in text and "Müller" not in text  # no patient identifier leaves the site
    row = next(csv.DictReader(text.splitlines()))
    assert row["Exam code"] == "1030" and row["Facility ID"] == "Klinikum Test"
    f = read_survey(out)
    (r,) = f.rows()
    assert r.status is RowStatus.OK and r.repairs == []
    assert (r.dlp_mgy_cm, r.ctdivol_mgy, r.patient_weight_kg, r.patient_age_years) == (400.0, 8.0, 70.0, 54.0)
    assert r.ctdi_phantom == "body32" and r.facility == "Klinikum Test" and r.year == 2024
