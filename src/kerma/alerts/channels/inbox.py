"""The in-app inbox: alerts are listed in Kerma itself, so there is nothing to deliver."""

from __future__ import annotations

from kerma.alerts.channels.base import Channel, Message, Recipient


class InboxChannel(Channel):
    """Alerts show in the inbox page and `kerma alerts list`; routing still decides who sees them."""

    name = "inbox"
    uses_outbox = False

    def validate_address(self, address: str | None) -> str | None:
        """No address needed."""
        return None

    def send(self, message: Message, recipient: Recipient, delivery_id: int) -> None:
        """Nothing to do: the alert is in the inbox already."""
