"""The sender against a real local HTTP server: signed webhooks, retries with backoff on 500, failures
kept and shown, manual retry, digests, routing by role, room, modality and severity."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine, select

from kerma.alerts.channels.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from kerma.alerts.config import AlertsConfig
from kerma.alerts.delivery import backoff, deliver_due, list_outbox, retry, run_forever
from kerma.alerts.routing import add_recipient
from kerma.store.schema.alerts import alert_outbox
from kerma.store.writer import utcnow
from tests.alerts.helpers import CT2_ROOM, add_rule, ct_study, rf_study, store

SECRET = "webhook-test-secret"


class Hook:
    """A webhook receiver: answers the queued statuses (then 200) and keeps what it got."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.received: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append({"headers": dict(self.headers), "body": body})
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"boom" if status >= 500 else b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kerma"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


def _cfg(**delivery: Any) -> AlertsConfig:
    cfg = AlertsConfig()
    cfg.report.enabled = False
    cfg.delivery.backoff_s = 60
    cfg.delivery.max_attempts = 3
    cfg.webhook.timeout = 2
    for k, v in delivery.items():
        setattr(cfg.delivery, k, v)
    return cfg


def _recipient(engine: Engine, **data: Any) -> None:
    with engine.begin() as conn:
        add_recipient(conn, data, "test")


def _outbox(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(alert_outbox).order_by(alert_outbox.c.id)).mappings()]


def test_webhook_is_signed_and_retried_on_500(engine: Engine, hook: Hook) -> None:
    _recipient(engine, name="ris", channel="webhook", address=hook.url, secret=SECRET)
    add_rule(engine, {"name": "CT DLP", "scope": "study", "quantity": "total_dlp_mgy_cm", "threshold": 500})
    store(engine, ct_study(1, dlp=900.0))
    hook.statuses = [500, 500]
    cfg = _cfg()
    now = utcnow()
    s1 = deliver_due(engine, cfg, now=now)
    assert (s1.sent, s1.retrying, s1.failed) == (0, 1, 0)
    (row,) = _outbox(engine)
    assert row["state"] == "pending" and row["attempts"] == 1
    assert row["last_error"] == "webhook answered HTTP 500: boom"
    # not due again before the backoff has passed
    assert deliver_due(engine, cfg, now=now + timedelta(seconds=30)).retrying == 0
    s2 = deliver_due(engine, cfg, now=now + backoff(cfg, 1) + timedelta(seconds=1))
    assert s2.retrying == 1
    s3 = deliver_due(engine, cfg, now=now + timedelta(hours=1))
    assert s3.sent == 1
    (row,) = _outbox(engine)
    assert row["state"] == "sent" and row["attempts"] == 3 and row["last_error"] is None
    assert len(hook.received) == 3
    last = hook.received[-1]
    h = {k.lower(): v for k, v in last["headers"].items()}
    assert verify(SECRET, h[TIMESTAMP_HEADER.lower()], last["body"], h[SIGNATURE_HEADER.lower()])
    assert not verify("other-secret", h[TIMESTAMP_HEADER.lower()], last["body"], h[SIGNATURE_HEADER.lower()])
    # the same delivery id on every attempt, so the receiver can drop repeats
    assert {r["headers"][DELIVERY_HEADER] for r in hook.received} == {str(row["id"])}
    doc = json.loads(last["body"])
    assert doc["type"] == "alert"
    a = doc["alert"]
    assert a["rule"] == "CT DLP" and a["value"] == 900.0 and a["threshold"] == 500.0
    assert a["study_instance_uid"] == "1.2.1" and a["patient_pseudonym"].startswith("P")
    assert "PAT1" not in last["body"].decode() and "Müller" not in last["body"].decode()


def test_undeliverable_is_kept_failed_and_can_be_retried(engine: Engine, hook: Hook) -> None:
    _recipient(engine, name="ris", channel="webhook", address=hook.url, secret=SECRET)
    add_rule(engine, {"name": "CT DLP", "scope": "study", "quantity": "total_dlp_mgy_cm", "threshold": 500})
    store(engine, ct_study(2, dlp=900.0))
    hook.statuses = [500] * 10
    cfg = _cfg(max_attempts=2)
    now = utcnow()
    deliver_due(engine, cfg, now=now)
    stats = deliver_due(engine, cfg, now=now + timedelta(hours=2))
    assert stats.failed == 1
    with engine.connect() as conn:
        (shown,) = list_outbox(conn, ["failed"])
    assert shown["recipient"] == "ris" and shown["attempts"] == 2 and "HTTP 500" in shown["last_error"]
    assert deliver_due(engine, cfg, now=now + timedelta(days=1)).sent == 0
    with engine.begin() as conn:
        retry(conn, int(shown["id"]), "test")
        with pytest.raises(ValueError, match="only failed or pending"):
            conn.execute(alert_outbox.update().values(state="sent"))
            retry(conn, int(shown["id"]), "test")
    hook.statuses = []
    with engine.begin() as conn:
        conn.execute(alert_outbox.update().values(state="pending"))
    assert deliver_due(engine, cfg).sent == 1


