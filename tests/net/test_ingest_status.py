"""The ingest status service, its API and page (in-process, with the app factory)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from kerma.config import load_settings
from kerma.net.ingest_status import ingest_status
from kerma.net.receive import Receiver
from kerma.store import open_store
from kerma.web.status import render
from tests.net.builders import ct_image, write


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Engine:
    eng = open_store(db_url)
    r = Receiver(eng, load_settings())
    once = write(ct_image(), tmp_path / "a.dcm")
    r.receive_file(once, "CT1")
    r.receive_file(once, "CT1")  # duplicate
    bad = ct_image()
    del bad.StudyInstanceUID
    r.receive_file(write(bad, tmp_path / "b.dcm"), "CT1")
    yield eng  # type: ignore[misc]
    eng.dispose()


def test_counts_per_channel_source_and_last_errors(engine: Engine) -> None:
    status = ingest_status(engine)
    assert status["by_channel"] == {"dicom": {"stored": 1, "duplicate": 1, "rejected": 1}}
    assert status["last_24h"] == status["by_channel"]
    assert status["by_source"] == {"header": {"counted": 1}}
    [err] = status["last_errors"]
    assert err["channel"] == "dicom" and "StudyInstanceUID" in err["reason"]
    assert status["last_received_at"] is not None
    assert status["listener"] is None


def test_page_escapes_what_senders_wrote() -> None:
    html = render(
        {
            "listener": None,
            "last_received_at": None,
            "generated_at": "now",
            "by_channel": {"dicom": {"rejected": 1}},
            "last_24h": {},
            "by_source": {},
            "mpps_steps": {},
            "last_errors": [
                {
                    "at": "t",
                    "channel": "dicom",
                    "origin": "dicom:<b>X</b>/1",
                    "reason": "<script>alert(1)</script>",
                }
            ],
        }
    )
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<link" not in html and "src=" not in html  # no external assets


def test_api_and_page_through_the_app(sqlite_url: str, tmp_path: Path) -> None:
    from kerma.web.app import create_app

    engine = open_store(sqlite_url)
    Receiver(engine, load_settings()).receive_file(write(ct_image(), tmp_path / "a.dcm"), "CT1")
    headers = {}
    try:
        from kerma.web.auth.users import create_token, create_user

        create_user(engine, "viewer1", "a-Long-test-passphrase-42", "viewer", actor="test")
        headers = {"Authorization": f"Bearer {create_token(engine, 'viewer1', actor='test')}"}
    except ImportError:  # pragma: no cover - web auth not part of this version
        pass
    client = TestClient(create_app(engine, load_settings()))
    resp = client.get("/api/status/ingest", headers=headers)
    assert resp.status_code == 200
    assert resp.json()["by_channel"] == {"dicom": {"stored": 1}}
    page = client.get("/status", headers=headers)
    assert page.status_code == 200 and "Ingest status" in page.text
    if headers:
        assert client.get("/api/status/ingest").status_code in (401, 403)
    engine.dispose()
