"""Socket options set on DICOM associations, checked on real loopback sockets."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from pynetdicom import evt
from sqlalchemy import Engine

from kerma.config import Settings
from kerma.net.dicom_scp import DicomNode
from kerma.net.sockets import no_delay, quick_ack


@pytest.fixture
def connected() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        try:
            yield accepted
        finally:
            accepted.close()
            client.close()


def _event(sock: socket.socket | None) -> SimpleNamespace:
    """What the handlers read of a pynetdicom event: the association's transport socket."""
    transport = SimpleNamespace(socket=sock) if sock is not None else None
    return SimpleNamespace(assoc=SimpleNamespace(dul=SimpleNamespace(socket=transport)))


def test_no_delay_turns_nagle_off(connected: socket.socket) -> None:
    assert connected.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
    no_delay(_event(connected))
    assert connected.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


@pytest.mark.skipif(not hasattr(socket, "TCP_QUICKACK"), reason="TCP_QUICKACK is Linux only")
def test_quick_ack_is_set_again_after_the_connection_turned_interactive(connected: socket.socket) -> None:
    connected.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)  # as Linux does after an answer
    assert connected.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 0
    quick_ack(_event(connected))
    assert connected.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 1


def test_handlers_tolerate_a_connection_already_gone(connected: socket.socket) -> None:
    connected.close()
    for handler in (no_delay, quick_ack):
        handler(_event(connected))  # OSError from the closed socket is not raised
        handler(_event(None))  # no transport socket at all


def test_the_listener_renews_quick_ack_after_every_pdu_it_sends(engine: Engine) -> None:
    node = DicomNode(engine, Settings())
    assert (evt.EVT_PDU_SENT, quick_ack) in node._handlers()
    assert (evt.EVT_CONN_OPEN, no_delay) in node._handlers()
