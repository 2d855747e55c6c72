"""The REST API of mapping and DRLs, with a viewer and a medical physicist."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from kerma.config import Settings
from kerma.store import open_store
from kerma.web.app import create_app
from kerma.web.auth.users import create_token, create_user


def test_api(db_url: str) -> None:
    engine = open_store(db_url)
    tokens = {}
    for name in ("viewer", "mpe"):
        create_user(engine, name, "correct horse battery staple", name, actor="test")
        tokens[name] = create_token(engine, name, actor="test")
    app = create_app(engine, Settings(secret_file=Path("unused.key")))

    def client(who: str) -> TestClient:
        return TestClient(
            app, headers={"Authorization": f"Bearer {tokens[who]}"}, raise_server_exceptions=True
        )

    viewer, mpe = client("viewer"), client("mpe")
    r = viewer.get("/api/drl/sets")
    assert r.status_code == 200 and {"DE-BFS-2022-DX", "UK-UKHSA-2022-CT"} <= {s["key"] for s in r.json()}
    r = viewer.get("/api/drl/sets/DE-BFS-2022-DX")
    assert {v["exam_code"]: v["value"] for v in r.json()}["K-XR-CHEST-PA"] == 0.12
    r = viewer.get("/api/nomenclature/suggest", params={"name": "CT Schädel nativ", "modality": "CT"})
    assert r.json()[0]["exam_code"] == "1010"
    rule = {"pattern": "cct", "exam_code": "1010", "modality": "CT"}
    assert viewer.post("/api/nomenclature/rules", json=rule).status_code == 403
    r = mpe.post("/api/nomenclature/rules", json=rule)
    assert r.status_code == 201 and r.json()["apply"]["rules_version"] == 1
    assert mpe.post("/api/nomenclature/rules", json={**rule, "exam_code": "NOPE"}).status_code == 422
    assert viewer.get("/api/drl/compliance", params={"quantity": "dlp_mgy_cm"}).json() == []
    assert viewer.get("/api/drl/compliance", params={"period": "week"}).status_code == 422
    good = "exam_code,quantity,value,unit\n1010,DLP,800,mGy*cm\n"
    r = mpe.post("/api/drl/sets/OURS/import", files={"file": ("ours.csv", good.encode(), "text/csv")})
    assert r.status_code == 201 and r.json()["version"] == 1
    bad = "exam_code,quantity,value,unit\n1010,DLP,800,mGy*cm\n1010,DLP,900,mGy*cm\n"
    r = mpe.post("/api/drl/sets/OURS/import", files={"file": ("ours.csv", bad.encode(), "text/csv")})
    assert r.status_code == 422 and "different values" in str(r.json())
    assert mpe.post("/api/drl/sets/OURS/active", params={"site": "*"}).json()["active"] is True
    assert viewer.get("/api/drl/establish", params={"quantity": "dlp_mgy_cm"}).status_code == 200
    engine.dispose()
