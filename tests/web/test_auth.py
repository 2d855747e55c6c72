"""Logins, sessions, CSRF, throttling, tokens and the user service."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from kerma.store.schema.auth import api_tokens, login_attempts, users, web_sessions
from kerma.store.schema.core import audit_log
from kerma.store.writer import utcnow
from kerma.web.auth.passwords import hash_password, verify_password
from kerma.web.auth.roles import Level, Principal, Requirement, parse_roles
from kerma.web.auth.sessions import COOKIE_NAME
from kerma.web.auth.throttle import MAX_FAILURES_PER_USER
from kerma.web.auth.users import UserError, create_token, create_user, find_user, update_user
from tests.web.conftest import PASSWORD, Site, csrf_of, login


def audit_actions(site: Site) -> list[str]:
    with site.engine.connect() as conn:
        return [r[0] for r in conn.execute(select(audit_log.c.action).order_by(audit_log.c.id))]


def test_password_hash_is_argon2id_and_verifies() -> None:
    h = hash_password("a long enough password")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "a long enough password")
    assert not verify_password(h, "a long enough passwort")
    assert not verify_password(None, "anything")
    assert not verify_password("not a hash", "anything")


def test_roles_parse_and_levels() -> None:
    assert parse_roles("mpe, pid") == {"mpe", "pid"}
    assert parse_roles(["pid"]) == {"pid", "viewer"}  # identity access always comes with reading
    with pytest.raises(ValueError, match="unknown role"):
        parse_roles("root")
    p = Principal(1, "a", frozenset({"admin"}), "token")
    assert p.satisfies(Requirement(Level.MPE))
    assert not p.satisfies(Requirement(Level.VIEWER, pid=True))  # admin does not imply pid


def test_user_service_rules(sqlite_site: Site) -> None:
    e = sqlite_site.engine
    with pytest.raises(UserError, match="exists"):
        create_user(e, "ADMIN", PASSWORD, "viewer", "t")
    with pytest.raises(UserError, match="at least 10"):
        create_user(e, "short", "short", "viewer", "t")
    with pytest.raises(UserError, match="username"):
        create_user(e, "<script>", PASSWORD, "viewer", "t")
    admin = find_user(e, "admin")
    assert admin is not None
    with pytest.raises(UserError, match="last active admin"):
        update_user(e, admin.id, "t", roles="viewer")
    with pytest.raises(UserError, match="last active admin"):
        update_user(e, admin.id, "t", is_active=False)
    with e.connect() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.username == "admin")).scalar_one()
        token_hashes = [r[0] for r in conn.execute(select(api_tokens.c.token_hash))]
    assert PASSWORD not in stored
    assert sqlite_site.tokens["admin"] not in token_hashes  # only the hash of a token is kept
    assert all(len(h) == 64 for h in token_hashes)


def test_login_flow_sets_hardened_cookie_and_audits(sqlite_site: Site) -> None:
    c = TestClient(sqlite_site.app)
    assert c.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    page = c.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token
    r = c.post(
        "/login",
        data={"username": "viewer", "password": PASSWORD, "login_token": token.group(1), "next": "/studies"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/studies"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(COOKIE_NAME))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    # the value is signed: id, timestamp, signature
    assert cookie.split(";")[0].split("=", 1)[1].count(".") == 2
    assert c.get("/studies").status_code == 200
    assert "login.success" in audit_actions(sqlite_site)


def test_wrong_password_and_throttling(sqlite_site: Site) -> None:
    c = TestClient(sqlite_site.app)
    for _ in range(MAX_FAILURES_PER_USER):
        page = c.get("/login")
        tok = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = c.post("/login", data={"username": "mpe", "password": "wrong password!", "login_token": tok})
        assert r.status_code == 401 and "Wrong username or password" in r.text
    page = c.get("/login")
    tok = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    # now even the right password waits: the account is throttled, not the guesser's luck
    r = c.post("/login", data={"username": "mpe", "password": PASSWORD, "login_token": tok})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "Too many failed attempts" in r.text
    with sqlite_site.engine.begin() as conn:
        conn.execute(update(login_attempts).values(at=utcnow() - timedelta(hours=1)))
    login(TestClient(sqlite_site.app), "mpe")
    assert audit_actions(sqlite_site).count("login.failure") == MAX_FAILURES_PER_USER


def test_login_form_needs_its_csrf_token(sqlite_site: Site) -> None:
    c = TestClient(sqlite_site.app)
    c.get("/login")
    r = c.post("/login", data={"username": "viewer", "password": PASSWORD, "login_token": "forged"})
    assert r.status_code == 403 and "expired" in r.text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil", "javascript:x"])
def test_login_never_redirects_off_site(sqlite_site: Site, target: str) -> None:
    c = TestClient(sqlite_site.app)
    page = c.get("/login")
    tok = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.post(
        "/login",
        data={"username": "viewer", "password": PASSWORD, "login_token": tok, "next": target},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_csrf_on_forms_and_cookie_api_calls(sqlite_site: Site) -> None:
    c = login(TestClient(sqlite_site.app), "viewer")
    token = csrf_of(c)
    # a form without the token, or with a forged one, is refused before it reaches the route
    assert c.post("/account/tokens", data={"name": "x"}).status_code == 403
    r = c.post("/account/tokens", data={"name": "x", "csrf_token": "forged" + token})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert c.post("/account/tokens", data={"name": "ok", "csrf_token": token}).status_code == 200
    # JSON API writes with the session cookie need the header
    assert c.post("/api/me/tokens", json={"name": "a"}).status_code == 403
    assert c.post("/api/me/tokens", json={"name": "a"}, headers={"X-CSRF-Token": token}).status_code == 201
    # a cross-site Origin is refused even with the token
    r = c.post("/api/me/tokens", json={}, headers={"X-CSRF-Token": token, "Origin": "https://evil.example"})
    assert r.status_code == 403
    # bearer tokens are not sent by browsers on their own: no CSRF token needed
    assert sqlite_site.client("viewer").post("/api/me/tokens", json={}).status_code == 201


def test_expired_and_forged_sessions(sqlite_site: Site) -> None:
    c = login(TestClient(sqlite_site.app), "viewer")
    assert c.get("/api/me").status_code == 200
    with sqlite_site.engine.begin() as conn:
        conn.execute(update(web_sessions).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert c.get("/api/me").status_code == 401
    r = c.get("/studies", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/studies")
    forged = TestClient(sqlite_site.app, cookies={COOKIE_NAME: "abc.def.ghi"})
    assert forged.get("/api/me").status_code == 401


def test_logout_ends_the_session(sqlite_site: Site) -> None:
    c = login(TestClient(sqlite_site.app), "viewer")
    cookie = c.cookies.get(COOKIE_NAME)
    token = csrf_of(c)
    r = c.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    # the old cookie is worthless even if someone kept it
    again = TestClient(sqlite_site.app, cookies={COOKIE_NAME: cookie or ""})
    assert again.get("/api/me").status_code == 401
    assert "logout" in audit_actions(sqlite_site)


def test_tokens_revoked_expired_and_disabled_users(sqlite_site: Site) -> None:
    e = sqlite_site.engine
    token = create_token(e, "mpe", "t", days=1)
    c = TestClient(sqlite_site.app, headers={"Authorization": f"Bearer {token}"})
    assert c.get("/api/me").json()["username"] == "mpe"
    with e.begin() as conn:
        conn.execute(update(api_tokens).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert c.get("/api/me").status_code == 401
    mpe = find_user(e, "mpe")
    assert mpe is not None
    fresh = create_token(e, "mpe", "t")
    update_user(e, mpe.id, "t", is_active=False)
    assert (
        TestClient(sqlite_site.app, headers={"Authorization": f"Bearer {fresh}"}).get("/api/me").status_code
        == 401
    )
    for bad in ("Bearer", "Bearer kerma_nope", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000):
        assert TestClient(sqlite_site.app, headers={"Authorization": bad}).get("/api/me").status_code == 401


def test_password_change_needs_current_password(sqlite_site: Site) -> None:
    c = sqlite_site.client("viewer")
    assert c.post("/api/me/password", json={"current": "wrong", "new": "another long one"}).status_code == 403
    assert c.post("/api/me/password", json={"current": PASSWORD, "new": "short"}).status_code == 422
    assert c.post("/api/me/password", json={"current": PASSWORD, "new": "another long one"}).json() == {
        "changed": True
    }
    login(TestClient(sqlite_site.app), "viewer", "another long one")
