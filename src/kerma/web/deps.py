"""Request dependencies shared by routers: the database engine, the settings, and the logged-in user."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from fastapi import HTTPException, Request
from sqlalchemy import Engine

from kerma.config import Settings
from kerma.web.auth.middleware import principal_of
from kerma.web.auth.roles import Principal


def get_engine(request: Request) -> Engine:
    """The app's engine (set by create_app)."""
    return cast(Engine, request.app.state.engine)


def get_settings(request: Request) -> Settings:
    """The app's settings (set by create_app)."""
    return cast(Settings, request.app.state.settings)


def get_principal(request: Request) -> Principal:
    """The logged-in user (the access middleware has already authenticated and authorised the request)."""
    p = principal_of(request.scope)
    if p is None:
        raise HTTPException(401, "log in first")
    return p


def actor(request: Request) -> str:
    """Name to write in audit entries for this request."""
    p = principal_of(request.scope)
    return p.username if p else "anonymous"


def require(role: str) -> Callable[[Request], Principal]:
    """A dependency that also checks a role inside a route (e.g. `pid` for one part of a page)."""

    def check(request: Request) -> Principal:
        p = get_principal(request)
        if not p.can(role):
            raise HTTPException(403, f"this needs the role {role}")
        return p

    return check
