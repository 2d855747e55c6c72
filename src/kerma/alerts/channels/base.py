"""What a notification channel is: a class with a name that delivers one message to one recipient.

Channels are plug-ins: :data:`kerma.alerts.channels.CHANNELS` maps a name to a class, and a recipient
names the channel it is reached on. A channel raises :class:`DeliveryError` when a message did not get
through; the sender then retries with backoff and keeps the error visible.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from kerma.alerts.config import AlertsConfig


class DeliveryError(Exception):
    """A message was not delivered; ``detail`` says what the other side answered, if anything."""


@dataclass(slots=True)
class Recipient:
    """Someone (or some system) that receives notifications."""

    id: int | None
    name: str
    role: str
    channel: str
    address: str | None = None
    secret: str | None = None
    rooms: list[str] = field(default_factory=list)
    modalities: list[str] = field(default_factory=list)
    min_severity: str = "info"
    digest_minutes: int = 0
    receives_reports: bool = False
    enabled: bool = True

    def as_dict(self) -> dict[str, Any]:
        """JSON form; the webhook secret is never shown, only whether one is set."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "channel": self.channel,
            "address": self.address,
            "has_secret": bool(self.secret),
            "rooms": self.rooms,
            "modalities": self.modalities,
            "min_severity": self.min_severity,
            "digest_minutes": self.digest_minutes,
            "receives_reports": self.receives_reports,
            "enabled": self.enabled,
        }


@dataclass(slots=True)
class Message:
    """One notification, rendered: a subject and text for people, a JSON document for systems."""

    subject: str
    text: str
    data: dict[str, Any]
    html: str | None = None


class Channel(ABC):
    """A way to reach a recipient."""

    name: str = ""
    uses_outbox: bool = True
    """False for channels that need no delivery (the in-app inbox is the alert list itself)."""

    def __init__(self, config: AlertsConfig) -> None:
        self.config = config

    @abstractmethod
    def validate_address(self, address: str | None) -> str | None:
        """The normalised address, or raise ValueError saying what is wrong with it."""

    @abstractmethod
    def send(self, message: Message, recipient: Recipient, delivery_id: int) -> None:
        """Deliver ``message``; raise :class:`DeliveryError` when it did not get through."""
