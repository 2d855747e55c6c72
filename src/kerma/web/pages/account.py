"""The account page: one's roles, password change and personal API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from kerma.web.auth.middleware import mark_audited
from kerma.web.auth.roles import Principal
from kerma.web.auth.users import (
    UserError,
    authenticate_password,
    create_token,
    list_tokens,
    revoke_token,
    update_user,
)
from kerma.web.deps import get_engine, get_principal
from kerma.web.render import render

pages = APIRouter(include_in_schema=False)


def _page(request: Request, engine: Engine, principal: Principal, **extra: object) -> Response:
    status = int(extra.pop("status", 200))  # type: ignore[call-overload]
    return render(
        request,
        "account.html",
        {"tokens": list_tokens(engine, principal.user_id), **extra},
        status_code=status,
    )


@pages.get("/account", response_class=HTMLResponse)
def account(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> Response:
    """Roles, password, tokens."""
    return _page(request, engine, principal)


@pages.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
    current: Annotated[str, Form(max_length=1024)] = "",
    new: Annotated[str, Form(max_length=1024)] = "",
    repeat: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """New password (the current one confirms it); every session ends, so log in again."""
    mark_audited(request.scope)
    if new != repeat:
        return _page(request, engine, principal, error="The two new passwords differ.", status=422)
    if authenticate_password(engine, principal.username, current) is None:
        return _page(request, engine, principal, error="The current password is wrong.", status=403)
    try:
        update_user(engine, principal.user_id, principal.username, password=new)
    except UserError as exc:
        return _page(request, engine, principal, error=str(exc), status=422)
    return RedirectResponse("/login", status_code=303)


@pages.post("/account/tokens", response_class=HTMLResponse)
def new_token(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
    name: Annotated[str, Form(max_length=200)] = "",
    days: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    """Create a personal API token and show it once."""
    mark_audited(request.scope)
    n_days = int(days) if days.strip().isdigit() and 0 < int(days) <= 3650 else None
    token = create_token(engine, principal.username, principal.username, name or None, n_days)
    return _page(request, engine, principal, new_token=token)


@pages.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke(
    request: Request,
    token_id: int,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> Response:
    """Revoke one of one's tokens."""
    mark_audited(request.scope)
    ok = revoke_token(engine, token_id, principal.username, owner_id=principal.user_id)
    return _page(
        request,
        engine,
        principal,
        message="Token revoked." if ok else None,
        error=None if ok else "No such active token.",
    )
