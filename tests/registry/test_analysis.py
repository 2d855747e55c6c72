"""National DRL analysis on a store whose numbers are worked out by hand; the report and the API."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from kerma.privacy.pseudonym import Pseudonymiser
from kerma.registry.analysis import analyse
from kerma.registry.importer import import_surveys
from kerma.registry.writers import SheetModel, write_csv
from kerma.store import open_store

PZ = Pseudonymiser(b"test-site-secret-0123456789abcdef")
# Exam 1030 (CT thorax), CTDIvol in mGy; the DRL in force is 10 mGy (BfS 2016, shipped set).
DATA = {
    "Alpha Klinik": [(8, "", None), (10, "", None), (12, "", None)],  # median 10
    "Beta Praxis": [(5, "", None), (6, "", None)],  # median 5.5
    "Gamma Spital": [(20, "Mittelwert", 3), (14, "", None)],  # the mean counts 3 times: 20 20 20 14 -> 20
    "Delta Zentrum": [(9, "", None)],
    "Epsilon Haus": [(60, "", None)],  # 6 x the DRL
}


def _fill(url: str, tmp_path: Path) -> Engine:
    eng = open_store(url)
    d = tmp_path / "in"
    d.mkdir()
    for i, (fac, rows) in enumerate(DATA.items()):
        body = [[fac, 2024, "1030", v, vt or None, n] for v, vt, n in rows]
        write_csv(
            d / f"f{i}.csv",
            SheetModel("x", [["Einrichtung", "Jahr", "Code", "CTDIvol (mGy)", "Wertart", "Anzahl"], *body]),
        )
    import_surveys(eng, [d], PZ)
    return eng


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Engine:
    return _fill(db_url, tmp_path)


def test_proposed_drl_is_p75_of_facility_medians(engine: Engine) -> None:
    a = analyse(engine, [2024])
    (e,) = [x for x in a.exams if x.exam_code == "1030" and x.quantity == "ctdivol_mgy"]
    medians = [10.0, 5.5, 20.0, 9.0, 60.0]
    means = [10.0, 5.5, 18.5, 9.0, 60.0]
    assert e.n_facilities == 5 and e.n_exams == 11
    assert sorted(f.median for f in e.facilities) == sorted(medians)
    assert e.proposed_drl == pytest.approx(np.percentile(medians, 75)) == pytest.approx(20.0)
    assert e.achievable == pytest.approx(np.median(medians)) == pytest.approx(10.0)
    assert e.p25 == pytest.approx(9.0)
    assert e.p75_of_means == pytest.approx(np.percentile(means, 75)) == pytest.approx(18.5)
    assert e.current is not None and e.current.value == 10.0 and e.current.set_key == "DE-BFS-2016-CT"
    assert e.ratio_to_current == pytest.approx(2.0)
    assert e.share_exams_above_drl == pytest.approx(6 / 11)
    assert e.share_facilities_above_drl == pytest.approx(2 / 5)
    assert a.heatmap[("1030", "ctdivol_mgy")][2024] == pytest.approx(6 / 11)
    assert {r.country for r in e.others} >= {"DE", "UK"}
    (o,) = a.outliers
    assert o.ratio_to_drl == pytest.approx(6.0) and "6.0 x the DRL" in o.reasons[0]
    assert o.facility_key == PZ.key("registry-facility", "epsilon haus")
    looser = analyse(engine, [2024], outlier_factor=7.0)
    assert looser.outliers == []


def test_api(engine: Engine) -> None:
    from kerma.web.api.registry import pages, router

    app = FastAPI()
    app.state.engine = engine
    app.include_router(router)
    app.include_router(pages)
    client = TestClient(app)
    drls = client.get("/api/registry/drls", params={"year": 2024}).json()
    (e,) = [d for d in drls if d["exam_code"] == "1030"]
    assert e["proposed_drl"] == pytest.approx(20.0) and "facility_medians" not in e
    assert len(client.get("/api/registry/outliers").json()) == 1
    assert client.get("/api/registry/rows", params={"status": "ok"}).json()["total"] == 9
    assert client.get("/api/registry/rows", params={"status": "bad"}).status_code == 422
    subs = client.get("/api/registry/submissions").json()
    assert len(subs) == 5 and "source_file" not in subs[0]
    page = client.get("/registry")
    assert page.status_code == 200 and "<svg" in page.text and "Epsilon" not in page.text


def _pdf_text(path: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        import os

        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is needed to check the report's text")
        pytest.skip("pdftotext (poppler-utils) not installed")
    return subprocess.run([exe, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_report_pseudonymised_names_no_facility(sqlite_url: str, tmp_path: Path) -> None:
    """The report's SQL is the analysis's (tested on both databases); the PDF is checked once."""
    from kerma.reports.registry_pdf import write_report

    engine = _fill(sqlite_url, tmp_path)
    pdf = tmp_path / "report.pdf"
    pages = write_report(engine, pdf, [2024], pseudonymised=True)
    assert pages >= 3 and pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Proposed national DRLs" in text and "1030" in text
    for name in DATA:
        assert name.split()[0] not in text
    assert PZ.key("registry-facility", "epsilon haus") in "".join(text.split())  # a long key may wrap
    assert "f4.csv" not in text  # file names can name the facility
    full = tmp_path / "full.pdf"
    write_report(engine, full, [2024], pseudonymised=False)
    assert "Epsilon Haus" in _pdf_text(full)
