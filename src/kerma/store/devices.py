"""Rooms: listing and merging devices that turn out to be one room."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select, update

from kerma.analytics.values import refresh_device
from kerma.privacy.audit import record
from kerma.store.schema.core import device_observer_uids, devices, dose_objects, studies
from kerma.store.writer import utcnow


def list_devices(engine: Engine) -> list[dict[str, Any]]:
    """All devices with their study counts (merged ones included, with merged_into_id)."""
    counts = (
        select(studies.c.device_id, func.count().label("studies")).group_by(studies.c.device_id).subquery()
    )
    stmt = (
        select(devices, func.coalesce(counts.c.studies, 0).label("studies"))
        .outerjoin(counts, counts.c.device_id == devices.c.id)
        .order_by(devices.c.id)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def merge_devices(engine: Engine, keep: int, other: int, actor: str) -> int:
    """Merge ``other`` into ``keep``: studies, objects and observer UIDs move; returns studies moved."""
    if keep == other:
        raise ValueError("cannot merge a device into itself")
    with engine.begin() as conn:
        found = {
            r[0]: r[1]
            for r in conn.execute(
                select(devices.c.id, devices.c.merged_into_id).where(devices.c.id.in_([keep, other]))
            )
        }
        for d in (keep, other):
            if d not in found:
                raise ValueError(f"no device with id {d}")
        if found[keep] is not None:
            raise ValueError(f"device {keep} is itself merged into {found[keep]}; merge into that one")
        moved = conn.execute(
            update(studies).where(studies.c.device_id == other).values(device_id=keep)
        ).rowcount
        conn.execute(update(dose_objects).where(dose_objects.c.device_id == other).values(device_id=keep))
        refresh_device(conn, other, keep)
        conn.execute(
            update(device_observer_uids)
            .where(device_observer_uids.c.device_id == other)
            .values(device_id=keep)
        )
        conn.execute(update(devices).where(devices.c.merged_into_id == other).values(merged_into_id=keep))
        conn.execute(update(devices).where(devices.c.id == other).values(merged_into_id=keep))
        record(
            conn,
            actor,
            "device.merge",
            f"device:{other}",
            {"into": keep, "studies_moved": moved, "at": utcnow().isoformat()},
        )
    return int(moved)
