"""Socket options for pynetdicom associations."""

from __future__ import annotations

import contextlib
import socket
from typing import Any


def no_delay(event: Any) -> None:
    """Send each PDU at once: a request is written in pieces, and Nagle's algorithm would hold the
    last piece back until the peer's delayed acknowledgement (about 40 ms a request on Linux)."""
    sock = getattr(getattr(event.assoc.dul, "socket", None), "socket", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
