"""REST API: users and tokens (admins), the audit log (admins), and one's own account (`/api/me`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from kerma.web.auth.middleware import mark_audited
from kerma.web.auth.roles import Principal
from kerma.web.auth.users import (
    UserError,
    authenticate_password,
    create_token,
    create_user,
    list_tokens,
    list_users,
    revoke_token,
    update_user,
)
from kerma.web.data.audit import GROUPS, list_audit
from kerma.web.deps import get_engine, get_principal

router = APIRouter(tags=["users"])

Role = Literal["viewer", "mpe", "admin", "pid"]


class NewUser(BaseModel):
    """A user to create."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    roles: list[Role] = Field(min_length=1, max_length=4)


class UserChange(BaseModel):
    """Changes to a user (omitted fields stay)."""

    roles: list[Role] | None = Field(default=None, min_length=1, max_length=4)
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=1, max_length=1024)


class NewToken(BaseModel):
    """An API token to create."""

    name: str | None = Field(default=None, max_length=200)
    days: int | None = Field(default=None, ge=1, le=3650)


class PasswordChange(BaseModel):
    """A new password for oneself, confirmed with the current one."""

    current: str = Field(min_length=1, max_length=1024)
    new: str = Field(min_length=1, max_length=1024)


def _bad(exc: UserError) -> HTTPException:
    return HTTPException(422, str(exc))


@router.get("/api/users", summary="All users (admins)")
def get_users(engine: Annotated[Engine, Depends(get_engine)]) -> list[dict[str, Any]]:
    """Users with roles, active flag and last login."""
    return [u.as_dict() for u in list_users(engine)]


@router.post("/api/users", status_code=201, summary="Create a user (admins)")
def post_user(
    request: Request,
    body: NewUser,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> dict[str, Any]:
    """Create a local account with an argon2id-hashed password."""
    try:
        user = create_user(engine, body.username, body.password, list(body.roles), principal.username)
    except UserError as exc:
        raise _bad(exc) from None
    mark_audited(request.scope)
    return user.as_dict()


@router.patch("/api/users/{user_id}", summary="Change a user's roles, active flag or password (admins)")
def patch_user(
    request: Request,
    user_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: UserChange,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> dict[str, Any]:
    """The last active admin keeps admin; a disabled user's sessions end."""
    try:
        user = update_user(
            engine,
            user_id,
            principal.username,
            roles=list(body.roles) if body.roles else None,
            is_active=body.is_active,
            password=body.password,
        )
    except UserError as exc:
        raise HTTPException(404 if "no user" in str(exc) else 422, str(exc)) from None
    mark_audited(request.scope)
    return user.as_dict()


@router.get("/api/users/tokens", summary="All API tokens (admins; never the tokens themselves)")
def get_all_tokens(engine: Annotated[Engine, Depends(get_engine)]) -> list[dict[str, Any]]:
    """Tokens with owner, prefix, creation, last use, expiry and revocation."""
    return list_tokens(engine)


@router.delete("/api/users/tokens/{token_id}", summary="Revoke any API token (admins)")
def delete_any_token(
    request: Request,
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> dict[str, bool]:
    """Revoke a token by id."""
    if not revoke_token(engine, token_id, principal.username):
        raise HTTPException(404, f"no active token with id {token_id}")
    mark_audited(request.scope)
    return {"revoked": True}


@router.get("/api/audit", summary="The audit log (admins)")
def get_audit(
    engine: Annotated[Engine, Depends(get_engine)],
    group: Annotated[Literal["logins", "identity", "exports", "users", "changes"] | None, Query()] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Entries newest first: logins, identity views, exports, user and configuration changes."""
    assert group is None or group in GROUPS
    rows, total = list_audit(engine, group, actor, date_from, date_to, page, page_size)
    return {"items": rows, "total": total, "page": page, "page_size": page_size}


@router.get("/api/me", summary="The logged-in user")
def get_me(principal: Annotated[Principal, Depends(get_principal)]) -> dict[str, Any]:
    """Username, roles and how this request was authenticated."""
    return {"username": principal.username, "roles": sorted(principal.roles), "via": principal.via}


@router.get("/api/me/tokens", summary="My API tokens")
def get_my_tokens(
    engine: Annotated[Engine, Depends(get_engine)], principal: Annotated[Principal, Depends(get_principal)]
) -> list[dict[str, Any]]:
    """The caller's tokens (never the tokens themselves)."""
    return list_tokens(engine, principal.user_id)


@router.post("/api/me/tokens", status_code=201, summary="Create an API token for myself")
def post_my_token(
    request: Request,
    body: NewToken,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> dict[str, str]:
    """The token is in the answer once; only its hash is stored."""
    try:
        token = create_token(engine, principal.username, principal.username, body.name, body.days)
    except UserError as exc:
        raise _bad(exc) from None
    mark_audited(request.scope)
    return {"token": token}


@router.delete("/api/me/tokens/{token_id}", summary="Revoke one of my API tokens")
def delete_my_token(
    request: Request,
    token_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> dict[str, bool]:
    """Revoke a token of the caller."""
    if not revoke_token(engine, token_id, principal.username, owner_id=principal.user_id):
        raise HTTPException(404, f"you have no active token with id {token_id}")
    mark_audited(request.scope)
    return {"revoked": True}


@router.post("/api/me/password", summary="Change my password")
def post_my_password(
    request: Request,
    body: PasswordChange,
    engine: Annotated[Engine, Depends(get_engine)],
    principal: Annotated[Principal, Depends(get_principal)],
) -> dict[str, bool]:
    """Needs the current password; all of the caller's sessions end."""
    if authenticate_password(engine, principal.username, body.current) is None:
        raise HTTPException(403, "the current password is wrong")
    try:
        update_user(engine, principal.user_id, principal.username, password=body.new)
    except UserError as exc:
        raise _bad(exc) from None
    mark_audited(request.scope)
    return {"changed": True}
