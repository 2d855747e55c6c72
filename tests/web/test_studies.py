"""The studies API and pages: filters, sorting, paging, the study, exports, patient history, identities."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from kerma.store.schema.core import audit_log, studies
from tests.web.conftest import Site
from tests.web.seed import CT1_DLP, CT2_DLP, DX_DAP, HOSTILE_DESCRIPTION, MG_AGD


def test_list_defaults_newest_first(site: Site) -> None:
    body = site.client("viewer").get("/api/studies").json()
    n = len(CT1_DLP) + len(CT2_DLP) + len(DX_DAP) + len(MG_AGD)
    assert body["total"] == n and not body["total_is_capped"]
    dates = [r["study_datetime"] for r in body["items"]]
    assert dates == sorted(dates, reverse=True)
    assert {"patient_key", "room", "total_dlp_mgy_cm"} <= set(body["items"][0])
    # pseudonymised: no identity anywhere in a list row
    assert "Doe^" not in str(body) and "PAT1" not in str(body)


def test_filters_and_sorting(site: Site) -> None:
    c = site.client("viewer")
    ct = c.get("/api/studies", params={"modality": "ct", "sort": "total_dlp_mgy_cm", "order": "desc"}).json()
    assert ct["total"] == len(CT1_DLP) + len(CT2_DLP)
    assert [r["total_dlp_mgy_cm"] for r in ct["items"]] == sorted(CT1_DLP + CT2_DLP, reverse=True)
    rng = c.get("/api/studies", params={"modality": "CT", "dose_min": 300, "dose_max": 600}).json()
    assert sorted(r["total_dlp_mgy_cm"] for r in rng["items"]) == sorted(
        x for x in CT1_DLP + CT2_DLP if 300 <= x <= 600
    )
    by_q = c.get("/api/studies", params={"quantity": "total_dap_gy_cm2", "dose_min": 0.35}).json()
    assert sorted(r["total_dap_gy_cm2"] for r in by_q["items"]) == [x for x in DX_DAP if x >= 0.35]
    dated = c.get("/api/studies", params={"from": "2025-01-06", "to": "2025-01-06"}).json()
    assert dated["total"] == 1  # the first CT1 study, 2025-01-06 08:00
    rooms = c.get("/api/devices").json()
    ct2 = next(d["id"] for d in rooms if d["station_name"] == "CT2")
    assert c.get("/api/studies", params={"room": ct2}).json()["total"] == len(CT2_DLP)
    text = c.get("/api/studies", params={"q": "abdomen"}).json()
    assert text["total"] == len(CT2_DLP)


def test_paging(site: Site) -> None:
    c = site.client("viewer")
    first = c.get("/api/studies", params={"page_size": 5}).json()
    second = c.get("/api/studies", params={"page_size": 5, "page": 2}).json()
    assert first["pages"] == 5 and len(first["items"]) == 5
    assert not {r["id"] for r in first["items"]} & {r["id"] for r in second["items"]}
    beyond = c.get("/api/studies", params={"page": 999}).json()
    assert beyond["items"] == [] and beyond["total"] == first["total"]


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": 10_000_000},
        {"page_size": 0},
        {"page": -1},
        {"sort": "password_hash"},
        {"sort": "study_datetime; DROP TABLE studies"},
        {"order": "sideways"},
        {"modality": "CT' OR '1'='1"},
        {"room": "1 OR 1=1"},
        {"dose_min": "NaN-ish"},
        {"dose_min": -5},
        {"from": "2025-13-45"},
        {"exam_code": "<script>alert(1)</script>"},
        {"quantity": "password_hash"},
        {"q": "x" * 500},
    ],
)
def test_bad_input_gets_a_clear_422(site: Site, params: dict[str, object]) -> None:
    r = site.client("viewer").get("/api/studies", params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["detail"] and isinstance(body["detail"], str)


def test_sql_and_html_in_text_filter_is_plain_text(site: Site) -> None:
    c = site.client("viewer")
    for q in ("'; DROP TABLE studies; --", "%", "_", "\\", "<img src=x onerror=alert(1)>"):
        r = c.get("/api/studies", params={"q": q})
        assert r.status_code == 200
    # the hostile description matches literally (wildcards escaped), and the table is still there
    assert c.get("/api/studies", params={"q": "'; DROP TABLE"}).json()["total"] == 1
    assert c.get("/api/studies", params={"q": "%"}).json()["total"] == 0
    with site.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(studies)).scalar_one() == site.facts["studies"]


def test_study_detail(site: Site) -> None:
    uid = site.facts["uids"][0]  # type: ignore[index]
    d = site.client("viewer").get(f"/api/studies/{uid}").json()
    s = d["study"]
    assert s["study_instance_uid"] == uid and s["total_dlp_mgy_cm"] == CT1_DLP[0]
    assert s["room"] == "CT1" and s["patient_weight_kg"] == 61.0
    assert len(d["events"]) == 1 and d["events"][0]["ctdivol_mgy"] == CT1_DLP[0] / 40
    assert "ctdivol_mgy" in d["event_columns"] and "dedupe_key" not in d["event_columns"]
    assert site.client("viewer").get("/api/studies/1.2.3.999").status_code == 404
    assert site.client("viewer").get("/api/studies/" + "9" * 300).status_code == 422


def test_viewer_link_from_template(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    uid = site.facts["uids"][0]  # type: ignore[index]
    monkeypatch.setenv(
        "KERMA_VIEWER_URL", "https://pacs.example/ohif/viewer?StudyInstanceUIDs={study_instance_uid}"
    )
    d = site.client("viewer").get(f"/api/studies/{uid}").json()
    assert d["viewer_url"] == f"https://pacs.example/ohif/viewer?StudyInstanceUIDs={uid}"
    page = site.client("viewer").get(f"/studies/{uid}").text
    assert "Open images in the viewer" in page
    monkeypatch.setenv("KERMA_VIEWER_URL", "javascript:alert(1)//{study_instance_uid}")
    assert site.client("viewer").get(f"/api/studies/{uid}").json()["viewer_url"] is None


def _audit_count(site: Site, action: str) -> int:
    with site.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(audit_log).where(audit_log.c.action == action)
            ).scalar_one()
        )


def test_exports_follow_the_filter_and_are_audited(site: Site) -> None:
    c = site.client("mpe")
    before = _audit_count(site, "export.studies")
    r = c.get(
        "/api/studies/export",
        params={"format": "csv", "modality": "CT", "sort": "total_dlp_mgy_cm", "order": "asc"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [float(x["total_dlp_mgy_cm"]) for x in rows] == sorted(CT1_DLP + CT2_DLP)
    assert "patient_key" in rows[0] and "Doe^" not in r.text
    x = c.get("/studies/export", params={"format": "xlsx", "modality": "MG"})
    assert x.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(x.content), read_only=True)
    sheet = list(wb.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    header = list(sheet[0])
    assert sorted(r[header.index("total_agd_mgy")] for r in sheet[1:]) == MG_AGD
    assert _audit_count(site, "export.studies") == before + 2
    assert c.get("/api/studies/export", params={"format": "exe"}).status_code == 422


def test_patient_history_and_identity(site: Site) -> None:
    uid = site.facts["uids"][0]  # type: ignore[index]
    key = site.client("viewer").get(f"/api/studies/{uid}").json()["study"]["patient_key"]
    hist = site.client("viewer").get(f"/api/patients/{key}").json()
    assert len(hist["studies"]) == site.facts["pat1_studies"]
    assert hist["cumulative"]["total_dlp_mgy_cm"]["sum"] == sum(CT1_DLP[:3])
    assert hist["cumulative"]["total_dap_gy_cm2"]["sum"] == DX_DAP[1]
    assert "Doe^" not in str(hist)
    # identity: only pid, and every view audited
    for who in ("viewer", "mpe", "admin"):
        assert site.client(who).get(f"/api/patients/{key}/identity").status_code == 403
    before = _audit_count(site, "identity.view")
    ident = site.client("pid").get(f"/api/patients/{key}/identity").json()
    assert ident["id_value"] == "PAT1" and ident["name"] == "Doe^PAT1"
    assert _audit_count(site, "identity.view") == before + 1
    found = site.client("pid").get("/api/patients/identity/search", params={"patient_id": "pat1"}).json()
    assert [f["patient_key"] for f in found] == [key]
    assert (
        site.client("admin").get("/api/patients/identity/search", params={"patient_id": "PAT1"}).status_code
        == 403
    )
    # pages: the viewer sees the history without any identity, and no link to it
    page = site.client("viewer").get(f"/patients/{key}").text
    assert "Doe^PAT1" not in page and "Show identity" not in page
    assert "Show identity" in site.client("pid").get(f"/patients/{key}").text
    assert site.client("viewer").get(f"/patients/{key}/identity").status_code == 403
    assert "Doe^PAT1" in site.client("pid").get(f"/patients/{key}/identity").text
    assert site.client("viewer").get("/api/patients/Pnothere").status_code == 404


def test_hostile_text_is_escaped_in_pages(site: Site) -> None:
    c = site.client("viewer")
    html = c.get("/studies", params={"modality": "DX"}).text
    assert "<img src=x onerror" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>x()</script>" not in html and "&lt;b&gt;XR&lt;/b&gt;" in html
    uid = site.facts["uids"][len(CT1_DLP) + len(CT2_DLP)]  # type: ignore[index]
    page = c.get(f"/studies/{uid}").text
    assert HOSTILE_DESCRIPTION not in page
    charts = c.get("/charts", params={"modality": "DX", "chart": "boxplot"}).text
    assert "<script>x()</script>" not in charts and "&lt;script&gt;" in charts


@pytest.mark.parametrize(
    "query",
    [
        "modality=CT%27%20OR%201%3D1&room=abc&from=yesterday&dose_min=lots&sort=nope&page_size=99999999&page=-4",
        "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E&exam_code=%27%3B--",
        "order=%22%3E%3Cscript%3E",
    ],
)
def test_pages_survive_bad_filters(site: Site, query: str) -> None:
    r = site.client("viewer").get("/studies?" + query)
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text and '"><script>' not in r.text
    if "sort=nope" in query:
        assert "cannot sort by" in r.text and "is not a date" in r.text and "is not a number" in r.text


def test_study_page_shows_numbers_with_units(site: Site) -> None:
    uid = site.facts["uids"][9]  # type: ignore[index]
    html = site.client("viewer").get(f"/studies/{uid}").text
    assert "1\u202f000\u00a0mGy·cm" in html  # 1000 mGy·cm with a thin-space thousands separator
    assert "25.0\u00a0mGy" in html  # highest CTDIvol
