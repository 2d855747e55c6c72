"""Admin pages: users (create, roles, disable), rooms (rename, merge), API tokens, the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from kerma.store.devices import list_devices, merge_devices
from kerma.web.api.devices import rename_device
from kerma.web.auth.middleware import mark_audited
from kerma.web.auth.roles import ROLE_NAMES, Principal
from kerma.web.auth.users import UserError, create_user, list_tokens, list_users, revoke_token, update_user
from kerma.web.data.audit import GROUPS, list_audit
from kerma.web.data.lookups import forget
from kerma.web.deps import get_engine, get_principal
from kerma.web.filters import page_int, parse_date
from kerma.web.render import render

pages = APIRouter(include_in_schema=False)

TABS = (
    ("/admin", "Users"),
    ("/admin/devices", "Rooms"),
    ("/admin/tokens", "API tokens"),
    ("/admin/audit", "Audit log"),
)


def _users(request: Request, engine: Engine, status: int = 200, **extra: object) -> Response:
    return render(
        request,
        "admin_users.html",
        {"tabs": TABS, "users": list_users(engine), "role_names": ROLE_NAMES, **extra},
        status_code=status,
    )


@pages.get("/admin", response_class=HTMLResponse)
def admin_users(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """Users and their roles."""
    return _users(request, engine)


@pages.post("/admin/users", response_class=HTMLResponse)
async def admin_create_user(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> Response:
    """Create a user from the form (username, password, roles)."""
    form = await request.form()
    mark_audited(request.scope)
    username = str(form.get("username", ""))[:200]
    password = str(form.get("password", ""))[:1024]
    roles = [str(r) for r in form.getlist("roles")][:8]
    try:
        user = create_user(engine, username, password, roles, principal.username)
    except UserError as exc:
        return _users(request, engine, 422, error=str(exc), form_username=username)
    return _users(request, engine, message=f"User {user.username} created.")


@pages.post("/admin/users/{user_id}", response_class=HTMLResponse)
async def admin_update_user(
    request: Request,
    user_id: int,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> Response:
    """Change roles, enable/disable, or set a new password."""
    form = await request.form()
    mark_audited(request.scope)
    action = str(form.get("action", ""))
    try:
        if action == "roles":
            update_user(
                engine, user_id, principal.username, roles=[str(r) for r in form.getlist("roles")][:8]
            )
        elif action in ("disable", "enable"):
            update_user(engine, user_id, principal.username, is_active=action == "enable")
        elif action == "password":
            update_user(engine, user_id, principal.username, password=str(form.get("password", ""))[:1024])
        else:
            return _users(request, engine, 422, error="Unknown action.")
    except UserError as exc:
        return _users(request, engine, 422, error=str(exc))
    return _users(request, engine, message="Saved.")


@pages.get("/admin/devices", response_class=HTMLResponse)
def admin_devices(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """Rooms with their identifying attributes; rename and merge."""
    return render(request, "admin_devices.html", {"tabs": TABS, "devices": list_devices(engine)})


@pages.post("/admin/devices/{device_id}", response_class=HTMLResponse)
async def admin_device_action(
    request: Request,
    device_id: int,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> Response:
    """Rename a room or merge another device into it."""
    form = await request.form()
    mark_audited(request.scope)
    action = str(form.get("action", ""))
    message, error = None, None
    try:
        if action == "rename":
            name = str(form.get("display_name", "")).strip()[:200]
            if not name:
                raise ValueError("give a name")
            rename_device(engine, device_id, name, principal.username)
            message = f"Room {device_id} renamed to {name}."
        elif action == "merge":
            other = str(form.get("other", "")).strip()
            if not other.isdigit() or len(other) > 9:
                raise ValueError("choose the device to merge")
            moved = merge_devices(engine, device_id, int(other), principal.username)
            forget(engine)
            message = f"Device {other} merged into {device_id}: {moved} studies moved."
        else:
            raise ValueError("unknown action")
    except (ValueError, LookupError) as exc:
        error = str(exc)
    return render(
        request,
        "admin_devices.html",
        {"tabs": TABS, "devices": list_devices(engine), "message": message, "error": error},
        status_code=422 if error else 200,
    )


@pages.get("/admin/tokens", response_class=HTMLResponse)
def admin_tokens(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """Every API token (prefix only) with owner and use."""
    return render(request, "admin_tokens.html", {"tabs": TABS, "tokens": list_tokens(engine)})


@pages.post("/admin/tokens/{token_id}/revoke")
def admin_revoke(
    request: Request,
    token_id: int,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> Response:
    """Revoke any token."""
    mark_audited(request.scope)
    revoke_token(engine, token_id, principal.username)
    return RedirectResponse("/admin/tokens", status_code=303)


@pages.get("/admin/audit", response_class=HTMLResponse)
def admin_audit(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    """The audit log with filters."""
    p = request.query_params
    errors: list[str] = []
    group = p.get("group", "")
    group = group if group in GROUPS else ""
    actor = p.get("actor", "").strip()[:64]
    day_from = parse_date(p.get("from", ""), "from", errors)
    day_to = parse_date(p.get("to", ""), "to", errors)
    page = page_int(p, "page", 1, 1, 1_000_000)
    rows, total = list_audit(engine, group or None, actor or None, day_from, day_to, page, 100)
    return render(
        request,
        "admin_audit.html",
        {
            "tabs": TABS,
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, (total + 99) // 100),
            "groups": list(GROUPS),
            "group": group,
            "actor": actor,
            "day_from": day_from,
            "day_to": day_to,
            "errors": errors,
        },
    )
