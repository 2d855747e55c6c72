"""REST API: rooms (devices): list for everyone; rename and merge for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine, update

from kerma.privacy.audit import record
from kerma.store.devices import list_devices, merge_devices
from kerma.store.schema.core import devices
from kerma.web.auth.middleware import mark_audited
from kerma.web.auth.roles import Principal
from kerma.web.data.lookups import forget
from kerma.web.deps import get_engine, get_principal

router = APIRouter(prefix="/api/devices", tags=["devices"])
# Renaming or merging rooms changes every statistic per room: admins only.
REQUIRED_WRITE_ROLE = "admin"

DeviceId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class Rename(BaseModel):
    """A room's new display name."""

    display_name: str = Field(min_length=1, max_length=200)


class Merge(BaseModel):
    """The device that is the same room as this one (it is merged into this one)."""

    other: int = Field(ge=1, le=2**31 - 1)


@router.get("", summary="Rooms (devices) with their study counts")
def get_devices(engine: Annotated[Engine, Depends(get_engine)]) -> list[dict[str, Any]]:
    """All devices, merged ones included (with merged_into_id)."""
    return list_devices(engine)


def rename_device(engine: Engine, device_id: int, name: str, actor: str) -> None:
    """Give a room a display name (audited); raises LookupError for an unknown id."""
    with engine.begin() as conn:
        n = conn.execute(
            update(devices).where(devices.c.id == device_id).values(display_name=name.strip())
        ).rowcount
        if not n:
            raise LookupError(f"no device with id {device_id}")
        record(conn, actor, "device.rename", f"device:{device_id}", {"display_name": name.strip()})
    forget(engine)


@router.patch("/{device_id}", summary="Rename a room (admins)")
def patch_device(
    request: Request,
    device_id: DeviceId,
    body: Rename,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> dict[str, Any]:
    """Set the display name used in lists and charts."""
    try:
        rename_device(engine, device_id, body.display_name, principal.username)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    mark_audited(request.scope)
    return {"id": device_id, "display_name": body.display_name.strip()}


@router.post("/{device_id}/merge", summary="Merge another device into this room (admins)")
def post_merge(
    request: Request,
    device_id: DeviceId,
    body: Merge,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> dict[str, Any]:
    """The other device's studies move here; audited."""
    try:
        moved = merge_devices(engine, device_id, body.other, principal.username)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    forget(engine)
    mark_audited(request.scope)
    return {"kept": device_id, "merged": body.other, "studies_moved": moved}
