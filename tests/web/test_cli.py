"""`kerma user add` and `kerma token create`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kerma.cli import app
from kerma.store import open_store
from kerma.web.app import create_app
from kerma.web.auth.users import find_user


def test_user_add_and_token_create(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.setenv("KERMA_PASSWORD", "a long cli password")
    r = runner.invoke(app, ["user", "add", "alice", "--role", "mpe", "--role", "pid", "--db", sqlite_url])
    assert r.exit_code == 0, r.output
    user = find_user(open_store(sqlite_url), "alice")
    assert user is not None and user.roles == {"mpe", "pid"}
    r = runner.invoke(app, ["token", "create", "alice", "--db", sqlite_url])
    assert r.exit_code == 0
    token = r.stdout.strip()
    assert token.startswith("kerma_")
    client = TestClient(create_app(open_store(sqlite_url)), headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/me").json() == {"username": "alice", "roles": ["mpe", "pid"], "via": "token"}
    # bad usage exits 2 with a reason
    r = runner.invoke(app, ["user", "add", "alice", "--role", "viewer", "--db", sqlite_url])
    assert r.exit_code == 2 and "exists" in r.output
    r = runner.invoke(app, ["user", "add", "bob", "--role", "root", "--db", sqlite_url])
    assert r.exit_code == 2 and "unknown role" in r.output
    r = runner.invoke(app, ["token", "create", "nobody", "--db", sqlite_url])
    assert r.exit_code == 2


def test_password_is_prompted_without_env(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERMA_PASSWORD", raising=False)
    r = CliRunner().invoke(
        app,
        ["user", "add", "carol", "--role", "viewer", "--db", sqlite_url],
        input="typed password 1\ntyped password 1\n",
    )
    assert r.exit_code == 0, r.output
    assert find_user(open_store(sqlite_url), "carol") is not None
