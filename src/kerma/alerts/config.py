"""Alert delivery settings: the ``[alerts]`` tables of ``kerma.toml``, then environment overrides.

```toml
[alerts]
base_url = "https://kerma.example.org"      # links in messages

[alerts.smtp]
host = "mail.example.org"
port = 587
starttls = true            # or ssl = true for SMTPS (port 465)
username = "kerma"
password = "..."           # better: KERMA_SMTP_PASSWORD
sender = "kerma@example.org"
timeout = 20
cafile = "/etc/ssl/certs/site-ca.pem"        # optional, for a site CA

[alerts.webhook]
secret = "..."             # default HMAC key (a recipient may have its own); better: KERMA_WEBHOOK_SECRET
timeout = 10

[alerts.delivery]
max_attempts = 8           # then the notification is 'failed' (kept, shown, retryable by hand)
backoff_s = 30             # first retry after 30 s, doubling up to backoff_max_s
backoff_max_s = 3600
poll_s = 5

[alerts.report]
enabled = true
every_days = 7             # weekly summary
weekday = 0                # Monday
hour = 7                   # sent after 07:00 (UTC)
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

from kerma.config import Settings


@dataclass(slots=True)
class SmtpConfig:
    """How to reach the mail server."""

    host: str | None = None
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "kerma@localhost"
    timeout: float = 20.0
    cafile: str | None = None
    verify: bool = True


@dataclass(slots=True)
class WebhookConfig:
    """Defaults for webhook recipients."""

    secret: str | None = None
    timeout: float = 10.0
    verify: bool = True


@dataclass(slots=True)
class DeliveryConfig:
    """Retries and backoff of the sender."""

    max_attempts: int = 8
    backoff_s: float = 30.0
    backoff_max_s: float = 3600.0
    poll_s: float = 5.0
    batch: int = 50
    lease_s: float = 300.0


@dataclass(slots=True)
class ReportConfig:
    """The scheduled summary."""

    enabled: bool = True
    every_days: int = 7
    weekday: int = 0
    hour: int = 7


@dataclass(slots=True)
class AlertsConfig:
    """All alert delivery settings."""

    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    base_url: str | None = None


def _fill(obj: Any, data: Any) -> None:
    if not isinstance(data, dict):
        return
    for f in fields(obj):
        if f.name in data:
            current = getattr(obj, f.name)
            value = data[f.name]
            if isinstance(current, bool):
                value = bool(value)
            elif isinstance(current, int) and not isinstance(current, bool):
                value = int(value)
            elif isinstance(current, float):
                value = float(value)
            setattr(obj, f.name, value)


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def alerts_config(settings: Settings | None = None) -> AlertsConfig:
    """The alert settings of this installation."""
    cfg = AlertsConfig()
    data = (settings.extra.get("alerts") if settings is not None else None) or {}
    if isinstance(data, dict):
        cfg.base_url = data.get("base_url") or None
        _fill(cfg.smtp, data.get("smtp"))
        _fill(cfg.webhook, data.get("webhook"))
        _fill(cfg.delivery, data.get("delivery"))
        _fill(cfg.report, data.get("report"))
    env = os.environ
    if env.get("KERMA_SMTP_HOST"):
        cfg.smtp.host = env["KERMA_SMTP_HOST"]
    if env.get("KERMA_SMTP_PORT"):
        cfg.smtp.port = int(env["KERMA_SMTP_PORT"])
    if env.get("KERMA_SMTP_USER"):
        cfg.smtp.username = env["KERMA_SMTP_USER"]
    if env.get("KERMA_SMTP_PASSWORD"):
        cfg.smtp.password = env["KERMA_SMTP_PASSWORD"]
    if env.get("KERMA_SMTP_FROM"):
        cfg.smtp.sender = env["KERMA_SMTP_FROM"]
    if env.get("KERMA_SMTP_STARTTLS"):
        cfg.smtp.starttls = _flag(env["KERMA_SMTP_STARTTLS"])
    if env.get("KERMA_SMTP_SSL"):
        cfg.smtp.ssl = _flag(env["KERMA_SMTP_SSL"])
    if env.get("KERMA_SMTP_CAFILE"):
        cfg.smtp.cafile = env["KERMA_SMTP_CAFILE"]
    if env.get("KERMA_WEBHOOK_SECRET"):
        cfg.webhook.secret = env["KERMA_WEBHOOK_SECRET"]
    if env.get("KERMA_BASE_URL"):
        cfg.base_url = env["KERMA_BASE_URL"]
    return cfg
