"""E-mail over SMTP (smtplib): plain, STARTTLS or SMTPS, with optional login; every failure becomes a
:class:`DeliveryError` carrying the server's answer, so the sender retries and shows it.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from kerma.alerts.channels.base import Channel, DeliveryError, Message, Recipient
from kerma.alerts.config import SmtpConfig

_ADDRESS = re.compile(r"^[^@\s,;]+@[^@\s,;]+$")


def tls_context(cfg: SmtpConfig) -> ssl.SSLContext:
    """TLS settings for the mail server: system CAs, or the site CA file, verified unless disabled."""
    ctx = ssl.create_default_context(cafile=cfg.cafile)
    if not cfg.verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def build_email(cfg: SmtpConfig, message: Message, to: list[str], delivery_id: int) -> EmailMessage:
    """The MIME message; its Message-ID names the delivery, so a retried send can be recognised."""
    msg = EmailMessage()
    msg["Subject"] = message.subject
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = cfg.sender.rpartition("@")[2] or "kerma"
    msg["Message-ID"] = f"<kerma.delivery.{delivery_id}@{domain}>"
    msg.set_content(message.text)
    if message.html:
        msg.add_alternative(message.html, subtype="html")
    return msg


def send_email(cfg: SmtpConfig, msg: EmailMessage, to: list[str]) -> None:
    """Hand one message to the configured SMTP server."""
    if not cfg.host:
        raise DeliveryError("no SMTP server configured (alerts.smtp.host or KERMA_SMTP_HOST)")
    client: smtplib.SMTP | None = None
    try:
        if cfg.ssl:
            client = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=tls_context(cfg))
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        client.ehlo()
        if cfg.starttls:
            client.starttls(context=tls_context(cfg))
            client.ehlo()
        if cfg.username:
            client.login(cfg.username, cfg.password or "")
        refused = client.send_message(msg, to_addrs=to)
        if refused:
            raise DeliveryError(f"SMTP refused recipient(s): {_refusals(refused)}")
        client.quit()
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"SMTP refused recipient(s): {_refusals(exc.recipients)}") from None
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise DeliveryError(f"SMTP {exc.smtp_code}: {text}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {type(exc).__name__}: {exc or 'no answer'}") from None
    finally:
        if client is not None:
            # close without QUIT: a server that hangs must not hold the sender a second time
            client.close()


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{addr} ({code} {text.decode('utf-8', 'replace')})" for addr, (code, text) in refused.items()
    )


class EmailChannel(Channel):
    """Mail to one or more addresses (comma-separated)."""

    name = "email"

    def validate_address(self, address: str | None) -> str | None:
        """Comma-separated e-mail addresses."""
        parts = [a.strip() for a in (address or "").replace(";", ",").split(",") if a.strip()]
        if not parts:
            raise ValueError("an e-mail recipient needs an address")
        bad = [a for a in parts if not _ADDRESS.match(a)]
        if bad:
            raise ValueError(f"not an e-mail address: {', '.join(bad)}")
        return ", ".join(parts)

    def send(self, message: Message, recipient: Recipient, delivery_id: int) -> None:
        """Send by SMTP."""
        to = [a.strip() for a in (recipient.address or "").split(",") if a.strip()]
        if not to:
            raise DeliveryError("recipient has no e-mail address")
        send_email(self.config.smtp, build_email(self.config.smtp, message, to, delivery_id), to)
