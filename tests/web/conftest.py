"""Web test fixtures: a seeded store per database (SQLite and PostgreSQL), users of every role with
API tokens, and clients. Seeding happens once per module and database to keep the suite fast."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from kerma.config import Settings
from kerma.store import open_store
from kerma.web.app import create_app
from kerma.web.auth.users import create_token, create_user
from tests.conftest import drop_pg_database, make_pg_database, postgres_available
from tests.web.seed import seed

PASSWORD = "correct horse battery staple"
ROLES = {
    "viewer": "viewer",
    "mpe": "mpe",
    "admin": "admin",
    "pid": "viewer,pid",
}


@dataclass
class Site:
    """A seeded store with its app, users and their tokens."""

    url: str
    engine: Engine
    app: FastAPI
    tokens: dict[str, str]
    facts: dict[str, object]

    def client(self, who: str | None = None) -> TestClient:
        """A client authenticated with ``who``'s token (or anonymous)."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return TestClient(self.app, headers=headers, raise_server_exceptions=False)


def make_users(engine: Engine) -> dict[str, str]:
    """One user per role (named after it) and a token for each."""
    tokens = {}
    for name, roles in ROLES.items():
        create_user(engine, name, PASSWORD, roles, actor="test")
        tokens[name] = create_token(engine, name, actor="test")
    return tokens


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A seeded store on SQLite, then on PostgreSQL (skipped when no server answers)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("KERMA_SITE_SECRET", "test-site-secret-0123456789abcdef")
    mp.setenv("KERMA_QUARANTINE", str(tmp_path_factory.mktemp("q")))
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'kerma.db'}"
    else:
        if not postgres_available():
            mp.undo()
            pytest.skip("PostgreSQL not reachable")
        url = make_pg_database()
    engine = open_store(url)
    facts = seed(engine)
    tokens = make_users(engine)
    app = create_app(engine, Settings(secret_file=Path("unused.key")))
    try:
        yield Site(url, engine, app, tokens, facts)
    finally:
        engine.dispose()
        if request.param == "postgresql":
            drop_pg_database(url)
        mp.undo()


@pytest.fixture
def sqlite_site(tmp_path: Path) -> Iterator[Site]:
    """A seeded SQLite store of its own (for tests that change data)."""
    url = f"sqlite:///{tmp_path / 'kerma.db'}"
    engine = open_store(url)
    facts = seed(engine)
    tokens = make_users(engine)
    yield Site(url, engine, create_app(engine), tokens, facts)
    engine.dispose()


def login(client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/") -> TestClient:
    """Log in through the form (with its CSRF token) and return the client, now holding the session."""
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token, page.text
    r = client.post(
        "/login",
        data={"username": username, "password": password, "login_token": token.group(1), "next": next_url},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client


def csrf_of(client: TestClient, page: str = "/account") -> str:
    """The CSRF token of the client's session, read from a page's form."""
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert m
    return m.group(1)
