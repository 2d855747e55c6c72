"""Who may call which route: one generic policy applied to every route the app factory mounts.

Defaults by path and method, so routers written for other capabilities are protected without any code
of their own: reads need viewer, writes need mpe, user administration and admin pages need admin, identity
routes need `pid`. A router module may ask for more (never less) with module attributes:

- ``REQUIRED_ROLE = "mpe"``: the least role for every route of the module;
- ``REQUIRED_WRITE_ROLE = "admin"``: the least role for its POST/PUT/PATCH/DELETE routes;
- ``REQUIRES_PID = True``: every route of the module shows identities.

Paths that answer without login are listed here and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, Mount, compile_path

from kerma.web.auth.roles import LEVEL_NAMES, PUBLIC, Level, Requirement

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PATHS = frozenset({"/health", "/login", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/",)
ADMIN_PREFIXES = ("/api/users", "/api/audit", "/admin")
# Routes any logged-in user may write to: their own session and account.
SELF_SERVICE = ("/logout", "/api/me", "/account")
_IDENTITY = re.compile(r"/(identity|identities)(/|$)")


def is_public(path: str) -> bool:
    """True for the few paths that never need a login."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _under(path: str, prefixes: Iterable[str]) -> bool:
    return any(path == p or path.startswith(p + "/") or path.startswith(p + "?") for p in prefixes)


def default_requirement(path: str, method: str) -> Requirement:
    """The requirement of a route by its path (template or concrete) and HTTP method."""
    if is_public(path):
        return PUBLIC
    pid = bool(_IDENTITY.search(path))
    if _under(path, ADMIN_PREFIXES):
        return Requirement(Level.ADMIN, pid)
    if _under(path, SELF_SERVICE):
        return Requirement(Level.VIEWER, pid)
    if method.upper() in SAFE_METHODS:
        return Requirement(Level.VIEWER, pid)
    return Requirement(Level.MPE, pid)


def module_requirement(module: ModuleType | None, method: str) -> Requirement:
    """What a router module declares for routes of ``method`` (no declaration: nothing extra)."""
    if module is None:
        return Requirement(Level.NONE)
    req = Requirement(Level.NONE, bool(getattr(module, "REQUIRES_PID", False)))
    role = getattr(module, "REQUIRED_ROLE", None)
    if role:
        req = req.stricter(Requirement(LEVEL_NAMES[str(role)]))
    write_role = getattr(module, "REQUIRED_WRITE_ROLE", None)
    if write_role and method.upper() not in SAFE_METHODS:
        req = req.stricter(Requirement(LEVEL_NAMES[str(write_role)]))
    return req


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """One mounted route as the client sees it: full path template, methods, the module that mounted it."""

    path: str
    methods: frozenset[str]
    module: ModuleType | None
    regex: re.Pattern[str]
    is_mount: bool = False


def flat_routes(routes: Sequence[BaseRoute]) -> Iterator[tuple[str, frozenset[str], BaseRoute]]:
    """(full path, methods, original route) of every route, descending into included routers."""
    for ctx in iter_route_contexts(list(routes)):
        path = str(ctx.path or getattr(ctx.original_route, "path", ""))
        methods = frozenset(ctx.methods or ())
        yield path, methods, ctx.original_route


class RoutePolicy:
    """Requirement of every mounted route, and lookup of the route a request will reach."""

    def __init__(self) -> None:
        self._modules: dict[int, ModuleType] = {}
        self._table: list[RouteInfo] | None = None

    def assign(self, routes: Sequence[BaseRoute], module: ModuleType) -> None:
        """Remember that ``module`` mounted ``routes`` (its declarations apply to them)."""
        for _, _, original in flat_routes(routes):
            self._modules[id(original)] = module
        self._table = None

    def build(self, routes: Sequence[BaseRoute]) -> list[RouteInfo]:
        """The route table of an app (done once, after every router is mounted)."""
        table = []
        for path, methods, original in flat_routes(routes):
            if isinstance(original, Mount):
                regex = re.compile("^" + re.escape(path.rstrip("/")) + "/.*$")
                table.append(RouteInfo(path, frozenset(), None, regex, is_mount=True))
                continue
            table.append(RouteInfo(path, methods, self._modules.get(id(original)), compile_path(path)[0]))
        self._table = table
        return table

    def requirement(self, info: RouteInfo, method: str) -> Requirement:
        """Requirement of a route for ``method``: the default, made stricter by its module."""
        if info.is_mount:
            return (
                PUBLIC if is_public(info.path.rstrip("/") + "/") else default_requirement(info.path, method)
            )
        base = default_requirement(info.path, method)
        if base == PUBLIC:
            return base
        return base.stricter(module_requirement(info.module, method))

    def for_request(self, routes: Sequence[BaseRoute], path: str, method: str) -> Requirement:
        """Requirement of a request: its route's, else the default for its path (deny by default)."""
        table = self._table if self._table is not None else self.build(routes)
        method = "GET" if method == "HEAD" else method
        partial: RouteInfo | None = None
        for info in table:
            if not info.regex.match(path):
                continue
            if info.is_mount or method in info.methods or not info.methods:
                return self.requirement(info, method)
            if partial is None:
                partial = info
        if partial is not None:
            return self.requirement(partial, method)
        # no route: the router will answer 404 or 405, but only to a logged-in user
        return default_requirement(path, method)
