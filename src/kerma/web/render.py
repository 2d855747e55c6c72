"""Server-side HTML: the Jinja2 environment, the page layout's context and the navigation."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.routing import BaseRoute

from kerma import __version__
from kerma.web import fmt
from kerma.web.auth.middleware import principal_of
from kerma.web.auth.policy import flat_routes
from kerma.web.auth.roles import Level, Principal

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters.update(
    num=fmt.num,
    with_unit=fmt.with_unit,
    duration=fmt.duration,
    when=fmt.when,
    age=fmt.age,
    label=fmt.label_of,
)
templates.env.globals.update(quantities=fmt.STUDY_QUANTITIES, event_units=fmt.EVENT_UNITS)

# (label, path, least level): shown when the app has a page at that path and the user may open it.
NAV: tuple[tuple[str, str, Level], ...] = (
    ("Overview", "/", Level.VIEWER),
    ("Studies", "/studies", Level.VIEWER),
    ("Charts", "/charts", Level.VIEWER),
    ("Patients", "/patients", Level.VIEWER),
    ("Mapping", "/mapping", Level.VIEWER),
    ("DRL", "/drl", Level.VIEWER),
    ("Alerts", "/alerts", Level.VIEWER),
    ("Registry", "/registry", Level.VIEWER),
    ("DICOM node", "/status", Level.VIEWER),
    ("Admin", "/admin", Level.ADMIN),
)


def _page_paths(routes: list[BaseRoute]) -> set[str]:
    return {path for path, _, _ in flat_routes(routes)}


def nav_for(request: Request, principal: Principal | None) -> list[dict[str, Any]]:
    """Navigation entries for this user, marking the current section."""
    if principal is None:
        return []
    paths = _page_paths(request.app.router.routes)
    here = request.url.path
    items = []
    for label, path, level in NAV:
        if path not in paths or principal.level < level:
            continue
        active = here == path if path == "/" else here == path or here.startswith(path + "/")
        items.append({"label": label, "href": path, "active": active})
    return items


def query_with(request: Request, **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    for k, v in changes.items():
        if v is None:
            continue
        if isinstance(v, (list, tuple)):
            params.extend((k, str(x)) for x in v)
        else:
            params.append((k, str(v)))
    return "?" + urlencode(params) if params else "?"


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the layout's context (user, CSRF token, navigation)."""
    principal = principal_of(request.scope)
    ctx: dict[str, Any] = {
        "user": principal,
        "csrf_token": principal.csrf_token if principal and principal.csrf_token else "",
        "nav": nav_for(request, principal),
        "version": __version__,
        "query_with": lambda **kw: query_with(request, **kw),
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)
