"""The access check every request passes: authentication, the route's role requirement, CSRF, and an
audit entry for every successful write. It is ASGI middleware, so it guards every route of the app,
whoever wrote the router, and even paths no route answers.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote, urlsplit

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kerma.privacy.audit import record
from kerma.web.auth.policy import SAFE_METHODS, RoutePolicy
from kerma.web.auth.roles import PUBLIC, Principal, Requirement
from kerma.web.auth.sessions import COOKIE_NAME, SessionStore
from kerma.web.auth.users import principal_for_token

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
# Bodies read to find a form's CSRF field are held in memory: uploads beyond this are refused.
MAX_FORM_BYTES = 64 * 1024 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

ForbiddenPage = Callable[[Request, Principal, Requirement], Awaitable[Response]]


def wants_json(path: str) -> bool:
    """API paths (and the OpenAPI document) answer in JSON; everything else is a page."""
    return path.startswith("/api/") or path == "/api" or path == "/openapi.json"


def principal_of(scope: Scope) -> Principal | None:
    """The principal the middleware put in the request's state."""
    state = scope.get("state") or {}
    p = state.get("principal")
    return p if isinstance(p, Principal) else None


def mark_audited(scope: Scope) -> None:
    """Tell the middleware this request wrote its own, more specific, audit entry."""
    scope.setdefault("state", {})["audited"] = True


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return None
        body = msg.get("body", b"")
        size += len(body)
        if size > limit:
            return None
        chunks.append(body)
        if not msg.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class AccessMiddleware:
    """Authenticates (bearer token or session cookie), authorises by route, checks CSRF, audits writes."""

    def __init__(
        self,
        app: ASGIApp,
        policy: RoutePolicy,
        sessions: Callable[[], SessionStore],
        forbidden_page: ForbiddenPage | None = None,
    ) -> None:
        self.app = app
        self.policy = policy
        self.sessions = sessions
        self.forbidden_page = forbidden_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            # no websocket endpoints exist; refuse rather than pass them unchecked
            await send({"type": "websocket.close", "code": 1008})
            return
        app = scope["app"]
        path: str = scope["path"]
        method: str = scope["method"]
        req = self.policy.for_request(app.router.routes, path, method)
        if req == PUBLIC:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        principal = await anyio.to_thread.run_sync(self._authenticate, app, headers)
        if principal is None:
            await self._unauthenticated(scope, path)(scope, receive, send)
            return
        if not principal.satisfies(req):
            if wants_json(path) or self.forbidden_page is None:
                resp: Response = _error(
                    403,
                    f"this needs the role {req.describe()}; "
                    f"{principal.username} has {', '.join(sorted(principal.roles))}",
                )
            else:
                resp = await self.forbidden_page(Request(scope), principal, req)
            await resp(scope, receive, send)
            return
        unsafe = method not in SAFE_METHODS
        if unsafe and principal.via == "session":
            problem, receive = await self._csrf(scope, receive, headers, principal)
            if problem is not None:
                await _error(403, problem)(scope, receive, send)
                return
        scope.setdefault("state", {})["principal"] = principal
        if not unsafe:
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, send_wrapper)
        state: MutableMapping[str, Any] = scope.get("state") or {}
        if status < 400 and not state.get("audited"):
            await anyio.to_thread.run_sync(self._audit_write, app, principal, method, path, status)

    # -- parts --------------------------------------------------------------------------------------

    def _authenticate(self, app: Any, headers: Headers) -> Principal | None:
        auth = headers.get("authorization", "")
        if auth:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None
            return principal_for_token(app.state.engine, token.strip())
        cookie = _cookie(headers, COOKIE_NAME)
        if not cookie:
            return None
        return self.sessions().load(cookie)

    @staticmethod
    def _unauthenticated(scope: Scope, path: str) -> Response:
        if wants_json(path):
            return _error(
                401,
                "log in first: send 'Authorization: Bearer TOKEN' (kerma token create USERNAME) "
                "or a session cookie from /login",
                {"WWW-Authenticate": "Bearer"},
            )
        target = path + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
        if scope["method"] not in SAFE_METHODS:
            target = "/"
        return RedirectResponse("/login?next=" + quote(target, safe="/"), status_code=303)

    async def _csrf(
        self, scope: Scope, receive: Receive, headers: Headers, principal: Principal
    ) -> tuple[str | None, Receive]:
        origin = headers.get("origin")
        if origin and origin != "null":
            host = headers.get("host", "")
            if urlsplit(origin).netloc != host:
                return "cross-site request refused (Origin does not match this server)", receive
        expected = principal.csrf_token or ""
        given = headers.get(CSRF_HEADER)
        if given is None and headers.get("content-type", "").startswith(FORM_TYPES):
            body = await _read_body(receive, MAX_FORM_BYTES)
            if body is None:
                return "form too large or interrupted", receive
            form = await Request(scope, _replay(body)).form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
            await form.close()
            receive = _replay(body)
        if not given or not expected or not hmac.compare_digest(given, expected):
            return "missing or wrong CSRF token: reload the page and try again", receive
        return None, receive

    @staticmethod
    def _audit_write(app: Any, principal: Principal, method: str, path: str, status: int) -> None:
        with app.state.engine.begin() as conn:
            record(
                conn,
                principal.username,
                f"http.{method.lower()}",
                path,
                {"status": status, "via": principal.via},
            )


def _cookie(headers: Headers, name: str) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v.strip('"')
    return None
