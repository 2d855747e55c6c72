"""The FastAPI application factory: mounts the routers of every installed capability behind one access
policy (see kerma.web.auth.policy), serves the static assets and answers errors as JSON or as pages.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kerma import __version__
from kerma.config import Settings
from kerma.plugins import WEB_MODULES, load
from kerma.web.auth import pages as auth_pages
from kerma.web.auth.middleware import AccessMiddleware, wants_json
from kerma.web.auth.policy import RoutePolicy
from kerma.web.auth.roles import Principal, Requirement
from kerma.web.auth.sessions import SessionConfig, SessionStore, cookie_key
from kerma.web.render import STATIC, render

# Content Security Policy: every script, style and image comes from Kerma itself (blob: for PNG export).
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class SecurityHeaders:
    """Adds CSP and related headers; pages and API answers are not cached (they show patient data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)


def _session_config(settings: Settings) -> SessionConfig:
    secure = os.environ.get("KERMA_SECURE_COOKIES", str(settings.extra.get("secure_cookies", ""))).lower()
    return SessionConfig(secure_cookie=secure in ("1", "true", "yes"))


def _mount(app: FastAPI, policy: RoutePolicy, module: ModuleType) -> None:
    for attr in ("router", "pages"):
        router = getattr(module, attr, None)
        if router is None:
            continue
        policy.assign(router.routes, module)
        app.include_router(router)


async def _forbidden_page(request: Request, principal: Principal, req: Requirement) -> Response:
    return render(
        request,
        "error.html",
        {
            "title": "Not allowed",
            "message": f"This page needs the role {req.describe()}; your account ({principal.username}) "
            f"has {', '.join(sorted(principal.roles))}. Ask an administrator if you need it.",
        },
        status_code=403,
    )


def create_app(engine: Engine, settings: Settings | None = None) -> FastAPI:
    """Build the app for a store. Routers come from the capability modules listed in kerma.plugins."""
    settings = settings or Settings()
    app = FastAPI(
        title="Kerma",
        version=__version__,
        description="Radiation dose management: studies, dose statistics, DRLs, alerts and the registry. "
        "Authenticate with `Authorization: Bearer TOKEN` (create one with `kerma token create USERNAME`).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.engine = engine
    app.state.settings = settings
    policy = RoutePolicy()
    app.state.policy = policy
    sessions = SessionStore(engine, cookie_key(settings), _session_config(settings))
    app.state.sessions = sessions

    @app.get("/health", tags=["status"])
    def health() -> dict[str, str]:
        """Liveness: answers without login."""
        return {"status": "ok", "version": __version__}

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _mount(app, policy, auth_pages)
    for mod in load(WEB_MODULES):
        _mount(app, policy, mod)
    _error_handlers(app)
    app.add_middleware(
        AccessMiddleware, policy=policy, sessions=lambda: sessions, forbidden_page=_forbidden_page
    )
    app.add_middleware(SecurityHeaders)
    return app


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_json(request.url.path):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        titles = {404: "Not found", 403: "Not allowed", 401: "Log in first", 405: "Not possible"}
        message = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        if exc.status_code == 404 and message == "Not Found":
            message = "There is no page at this address."
        return render(
            request,
            "error.html",
            {"title": titles.get(exc.status_code, "Something went wrong"), "message": message},
            status_code=exc.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors: list[dict[str, Any]] = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "body", "path")),
                "message": e.get("msg", "invalid"),
            }
            for e in exc.errors()
        ]
        text = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        if wants_json(request.url.path):
            return JSONResponse({"detail": f"invalid request: {text}", "errors": errors}, status_code=422)
        return render(
            request,
            "error.html",
            {"title": "Invalid request", "message": f"Please check the form: {text}."},
            status_code=422,
        )