def test_unreachable_webhook_is_retried_with_its_error(engine: Engine) -> None:
    _recipient(engine, name="gone", channel="webhook", address="http://127.0.0.1:9/", secret=SECRET)
    add_rule(engine, {"name": "CT DLP", "scope": "study", "quantity": "total_dlp_mgy_cm", "threshold": 500})
    store(engine, ct_study(3, dlp=900.0))
    assert deliver_due(engine, _cfg()).retrying == 1
    (row,) = _outbox(engine)
    assert row["last_error"].startswith("webhook ConnectError")


def test_routing_by_role_room_modality_and_severity(engine: Engine) -> None:
    _recipient(engine, name="mpe-all", channel="email", address="mpe@example.org", role="mpe")
    _recipient(engine, name="ct2-only", channel="email", address="ct2@example.org", role="mpe", rooms=["CT2"])
    _recipient(
        engine,
        name="rf-rad",
        channel="email",
        address="rf@example.org",
        role="radiologist",
        modalities=["RF"],
    )
    _recipient(
        engine,
        name="critical",
        channel="email",
        address="boss@example.org",
        role="mpe",
        min_severity="critical",
    )
    add_rule(
        engine,
        {"name": "CT", "scope": "study", "quantity": "dlp_mgy_cm", "threshold": 500, "notify_roles": ["mpe"]},
    )
    add_rule(
        engine,
        {"name": "RF", "scope": "study", "quantity": "dap_gy_cm2", "threshold": 10, "severity": "critical"},
    )
    store(engine, ct_study(4, dlp=900.0), ct_study(5, dlp=900.0, device=CT2_ROOM), rf_study(6, 50.0))
    with engine.connect() as conn:
        got = sorted((r["alert_id"], r["recipient"]) for r in list_outbox(conn))
    assert got == [
        (1, "mpe-all"),
        (2, "ct2-only"),
        (2, "mpe-all"),
        (3, "critical"),
        (3, "mpe-all"),
        (3, "rf-rad"),
    ]


def test_digest_folds_alerts_into_one_message(engine: Engine, hook: Hook) -> None:
    _recipient(engine, name="busy", channel="webhook", address=hook.url, secret=SECRET, digest_minutes=60)
    add_rule(engine, {"name": "CT", "scope": "study", "quantity": "dlp_mgy_cm", "threshold": 500})
    store(engine, ct_study(7, dlp=900.0), ct_study(8, dlp=901.0), ct_study(9, dlp=902.0))
    cfg = _cfg()
    now = utcnow()
    assert deliver_due(engine, cfg, now=now).digests == 0
    assert hook.received == []
    stats = deliver_due(engine, cfg, now=now + timedelta(minutes=61))
    assert (stats.digests, stats.sent) == (1, 1)
    (got,) = hook.received
    doc = json.loads(got["body"])
    assert doc["type"] == "digest" and [a["value"] for a in doc["alerts"]] == [900.0, 901.0, 902.0]
    rows = _outbox(engine)
    assert [r["state"] for r in rows] == ["digested", "digested", "digested", "sent"]
    assert {r["digest_id"] for r in rows[:3]} == {rows[3]["id"]}


def test_run_forever_delivers_until_stopped(engine: Engine, hook: Hook) -> None:
    _recipient(engine, name="ris", channel="webhook", address=hook.url, secret=SECRET)
    add_rule(engine, {"name": "CT", "scope": "study", "quantity": "dlp_mgy_cm", "threshold": 500})
    from kerma.config import Settings

    settings = Settings(extra={"alerts": {"delivery": {"poll_s": 0.05}, "report": {"enabled": False}}})
    stop = threading.Event()
    t = threading.Thread(target=run_forever, args=(engine, settings, stop), daemon=True)
    t.start()
    try:
        store(engine, ct_study(10, dlp=900.0))
        deadline = datetime.now() + timedelta(seconds=10)
        while not hook.received and datetime.now() < deadline:
            stop.wait(0.05)
    finally:
        stop.set()
        t.join(5)
    assert not t.is_alive()
    assert len(hook.received) == 1
