"""REST API and pages for alerts, behind the app's access policy (viewer reads, MPE writes)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from kerma.config import Settings
from kerma.store import open_store
from kerma.web.app import create_app
from kerma.web.auth.users import create_token, create_user
from tests.alerts.helpers import ct_study, store


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_store(db_url)
    store(eng, ct_study(1, dlp=400.0), ct_study(2, dlp=1600.0))
    yield eng
    eng.dispose()


@pytest.fixture
def clients(engine: Engine) -> Iterator[tuple[TestClient, TestClient]]:
    create_user(engine, "mpe1", "correct horse battery", "mpe", "test")
    create_user(engine, "view1", "correct horse battery", "viewer", "test")
    app = create_app(engine, Settings())
    mpe = TestClient(app, headers={"Authorization": "Bearer " + create_token(engine, "mpe1", "test")})
    viewer = TestClient(app, headers={"Authorization": "Bearer " + create_token(engine, "view1", "test")})
    with mpe, viewer:
        yield mpe, viewer


def test_rules_alerts_review_and_export(clients: tuple[TestClient, TestClient]) -> None:
    mpe, viewer = clients
    body = {
        "name": "CT DLP",
        "scope": "study",
        "quantity": "total_dlp_mgy_cm",
        "threshold": 1,
        "unit": "Gy.cm",
    }
    assert viewer.post("/api/alerts/rules", json=body).status_code == 403
    r = mpe.post("/api/alerts/rules", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["rule"]["threshold"] == 1000.0
    bad = mpe.post("/api/alerts/rules", json={**body, "name": "neg", "threshold": -3})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("threshold: must be positive, got -3")
    bad = mpe.post("/api/alerts/rules", json={**body, "name": "nan", "threshold": "lots"})
    assert bad.status_code == 422 and "'lots' is not a number" in bad.json()["detail"]
    bad = mpe.post("/api/alerts/rules", json={**body, "name": "q", "quantity": "dose"})
    assert bad.status_code == 422 and "valid: " in bad.json()["detail"]
    assert mpe.post("/api/alerts/evaluate", json={}).json() == {
        "studies": 2,
        "new_alerts": 1,
        "not_applicable": 0,
    }
    page = viewer.get("/api/alerts", params={"state": "new"}).json()
    assert page["total"] == 1 and page["counts"]["new"] == 1
    (a,) = page["items"]
    assert a["rule"] == "CT DLP" and a["value"] == 1600.0 and a["study_instance_uid"] == "1.2.2"
    assert viewer.get("/api/alerts", params={"state": "closed"}).json()["total"] == 0
    assert viewer.get("/api/alerts", params={"state": "lost"}).status_code == 422
    aid = a["id"]
    assert viewer.post(f"/api/alerts/{aid}/state", json={"state": "acknowledged"}).status_code == 403
    r = mpe.post(f"/api/alerts/{aid}/state", json={"state": "reportable"})
    assert r.status_code == 409 and "comment is required" in r.json()["detail"]
    r = mpe.post(f"/api/alerts/{aid}/state", json={"state": "reportable", "comment": "wrong protocol"})
    assert r.status_code == 200 and r.json()["state"] == "reportable"
    r = mpe.post(f"/api/alerts/{aid}/comments", json={"comment": "reported to the authority"})
    assert r.status_code == 201
    hist = viewer.get(f"/api/alerts/{aid}").json()["history"]
    assert [(h["actor"], h["to_state"]) for h in hist] == [
        ("kerma", "new"),
        ("mpe1", "reportable"),
        ("mpe1", None),
    ]
    assert viewer.get("/api/alerts/999").status_code == 404
    r = viewer.get("/api/alerts/export", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    (row,) = list(csv.DictReader(io.StringIO(r.text)))
    assert row["decision_reason"] == "wrong protocol" and row["decided_by"] == "mpe1"
    r = viewer.get("/api/alerts/export", params={"format": "xlsx"})
    ws = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).active
    assert ws.max_row == 2
    assert viewer.get("/api/alerts/export", params={"format": "pdf"}).status_code == 422
    assert viewer.get("/api/alerts/export", params={"format": "json", "state": "new"}).json() == []


def test_rule_crud_presets_recipients(clients: tuple[TestClient, TestClient]) -> None:
    mpe, viewer = clients
    presets = viewer.get("/api/alerts/presets").json()
    assert any(not p["verified"] and p["note"] == "unverified — check the source" for p in presets)
    r = mpe.post("/api/alerts/presets/de-single-person-series/copy", json={})
    assert r.status_code == 201
    rid = r.json()["rule"]["id"]
    assert mpe.post("/api/alerts/presets/none/copy", json={}).status_code == 404
    r = mpe.patch(f"/api/alerts/rules/{rid}", json={"params": {"ct_per": "exam"}})
    assert r.status_code == 200 and r.json()["rule"]["params"]["ct_per"] == "exam"
    assert mpe.patch(f"/api/alerts/rules/{rid}", json={"params": {"ct_per": "day"}}).status_code == 422
    rule = {"name": "x", "scope": "study", "quantity": "dlp_mgy_cm", "drl_factor": 2}
    r = mpe.post("/api/alerts/rules", json={**rule, "filters": {"exam_codes": ["NOPE"]}})
    assert r.json()["warnings"] == [
        "no active DRL for exam code NOPE and dlp_mgy_cm: the rule is 'not applicable' for it"
    ]
    assert [x["name"] for x in viewer.get("/api/alerts/rules").json()][1] == "x"
    assert mpe.delete("/api/alerts/rules/x").json() == {"outcome": "deleted"}
    assert viewer.get("/api/alerts/rules/x").status_code == 404
    r = mpe.post(
        "/api/alerts/recipients", json={"name": "ris", "channel": "webhook", "address": "http://127.0.0.1:9/"}
    )
    assert r.status_code == 201 and len(r.json()["secret"]) > 20
    assert "secret" not in viewer.get("/api/alerts/recipients").json()[0]
    bad = mpe.post("/api/alerts/recipients", json={"name": "b", "channel": "pigeon"})
    assert bad.status_code == 422 and "pigeon" in bad.json()["detail"]
    assert viewer.get("/api/alerts/outbox").json() == []
    assert viewer.get("/api/alerts/not-applicable").json() == []


def test_pages(clients: tuple[TestClient, TestClient]) -> None:
    mpe, viewer = clients
    mpe.post(
        "/api/alerts/rules",
        json={"name": "CT <DLP>", "scope": "study", "quantity": "dlp_mgy_cm", "threshold": 1000},
    )
    mpe.post("/api/alerts/evaluate", json={})
    r = viewer.get("/alerts")
    assert r.status_code == 200 and "CT &lt;DLP&gt;" in r.text and "<DLP>" not in r.text
    r = viewer.get("/alerts/1")
    assert r.status_code == 200 and "Review" in r.text and "1600" in r.text
    r = viewer.get("/alerts/rules")
    assert r.status_code == 200 and "unverified — check the source" in r.text
    assert viewer.get("/alerts/77").status_code == 404
    r = mpe.post("/alerts/1/state", data={"state": "acknowledged", "comment": "seen"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/alerts/1"
    r = mpe.post(
        "/alerts/rules", data={"name": "neg", "scope": "study", "quantity": "dlp_mgy_cm", "above": "-1"}
    )
    assert r.status_code == 200 and "threshold: must be positive" in r.text
    assert viewer.post("/alerts/1/state", data={"state": "closed"}).status_code == 403
