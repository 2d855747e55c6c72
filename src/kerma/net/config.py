"""Known senders (calling AE titles) and PACS nodes: the node's configuration, kept in the store."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, delete, select, update

from kerma.store.schema.net import dicom_senders, pacs_nodes
from kerma.store.writer import utcnow

_AE_TITLE = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")  # PS3.5 AE VR: 16 chars, no backslash or controls


def check_ae_title(value: str, what: str = "AE title") -> str:
    """A valid AE title (leading/trailing spaces removed) or ValueError naming the problem."""
    title = value.strip()
    if not title or not _AE_TITLE.match(title):
        raise ValueError(f"{what} {value!r} is not valid: 1 to 16 printable characters, no backslash")
    return title


@dataclass(slots=True, frozen=True)
class Sender:
    """A calling AE title Kerma knows, and how its room is named."""

    ae_title: str
    station_name: str | None = None
    override_station_name: bool = False
    institution: str | None = None
    enabled: bool = True
    comment: str | None = None


@dataclass(slots=True, frozen=True)
class PacsNode:
    """A PACS (Q/R SCP) to pull history from."""

    name: str
    host: str
    port: int
    ae_title: str
    retrieve_method: str = "get"
    move_destination: str | None = None
    id: int | None = None
    last_pulled_to: date | None = None


# -- senders -----------------------------------------------------------------------------------------


def add_sender(engine: Engine, sender: Sender) -> None:
    """Add or replace a known sender."""
    title = check_ae_title(sender.ae_title, "calling AE title")
    values = {
        "station_name": sender.station_name,
        "override_station_name": sender.override_station_name,
        "institution": sender.institution,
        "enabled": sender.enabled,
        "comment": sender.comment,
    }
    with engine.begin() as conn:
        found = conn.execute(select(dicom_senders.c.id).where(dicom_senders.c.ae_title == title)).first()
        if found:
            conn.execute(update(dicom_senders).where(dicom_senders.c.id == found[0]).values(**values))
        else:
            conn.execute(dicom_senders.insert().values(ae_title=title, created_at=utcnow(), **values))


def remove_sender(engine: Engine, ae_title: str) -> bool:
    """Forget a sender; True when it was known."""
    with engine.begin() as conn:
        return (
            conn.execute(delete(dicom_senders).where(dicom_senders.c.ae_title == ae_title.strip())).rowcount
            > 0
        )


def list_senders(engine: Engine) -> list[Sender]:
    """All known senders, by AE title."""
    with engine.connect() as conn:
        rows = conn.execute(select(dicom_senders).order_by(dicom_senders.c.ae_title)).mappings().all()
    return [
        Sender(
            ae_title=r["ae_title"],
            station_name=r["station_name"],
            override_station_name=bool(r["override_station_name"]),
            institution=r["institution"],
            enabled=bool(r["enabled"]),
            comment=r["comment"],
        )
        for r in rows
    ]


class SenderDirectory:
    """Known senders as the listener sees them: read from the store, refreshed every few seconds.

    Refreshing lets `kerma senders add` take effect on a running `kerma serve` without a restart.
    """

    def __init__(self, engine: Engine, restrict: bool = False, refresh_s: float = 5.0) -> None:
        self.engine = engine
        self.restrict = restrict
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._senders: dict[str, Sender] = {}
        self._loaded_at = float("-inf")

    def _current(self) -> dict[str, Sender]:
        now = time.monotonic()
        with self._lock:
            if now - self._loaded_at >= self.refresh_s:
                try:
                    self._senders = {s.ae_title: s for s in list_senders(self.engine)}
                    self._loaded_at = now
                except Exception:  # database briefly unavailable: keep the last known list
                    pass
            return self._senders

    def get(self, ae_title: str) -> Sender | None:
        """The sender configured for a calling AE title, if any (disabled ones included)."""
        return self._current().get(ae_title.strip())

    def is_allowed(self, ae_title: str) -> bool:
        """Open mode allows everyone; restricted mode only enabled known senders."""
        if not self.restrict:
            return True
        sender = self.get(ae_title)
        return sender is not None and sender.enabled

    def allowed_titles(self) -> list[str]:
        """Enabled known AE titles (what restricted mode accepts)."""
        return sorted(t for t, s in self._current().items() if s.enabled)


# -- PACS nodes --------------------------------------------------------------------------------------


def add_pacs_node(engine: Engine, node: PacsNode) -> None:
    """Add or replace a PACS node by name."""
    if node.retrieve_method not in ("get", "move"):
        raise ValueError(f"retrieve method {node.retrieve_method!r}: use get or move")
    if not 0 < node.port < 65536:
        raise ValueError(f"port {node.port} is not a TCP port")
    if not re.match(r"^[A-Za-z0-9_.-]{1,64}$", node.name):
        raise ValueError(f"node name {node.name!r}: use letters, digits, '.', '_' or '-'")
    values = {
        "host": node.host,
        "port": node.port,
        "ae_title": check_ae_title(node.ae_title, "PACS AE title"),
        "retrieve_method": node.retrieve_method,
        "move_destination": check_ae_title(node.move_destination, "move destination")
        if node.move_destination
        else None,
    }
    with engine.begin() as conn:
        found = conn.execute(select(pacs_nodes.c.id).where(pacs_nodes.c.name == node.name)).first()
        if found:
            conn.execute(update(pacs_nodes).where(pacs_nodes.c.id == found[0]).values(**values))
        else:
            conn.execute(pacs_nodes.insert().values(name=node.name, created_at=utcnow(), **values))


def _node(r: dict[str, object]) -> PacsNode:
    return PacsNode(
        name=str(r["name"]),
        host=str(r["host"]),
        port=int(str(r["port"])),
        ae_title=str(r["ae_title"]),
        retrieve_method=str(r["retrieve_method"]),
        move_destination=str(r["move_destination"]) if r["move_destination"] else None,
        id=int(str(r["id"])),
        last_pulled_to=r["last_pulled_to"] if isinstance(r["last_pulled_to"], date) else None,
    )


def get_pacs_node(engine: Engine, name: str) -> PacsNode | None:
    """The node called ``name``, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(pacs_nodes).where(pacs_nodes.c.name == name)).mappings().first()
    return _node(dict(row)) if row else None


def list_pacs_nodes(engine: Engine) -> list[PacsNode]:
    """All PACS nodes, by name."""
    with engine.connect() as conn:
        rows = conn.execute(select(pacs_nodes).order_by(pacs_nodes.c.name)).mappings().all()
    return [_node(dict(r)) for r in rows]


def remove_pacs_node(engine: Engine, name: str) -> bool:
    """Forget a node and its pull progress; True when it existed."""
    from kerma.store.schema.net import pull_progress

    with engine.begin() as conn:
        row = conn.execute(select(pacs_nodes.c.id).where(pacs_nodes.c.name == name)).first()
        if row is None:
            return False
        conn.execute(delete(pull_progress).where(pull_progress.c.node_id == row[0]))
        conn.execute(delete(pacs_nodes).where(pacs_nodes.c.id == row[0]))
        return True


def set_last_pulled(engine: Engine, name: str, day: date) -> None:
    """Remember the end of the last completed pull window (the nightly pull starts there)."""
    with engine.begin() as conn:
        conn.execute(update(pacs_nodes).where(pacs_nodes.c.name == name).values(last_pulled_to=day))
