"""Socket options for pynetdicom associations."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

# Linux only; elsewhere the receiving side keeps the system's acknowledgement timing.
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


def _socket_of(event: Any) -> socket.socket | None:
    return getattr(getattr(event.assoc.dul, "socket", None), "socket", None)


def no_delay(event: Any) -> None:
    """Send each PDU at once: a request is written in pieces, and Nagle's algorithm would hold the
    last piece back until the peer's delayed acknowledgement (about 40 ms a request on Linux)."""
    sock = _socket_of(event)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def quick_ack(event: Any) -> None:
    """Acknowledge received data at once, for senders that keep Nagle's algorithm on (dcmtk's tools do
    by default): such a sender holds back the last piece of each request until what it sent before is
    acknowledged, and a delayed acknowledgement costs it about 40 ms per object. Linux goes back to
    delaying acknowledgements when the connection turns interactive, that is when we answer, so this
    runs after every PDU sent."""
    sock = _socket_of(event)
    if sock is not None and _QUICKACK is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
