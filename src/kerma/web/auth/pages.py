"""Log in and log out. The login form carries its own CSRF token (a double-submit cookie), since no
session exists yet to hold one.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import update
from starlette.concurrency import run_in_threadpool

from kerma.privacy.audit import record
from kerma.store.schema.auth import users
from kerma.store.writer import utcnow
from kerma.web.auth.middleware import mark_audited, principal_of
from kerma.web.auth.sessions import COOKIE_NAME, SessionStore
from kerma.web.auth.throttle import record_attempt, wait_seconds
from kerma.web.auth.users import authenticate_password, has_users
from kerma.web.deps import get_engine
from kerma.web.render import render

LOGIN_COOKIE = "kerma_login"

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only paths on this server: '/studies?x=1' is fine, '//evil.example' and 'http://...' become '/'."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.startswith("/login") or target.startswith("/logout"):
        return "/"
    return target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(
    request: Request, next_url: str, message: str | None = None, username: str = "", status: int = 200
) -> Response:
    token = secrets.token_urlsafe(24)
    resp = render(
        request,
        "login.html",
        {
            "next": next_url,
            "message": message,
            "username": username,
            "login_token": token,
            "no_users": not has_users(get_engine(request)),
        },
        status_code=status,
    )
    resp.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=3600,
        path="/login",
    )
    return resp


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    """The login page (already logged-in users are sent on)."""
    return _login_page(request, safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    login_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the password (throttled), start a session and go to ``next``."""
    target = safe_next(next)
    cookie_token = request.cookies.get(LOGIN_COOKIE, "")
    if not login_token or not cookie_token or not hmac.compare_digest(login_token, cookie_token):
        return _login_page(request, target, "The form had expired: please log in again.", username, 403)
    engine = get_engine(request)
    ip = request.client.host if request.client else None
    wait = await run_in_threadpool(wait_seconds, engine, username, ip)
    if wait > 0:
        resp = _login_page(
            request,
            target,
            f"Too many failed attempts: try again in {(wait + 59) // 60} minute(s).",
            username,
            429,
        )
        resp.headers["Retry-After"] = str(wait)
        return resp
    user = await run_in_threadpool(authenticate_password, engine, username, password)
    await run_in_threadpool(record_attempt, engine, username, ip, user is not None)
    if user is None:

        def audit_fail() -> None:
            with engine.begin() as conn:
                record(conn, username.strip()[:64] or "?", "login.failure", None, {"ip": ip})

        await run_in_threadpool(audit_fail)
        return _login_page(request, target, "Wrong username or password.", username, 401)
    store: SessionStore = request.app.state.sessions

    def start() -> str:
        cookie, _ = store.create(user.id, ip, request.headers.get("user-agent"))
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == user.id).values(last_login_at=utcnow()))
            record(conn, user.username, "login.success", None, {"ip": ip})
        return cookie

    cookie = await run_in_threadpool(start)
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(
        COOKIE_NAME,
        cookie,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(store.config.absolute.total_seconds()),
        path="/",
    )
    resp.delete_cookie(LOGIN_COOKIE, path="/login")
    return resp


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (the middleware has checked it and its CSRF token)."""
    store: SessionStore = request.app.state.sessions
    cookie = request.cookies.get(COOKIE_NAME)
    principal = principal_of(request.scope)
    engine = get_engine(request)

    def end() -> None:
        if cookie:
            store.end(cookie)
        if principal is not None:
            with engine.begin() as conn:
                record(conn, principal.username, "logout", None, None)

    await run_in_threadpool(end)
    mark_audited(request.scope)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE_NAME, path="/")
    return resp
