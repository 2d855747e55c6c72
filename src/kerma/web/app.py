"""The FastAPI application factory: mounts the routers of every installed capability."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from kerma import __version__
from kerma.config import Settings
from kerma.plugins import WEB_MODULES, load


def create_app(engine: Engine, settings: Settings | None = None) -> FastAPI:
    """Build the app for a store. Routers come from the capability modules listed in kerma.plugins."""
    app = FastAPI(title="Kerma", version=__version__, docs_url="/api/docs", redoc_url=None)
    app.state.engine = engine
    app.state.settings = settings or Settings()

    @app.get("/health", tags=["status"])
    def health() -> dict[str, str]:
        """Liveness: answers without login."""
        return {"status": "ok", "version": __version__}

    for mod in load(WEB_MODULES):
        router = getattr(mod, "router", None)
        if router is not None:
            app.include_router(router)
        pages = getattr(mod, "pages", None)
        if pages is not None:
            app.include_router(pages)
    return app
