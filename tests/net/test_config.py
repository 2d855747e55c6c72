"""Known senders and PACS nodes in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest

from kerma.net.config import (
    PacsNode,
    Sender,
    SenderDirectory,
    add_pacs_node,
    add_sender,
    check_ae_title,
    get_pacs_node,
    list_pacs_nodes,
    list_senders,
    remove_pacs_node,
    remove_sender,
    set_last_pulled,
)
from kerma.store import open_store


def test_senders_add_replace_remove(db_url: str) -> None:
    engine = open_store(db_url)
    add_sender(engine, Sender("CT_ROOM1", station_name="CT 1"))
    add_sender(
        engine, Sender(" XA2 ", station_name="Angio 2", override_station_name=True, institution="Nord")
    )
    add_sender(engine, Sender("CT_ROOM1", station_name="CT one"))  # replaces
    senders = list_senders(engine)
    assert [s.ae_title for s in senders] == ["CT_ROOM1", "XA2"]
    assert senders[0].station_name == "CT one"
    assert senders[1].override_station_name and senders[1].institution == "Nord"
    assert remove_sender(engine, "XA2")
    assert not remove_sender(engine, "XA2")
    engine.dispose()


@pytest.mark.parametrize("bad", ["", "   ", "A" * 17, "BAD\\AE", "TAB\tAE"])
def test_invalid_ae_titles_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not valid"):
        check_ae_title(bad)


def test_sender_directory_open_and_restricted(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    add_sender(engine, Sender("KNOWN"))
    add_sender(engine, Sender("OFF", enabled=False))
    open_mode = SenderDirectory(engine, restrict=False)
    assert open_mode.is_allowed("ANYONE")
    restricted = SenderDirectory(engine, restrict=True, refresh_s=0)
    assert restricted.is_allowed("KNOWN")
    assert not restricted.is_allowed("OFF")
    assert not restricted.is_allowed("ANYONE")
    assert restricted.allowed_titles() == ["KNOWN"]
    add_sender(engine, Sender("LATER"))  # picked up without a restart
    assert restricted.is_allowed("LATER")
    engine.dispose()


def test_pacs_nodes(db_url: str) -> None:
    engine = open_store(db_url)
    add_pacs_node(engine, PacsNode("main-pacs", "pacs.example", 104, "PACS", "move", "KERMA_RX"))
    add_pacs_node(engine, PacsNode("other", "10.0.0.2", 11112, "ORTHANC"))
    node = get_pacs_node(engine, "main-pacs")
    assert node is not None and node.id is not None
    assert (node.host, node.port, node.ae_title, node.retrieve_method, node.move_destination) == (
        "pacs.example",
        104,
        "PACS",
        "move",
        "KERMA_RX",
    )
    set_last_pulled(engine, "main-pacs", date(2025, 1, 31))
    assert get_pacs_node(engine, "main-pacs").last_pulled_to == date(2025, 1, 31)  # type: ignore[union-attr]
    assert [n.name for n in list_pacs_nodes(engine)] == ["main-pacs", "other"]
    assert remove_pacs_node(engine, "other") and get_pacs_node(engine, "other") is None
    engine.dispose()


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (PacsNode("x", "h", 0, "PACS"), "port"),
        (PacsNode("x", "h", 104, "PACS", "push"), "get or move"),
        (PacsNode("bad name", "h", 104, "PACS"), "node name"),
        (PacsNode("x", "h", 104, "WAY_TOO_LONG_AE_TITLE"), "PACS AE title"),
    ],
)
def test_invalid_pacs_nodes_are_refused(sqlite_url: str, node: PacsNode, message: str) -> None:
    engine = open_store(sqlite_url)
    with pytest.raises(ValueError, match=message):
        add_pacs_node(engine, node)
    engine.dispose()
