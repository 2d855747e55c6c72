"""Alert e-mail against a real SMTP server (aiosmtpd) started by the test: plain delivery, STARTTLS
with login and a self-signed certificate made here, a server that refuses (5xx), one that hangs, and
the scheduled summary. Failed sends are retried and shown, never lost."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from kerma.alerts.config import AlertsConfig
from kerma.alerts.delivery import deliver_due, list_outbox, schedule_report
from kerma.alerts.routing import add_recipient
from kerma.store import open_store
from kerma.store.schema.alerts import alert_outbox
from kerma.store.writer import utcnow
from tests.alerts.helpers import add_rule, ct_study, store

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is a test dependency")
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

USER, PASSWORD = "kerma", "s3cret-pass"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """aiosmtpd handler: keeps each message; refuses recipients while ``refuse`` is set."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    # handled=False: the server answers 535 itself
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def certs(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl tool."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _start(handler: Inbox, **kwargs: Any) -> Any:
    ctl = aiosmtpd_controller.Controller(handler, hostname="127.0.0.1", port=_free_port(), **kwargs)
    ctl.start()
    return ctl


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_store(db_url)
    add_rule(eng, {"name": "CT DLP", "scope": "study", "quantity": "total_dlp_mgy_cm", "threshold": 500})
    with eng.begin() as conn:
        add_recipient(conn, {"name": "mpe", "channel": "email", "address": "mpe@example.org",
                             "receives_reports": True}, "test")  # fmt: skip
    yield eng
    eng.dispose()


def _cfg(port: int, **smtp: Any) -> AlertsConfig:
    cfg = AlertsConfig()
    cfg.report.enabled = False
    cfg.smtp.host, cfg.smtp.port, cfg.smtp.sender, cfg.smtp.timeout = (
        "127.0.0.1",
        port,
        "kerma@example.org",
        2.0,
    )
    cfg.delivery.max_attempts = 3
    for k, v in smtp.items():
        setattr(cfg.smtp, k, v)
    return cfg


def _outbox(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(alert_outbox).order_by(alert_outbox.c.id)).mappings()]


def test_plain_smtp_delivers_the_alert(engine: Engine) -> None:
    inbox = Inbox()
    ctl = _start(inbox)
    try:
        store(engine, ct_study(1, dlp=900.0))
        stats = deliver_due(engine, _cfg(ctl.port))
    finally:
        ctl.stop()
    assert stats.sent == 1
    (msg,) = inbox.messages
    assert inbox.envelopes == [("kerma@example.org", ["mpe@example.org"])]
    assert msg["Subject"].startswith("[Kerma] WARNING: CT DLP — CT1, 2025-03-04 10:00")
    assert msg["Message-ID"] == f"<kerma.delivery.{_outbox(engine)[0]['id']}@example.org>"
    text = (
        next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    )
    assert "total_dlp_mgy_cm 900 mGy·cm above 500 mGy·cm" in text and "Study UID: 1.2.1" in text
    assert "PAT1" not in text and "Müller" not in text
    assert _outbox(engine)[0]["state"] == "sent"


def test_starttls_with_login_and_a_self_signed_certificate(engine: Engine, certs: tuple[Path, Path]) -> None:
    cert, key = certs
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(str(cert), str(key))
    inbox = Inbox()
    ctl = _start(
        inbox, tls_context=server_tls, require_starttls=True, auth_required=True, authenticator=_authenticator
    )
    try:
        store(engine, ct_study(2, dlp=900.0))
        now = utcnow()
        # without STARTTLS the server refuses: retried, and the answer is kept
        assert deliver_due(engine, _cfg(ctl.port), now=now).retrying == 1
        err = _outbox(engine)[0]["last_error"]
        assert err.startswith("SMTP 530")
        # STARTTLS but a certificate the client does not trust
        assert deliver_due(engine, _cfg(ctl.port, starttls=True), now=now + timedelta(hours=1)).retrying == 1
        assert "CERTIFICATE_VERIFY_FAILED" in _outbox(engine)[0]["last_error"]
        cfg = _cfg(ctl.port, starttls=True, cafile=str(cert), username=USER, password=PASSWORD)
        stats = deliver_due(engine, cfg, now=now + timedelta(hours=2))
    finally:
        ctl.stop()
    assert stats.sent == 1 and len(inbox.messages) == 1
    row = _outbox(engine)[0]
    assert row["state"] == "sent" and row["attempts"] == 3


def test_wrong_password_is_retried_and_shown(engine: Engine, certs: tuple[Path, Path]) -> None:
    cert, key = certs
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(str(cert), str(key))
    ctl = _start(
        Inbox(),
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=_authenticator,
    )
    try:
        store(engine, ct_study(3, dlp=900.0))
        cfg = _cfg(ctl.port, starttls=True, cafile=str(cert), username=USER, password="wrong")
        assert deliver_due(engine, cfg).retrying == 1
    finally:
        ctl.stop()
    assert _outbox(engine)[0]["last_error"].startswith("SMTP 535")


def test_a_refusing_server_is_retried_then_failed_and_shown(engine: Engine) -> None:
    inbox = Inbox()
    inbox.refuse = True
    ctl = _start(inbox)
    try:
        store(engine, ct_study(4, dlp=900.0))
        cfg = _cfg(ctl.port)
        now = utcnow()
        results = [deliver_due(engine, cfg, now=now + timedelta(hours=h)) for h in range(3)]
    finally:
        ctl.stop()
    assert [(r.retrying, r.failed) for r in results] == [(1, 0), (1, 0), (0, 1)]
    with engine.connect() as conn:
        (row,) = list_outbox(conn, ["failed"])
    assert row["attempts"] == 3 and "550" in row["last_error"] and "mpe@example.org" in row["last_error"]
    assert inbox.messages == []


def test_a_hanging_server_times_out_and_is_retried(engine: Engine) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])  # accepted, never answered
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        store(engine, ct_study(5, dlp=900.0))
        started = datetime.now()
        stats = deliver_due(engine, _cfg(listener.getsockname()[1], timeout=0.5))
        took = (datetime.now() - started).total_seconds()
    finally:
        stop.set()
        t.join(2)
        for s in held:
            s.close()
        listener.close()
    assert stats.retrying == 1 and took < 5
    row = _outbox(engine)[0]
    assert row["state"] == "pending" and row["attempts"] == 1 and "timed out" in row["last_error"]


def test_weekly_summary_by_mail(engine: Engine) -> None:
    inbox = Inbox()
    ctl = _start(inbox)
    try:
        store(
            engine,
            ct_study(6, dlp=900.0, when=datetime(2025, 3, 4, 9)),
            ct_study(7, dlp=100.0, when=datetime(2025, 3, 5, 9)),
        )
        cfg = _cfg(ctl.port)
        cfg.report.enabled = True
        now = datetime(2025, 3, 12, 10)  # summary of the week ending Monday 2025-03-10 07:00
        stats = deliver_due(engine, cfg, now=now)
        again = deliver_due(engine, cfg, now=now + timedelta(hours=1))
    finally:
        ctl.stop()
    assert stats.reports == 1 and again.reports == 0
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert "[Kerma] Summary 2025-03-03 to 2025-03-10" in subjects
    report = next(m for m in inbox.messages if m["Subject"].startswith("[Kerma] Summary"))
    body = report.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Exams: 2" in body and "CT: 2" in body and "Exams without an exam code: 2" in body
    assert schedule_report(engine, cfg, now) is None
