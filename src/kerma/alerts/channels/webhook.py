"""JSON webhooks: a POST signed with HMAC-SHA256, so the receiver can check it came from this Kerma.

Headers: ``X-Kerma-Delivery`` (the delivery id; the same on every retry, so a receiver can drop a
repeat), ``X-Kerma-Timestamp`` (Unix seconds) and ``X-Kerma-Signature: sha256=<hex>``, the HMAC of
``"<timestamp>." + body`` with the recipient's secret. Any answer other than 2xx, a timeout or a refused
connection is a failed attempt, retried with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from kerma import __version__
from kerma.alerts.channels.base import Channel, DeliveryError, Message, Recipient

SIGNATURE_HEADER = "X-Kerma-Signature"
TIMESTAMP_HEADER = "X-Kerma-Timestamp"
DELIVERY_HEADER = "X-Kerma-Delivery"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """True when ``signature`` is the one :func:`sign` gives (what a receiver does)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel(Channel):
    """POST the message's JSON document to a URL."""

    name = "webhook"

    def validate_address(self, address: str | None) -> str | None:
        """An http(s) URL."""
        url = (address or "").strip()
        if not url.startswith(("http://", "https://")):
            raise ValueError("a webhook recipient needs an http:// or https:// URL")
        return url

    def send(self, message: Message, recipient: Recipient, delivery_id: int) -> None:
        """POST, signed."""
        secret = recipient.secret or self.config.webhook.secret
        if not secret:
            raise DeliveryError("no webhook secret (set one on the recipient or alerts.webhook.secret)")
        body = json.dumps(message.data, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"kerma/{__version__}",
            DELIVERY_HEADER: str(delivery_id),
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(secret, ts, body),
        }
        try:
            resp = httpx.post(
                recipient.address or "",
                content=body,
                headers=headers,
                timeout=self.config.webhook.timeout,
                verify=self.config.webhook.verify,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {type(exc).__name__}: {exc or 'no answer'}") from None
        if not 200 <= resp.status_code < 300:
            raise DeliveryError(f"webhook answered HTTP {resp.status_code}: {resp.text[:200]}")
