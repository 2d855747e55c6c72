"""Every page renders for the roles that may open it, with data and on an empty store; admin forms work."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kerma.store import open_store
from kerma.store.schema.core import audit_log, devices
from kerma.web.app import create_app
from kerma.web.auth.users import create_user, find_user
from tests.web.conftest import PASSWORD, Site, csrf_of, login

PAGES = ["/", "/studies", "/charts", "/patients", "/account", "/api/docs"]
CHART_TABS = ["trend", "boxplot", "histogram", "drl", "heatmap", "scatter"]


def test_pages_render_with_data(site: Site) -> None:
    c = site.client("viewer")
    uid = site.facts["uids"][0]  # type: ignore[index]
    for path in [*PAGES, f"/studies/{uid}", *[f"/charts?chart={t}" for t in CHART_TABS]]:
        r = c.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert "<nav>" in r.text and "Log out" in r.text
    assert "Studies per week by modality" in c.get("/").text
    # nothing is fetched from elsewhere: every script and stylesheet is Kerma's
    html = c.get("/charts").text
    assert "http://" not in html.split("<main>")[0] and "https://" not in html.split("<main>")[0]
    r = c.get("/")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"


def test_empty_store_pages_explain(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'empty.db'}")
    create_user(engine, "v", PASSWORD, "viewer", "t")
    c = login(TestClient(create_app(engine)), "v")
    assert "No studies are stored yet" in c.get("/").text
    assert "No studies are stored yet" in c.get("/studies").text
    assert "No studies" in c.get("/charts").text
    assert c.get("/api/studies").json()["total"] == 0
    assert c.get("/api/stats/overview").json()["weekly"] == []


def test_admin_user_forms(sqlite_site: Site) -> None:
    c = login(TestClient(sqlite_site.app), "admin")
    token = csrf_of(c, "/admin")
    r = c.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "newbie",
            "password": "a fine long password",
            "roles": ["mpe", "pid"],
        },
    )
    assert r.status_code == 200 and "User newbie created" in r.text
    user = find_user(sqlite_site.engine, "newbie")
    assert user is not None and user.roles == {"mpe", "pid"}
    bad = c.post(
        "/admin/users", data={"csrf_token": token, "username": "<b>x</b>", "password": "x", "roles": "viewer"}
    )
    assert bad.status_code == 422 and "<b>x</b>" not in bad.text
    r = c.post(f"/admin/users/{user.id}", data={"csrf_token": token, "action": "roles", "roles": ["viewer"]})
    assert r.status_code == 200
    assert find_user(sqlite_site.engine, "newbie").roles == {"viewer"}  # type: ignore[union-attr]
    r = c.post(f"/admin/users/{user.id}", data={"csrf_token": token, "action": "disable"})
    assert not find_user(sqlite_site.engine, "newbie").is_active  # type: ignore[union-attr]
    with sqlite_site.engine.connect() as conn:
        actions = [a for (a,) in conn.execute(select(audit_log.c.action))]
    assert actions.count("user.update") == 2 and "user.create" in actions
    audit = c.get("/admin/audit", params={"group": "users"}).text
    assert "user.create" in audit and "newbie" in audit


def test_admin_rooms_rename_and_merge(sqlite_site: Site) -> None:
    c = login(TestClient(sqlite_site.app), "admin")
    token = csrf_of(c, "/admin/devices")
    with sqlite_site.engine.connect() as conn:
        ids = {r.station_name: r.id for r in conn.execute(select(devices.c.id, devices.c.station_name))}
    r = c.post(
        f"/admin/devices/{ids['CT1']}",
        data={"csrf_token": token, "action": "rename", "display_name": "CT Room 1"},
    )
    assert r.status_code == 200 and "renamed to CT Room 1" in r.text
    r = c.post(
        f"/admin/devices/{ids['CT1']}",
        data={"csrf_token": token, "action": "merge", "other": str(ids["CT2"])},
    )
    assert "4 studies moved" in r.text
    body = (
        sqlite_site.client("viewer").get("/api/studies", params={"modality": "CT", "page_size": 100}).json()
    )
    assert {s["room"] for s in body["items"]} == {"CT Room 1"}
    r = c.post(
        f"/admin/devices/{ids['CT1']}",
        data={"csrf_token": token, "action": "merge", "other": str(ids["CT1"])},
    )
    assert r.status_code == 422


@pytest.mark.parametrize("who", ["viewer", "mpe"])
def test_non_admins_cannot_post_admin_forms(sqlite_site: Site, who: str) -> None:
    c = login(TestClient(sqlite_site.app), who)
    token = csrf_of(c)
    r = c.post(
        "/admin/users", data={"csrf_token": token, "username": "evil", "password": "x" * 12, "roles": "admin"}
    )
    assert r.status_code == 403
    assert find_user(sqlite_site.engine, "evil") is None


def test_account_tokens_shown_once(sqlite_site: Site) -> None:
    c = login(TestClient(sqlite_site.app), "viewer")
    token = csrf_of(c)
    page = c.post("/account/tokens", data={"csrf_token": token, "name": "report script", "days": "30"}).text
    assert "kerma_" in page and "report script" in page
    again = c.get("/account").text
    new = page.split('id="new-token">')[1].split("<")[0]
    assert new not in again  # never shown a second time
    r = TestClient(sqlite_site.app, headers={"Authorization": f"Bearer {new}"}).get("/api/me")
    assert r.json()["username"] == "viewer"
