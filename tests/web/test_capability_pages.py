"""The mapping editor and the DRL pages, over the nomenclature and DRL capabilities' services."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kerma.web import capabilities
from tests.web.conftest import Site, csrf_of, login

pytestmark = pytest.mark.skipif(
    capabilities.optional("kerma.nomenclature.service") is None
    or capabilities.optional("kerma.drl.sets") is None,
    reason="mapping or DRL capability not installed",
)


def test_mapping_editor_maps_a_name(sqlite_site: Site) -> None:
    c = login(TestClient(sqlite_site.app), "mpe")
    page = c.get("/mapping")
    assert page.status_code == 200 and "CT Thorax" in page.text and "Unmapped names" in page.text
    token = csrf_of(c, "/mapping")
    codes = c.get("/api/nomenclature/codes", params={"modality": "CT"}).json()
    code = codes[0]["code"]
    r = c.post(
        "/mapping/rules",
        data={
            "csrf_token": token,
            "pattern": "CT Thorax",
            "exam_code": code,
            "field": "study_description",
            "modality": "CT",
        },
    )
    assert r.status_code == 200, r.text[:500]
    assert f"“CT Thorax” → {code}" in r.text
    mapped = sqlite_site.client("viewer").get("/api/studies", params={"exam_code": code}).json()
    assert mapped["total"] == 10  # the ten CT Thorax studies of the seed
    assert (
        sqlite_site.client("viewer")
        .get("/api/studies", params={"mapped": "unmapped", "modality": "CT"})
        .json()["total"]
        == 4
    )
    bad = c.post("/mapping/rules", data={"csrf_token": token, "pattern": "x", "exam_code": "<no such code>"})
    assert bad.status_code == 422 and "&lt;no such code&gt;" in bad.text


def test_viewer_sees_mapping_but_cannot_change_it(sqlite_site: Site) -> None:
    c = login(TestClient(sqlite_site.app), "viewer")
    page = c.get("/mapping").text
    assert "Unmapped names" in page and 'action="/mapping/rules"' not in page
    token = csrf_of(c)
    r = c.post("/mapping/rules", data={"csrf_token": token, "pattern": "CT Thorax", "exam_code": "1030"})
    assert r.status_code == 403


def test_drl_pages(site: Site) -> None:
    c = site.client("viewer")
    page = c.get("/drl", params={"modality": "CT", "from": "2025-01-01", "to": "2025-03-31"})
    assert page.status_code == 200 and "DRL sets" in page.text
    assert "built-in method" not in page.text
    chart = c.get("/api/stats/drl", params={"modality": "CT"}).json()
    assert chart["name"] == "drl" and (chart["rows"] or chart["empty"])
    overview = c.get("/api/stats/overview").json()
    assert "above_drl" in overview
