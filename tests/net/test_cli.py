"""`kerma senders ...`, `kerma pacs add|list|remove` and the nightly job (no network)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from typer.testing import CliRunner

from kerma.cli import app
from kerma.config import load_settings
from kerma.net.config import get_pacs_node, set_last_pulled
from kerma.store import open_store


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_senders_commands(sqlite_url: str) -> None:
    assert run("senders", "add", "CT_NORTH", "--station", "CT North", "--db", sqlite_url).exit_code == 0
    assert run("senders", "add", "XA2", "--station", "Angio", "--override", "--db", sqlite_url).exit_code == 0
    listed = json.loads(run("senders", "list", "--json", "--db", sqlite_url).stdout)
    assert [(s["ae_title"], s["station_name"], s["override_station_name"]) for s in listed] == [
        ("CT_NORTH", "CT North", False),
        ("XA2", "Angio", True),
    ]
    assert run("senders", "remove", "XA2", "--db", sqlite_url).exit_code == 0
    assert run("senders", "remove", "XA2", "--db", sqlite_url).exit_code == 2
    assert run("senders", "add", "WAY_TOO_LONG_AE_TITLE", "--db", sqlite_url).exit_code == 2


def test_pacs_commands(sqlite_url: str) -> None:
    ok = run(
        "pacs", "add", "main", "--host", "pacs.local", "--port", "104", "--aet", "PACS", "--db", sqlite_url
    )
    assert ok.exit_code == 0, ok.output
    listed = json.loads(run("pacs", "list", "--json", "--db", sqlite_url).stdout)
    assert [(n["name"], n["port"], n["retrieve_method"]) for n in listed] == [("main", 104, "get")]
    assert (
        run(
            "pacs",
            "add",
            "x",
            "--host",
            "h",
            "--port",
            "104",
            "--aet",
            "P",
            "--method",
            "push",
            "--db",
            sqlite_url,
        ).exit_code
        == 2
    )
    assert (
        run(
            "pacs", "pull", "nope", "--from", "2025-01-01", "--to", "2025-01-02", "--db", sqlite_url
        ).exit_code
        == 2
    )
    assert (
        run(
            "pacs", "pull", "main", "--from", "2025-01-05", "--to", "2025-01-02", "--db", sqlite_url
        ).exit_code
        == 2
    )
    assert (
        run("pacs", "pull", "main", "--from", "yesterday", "--to", "2025-01-02", "--db", sqlite_url).exit_code
        == 2
    )
    assert run("pacs", "remove", "main", "--db", sqlite_url).exit_code == 0


def test_serve_refuses_bad_options(sqlite_url: str) -> None:
    assert run("serve", "--aet", "A\\B", "--db", sqlite_url).exit_code == 2
    assert run("serve", "--pull-nightly", "PACS@25:00", "--db", sqlite_url).exit_code == 2
    assert run("serve", "--tls-cert", "cert.pem", "--db", sqlite_url).exit_code == 2


def test_nightly_job_pulls_from_the_last_pulled_day(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from kerma.web.serve import _nightly_job

    run("pacs", "add", "main", "--host", "h", "--port", "104", "--aet", "PACS", "--db", sqlite_url)
    engine = open_store(sqlite_url)
    set_last_pulled(engine, "main", date(2025, 3, 1))
    calls: list[tuple[str, date, date]] = []

    class Summary:
        def as_dict(self) -> dict[str, object]:
            return {}

    def fake_pull(
        _engine: object, _settings: object, node: Any, start: date, end: date, **_kw: object
    ) -> Summary:
        calls.append((node.name, start, end))
        return Summary()

    monkeypatch.setattr("kerma.net.pull.pull", fake_pull)
    job = _nightly_job(engine, load_settings(), None, "KERMA", [])
    job("main")
    job("missing")  # logged, no exception
    assert calls == [("main", date(2025, 3, 1), date.today())]
    assert get_pacs_node(engine, "main") is not None
    engine.dispose()
