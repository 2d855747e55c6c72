"""Every API route, by role, generated from the app's own route table: routes added later are covered.

For each route and method: no credentials -> 401; each role below the route's requirement -> 403; each
role meeting it -> anything but 401/403. The requirement is the generic policy's (path and method),
checked here against rules written out independently, so a router module can only make it stricter.
"""

from __future__ import annotations

import re
import types

import pytest
from fastapi.testclient import TestClient

from kerma.web.auth.policy import RoutePolicy, default_requirement, flat_routes, module_requirement
from kerma.web.auth.roles import Level, Requirement
from tests.web.conftest import Site

WHO = ("viewer", "mpe", "admin", "pid")
SAFE = {"GET", "HEAD", "OPTIONS"}


def expected_floor(path: str, method: str) -> Requirement:
    """The policy in plain words, written apart from the code under test."""
    pid = "/identity" in path
    if path.startswith(("/api/users", "/api/audit", "/admin")):
        return Requirement(Level.ADMIN, pid)
    if path.startswith("/api/me"):
        return Requirement(Level.VIEWER, pid)
    return Requirement(Level.VIEWER if method in SAFE else Level.MPE, pid)


def satisfies(who: str, req: Requirement) -> bool:
    level = {"viewer": Level.VIEWER, "mpe": Level.MPE, "admin": Level.ADMIN, "pid": Level.VIEWER}[who]
    return level >= req.level and (who == "pid" or not req.pid)


def api_routes(site: Site) -> list[tuple[str, str]]:
    out = []
    for path, methods, _ in flat_routes(site.app.router.routes):
        if path.startswith("/api/") or path == "/openapi.json":
            out += [(path, m) for m in sorted(methods) if m != "HEAD"]
    return out


def concrete(path: str) -> str:
    """A request path for a template: ids become one no row has (nothing real is changed), other
    parameters a harmless word."""
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: "999999" if m.group(1).endswith("id") else "x1", path)


def test_route_table_is_complete(site: Site) -> None:
    routes = api_routes(site)
    paths = {p for p, _ in routes}
    for must in ("/api/studies", "/api/studies/{study_instance_uid}", "/api/users", "/api/stats/{chart}"):
        assert must in paths
    assert len(routes) >= 20


def test_every_api_route_by_role(site: Site) -> None:
    policy: RoutePolicy = site.app.state.policy
    table = {(i.path, m): i for i in policy.build(site.app.router.routes) for m in i.methods}
    anonymous = TestClient(site.app, raise_server_exceptions=False)
    clients = {who: site.client(who) for who in WHO}
    checked = 0
    for path, method in api_routes(site):
        floor = expected_floor(path, method)
        actual = policy.requirement(table[(path, method)], method) if (path, method) in table else floor
        # a module may ask for more, never for less
        assert actual.level >= floor.level and (actual.pid or not floor.pid), (path, method, actual)
        url = concrete(path)
        r = anonymous.request(method, url, json={})
        assert r.status_code == 401, (method, url, r.status_code)
        assert "detail" in r.json()
        for who in WHO:
            r = clients[who].request(method, url, json={})
            if satisfies(who, actual):
                assert r.status_code not in (401, 403) or (
                    # some routes answer 403 for reasons of their own (a wrong current password)
                    r.status_code == 403 and "role" not in r.text
                ), (who, method, url, r.status_code, r.text[:200])
            else:
                assert r.status_code == 403, (who, method, url, r.status_code, r.text[:200])
                assert "needs the role" in r.json()["detail"]
        checked += 1
    assert checked >= 20


def test_pages_need_login_and_admin_pages_need_admin(site: Site) -> None:
    anonymous = TestClient(site.app)
    for path in ("/", "/studies", "/charts", "/admin", "/admin/audit", "/patients", "/nowhere"):
        r = anonymous.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    viewer = site.client("viewer")
    for path in ("/admin", "/admin/devices", "/admin/tokens", "/admin/audit"):
        r = viewer.get(path)
        assert r.status_code == 403 and "needs the role admin" in r.text, path
    assert site.client("admin").get("/admin").status_code == 200
    # public: health, login, static
    assert anonymous.get("/health").json()["status"] == "ok"
    assert anonymous.get("/login").status_code == 200
    assert anonymous.get("/static/kerma.css").status_code == 200


def test_viewer_token_on_admin_routes(site: Site) -> None:
    viewer = site.client("viewer")
    assert viewer.get("/api/users").status_code == 403
    assert (
        viewer.post(
            "/api/users", json={"username": "x", "password": "y" * 12, "roles": ["admin"]}
        ).status_code
        == 403
    )
    assert viewer.get("/api/audit").status_code == 403
    assert site.client("mpe").patch("/api/devices/1", json={"display_name": "x"}).status_code == 403


def test_module_declarations_only_tighten() -> None:
    strict = types.ModuleType("strict")
    strict.REQUIRED_ROLE = "mpe"  # type: ignore[attr-defined]
    strict.REQUIRED_WRITE_ROLE = "admin"  # type: ignore[attr-defined]
    strict.REQUIRES_PID = True  # type: ignore[attr-defined]
    assert module_requirement(strict, "GET") == Requirement(Level.MPE, True)
    assert module_requirement(strict, "DELETE") == Requirement(Level.ADMIN, True)
    assert (
        default_requirement("/api/things", "GET").stricter(module_requirement(strict, "GET")).level
        == Level.MPE
    )
    assert default_requirement("/health", "GET").level == Level.NONE
    assert default_requirement("/static/x.css", "GET").level == Level.NONE
    assert default_requirement("/api/patients/{k}/identity", "GET") == Requirement(Level.VIEWER, True)
    assert default_requirement("/api/alerts/rules", "POST").level == Level.MPE
    assert default_requirement("/api/users/1", "GET").level == Level.ADMIN


@pytest.mark.parametrize(
    "path", ["/api/../admin", "/API/users", "/api/users/", "/admin/", "/%61dmin", "/api/%75sers"]
)
def test_path_tricks_do_not_bypass(site: Site, path: str) -> None:
    r = site.client("viewer").get(path, follow_redirects=False)
    assert r.status_code in (403, 404, 307), (path, r.status_code)
    if r.status_code == 307:
        # a redirect only points at the canonical path, which is then guarded
        assert site.client("viewer").get(r.headers["location"]).status_code in (403, 404)
    assert TestClient(site.app).get(path, follow_redirects=False).status_code in (401, 303, 404, 307)
