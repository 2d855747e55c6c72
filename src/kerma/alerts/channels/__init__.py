"""Notification channels, by name: e-mail, webhook and the in-app inbox.

A new channel is a :class:`~kerma.alerts.channels.base.Channel` subclass registered with
:func:`register`; recipients name it in their ``channel`` field.
"""

from __future__ import annotations

from kerma.alerts.channels.base import Channel, DeliveryError, Message, Recipient
from kerma.alerts.channels.email import EmailChannel
from kerma.alerts.channels.inbox import InboxChannel
from kerma.alerts.channels.webhook import WebhookChannel
from kerma.alerts.config import AlertsConfig

CHANNELS: dict[str, type[Channel]] = {}


def register(cls: type[Channel]) -> type[Channel]:
    """Make a channel class available by its name."""
    CHANNELS[cls.name] = cls
    return cls


for _cls in (EmailChannel, WebhookChannel, InboxChannel):
    register(_cls)


def make_channel(name: str, config: AlertsConfig) -> Channel:
    """An instance of the channel called ``name``; KeyError names the known ones."""
    try:
        return CHANNELS[name](config)
    except KeyError:
        raise KeyError(f"unknown channel {name!r}; known: {', '.join(sorted(CHANNELS))}") from None


__all__ = ["CHANNELS", "Channel", "DeliveryError", "Message", "Recipient", "make_channel", "register"]
