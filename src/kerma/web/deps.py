"""Request dependencies shared by routers: the database engine and the settings of this app."""

from __future__ import annotations

from typing import cast

from fastapi import Request
from sqlalchemy import Engine

from kerma.config import Settings


def get_engine(request: Request) -> Engine:
    """The app's engine (set by create_app)."""
    return cast(Engine, request.app.state.engine)


def get_settings(request: Request) -> Settings:
    """The app's settings (set by create_app)."""
    return cast(Settings, request.app.state.settings)
