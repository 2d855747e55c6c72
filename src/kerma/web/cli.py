"""`kerma user ...` and `kerma token ...`: local accounts and API tokens for the web app and REST API."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kerma.cli_options import DbOption
from kerma.cli_options import open_engine as _engine
from kerma.web.auth.roles import ROLE_NAMES

user_app = typer.Typer(
    help="Web users: add, list, change roles, disable, reset passwords.", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens for scripts (Authorization: Bearer TOKEN).", no_args_is_help=True)
err = Console(stderr=True)

RoleOption = Annotated[
    list[str],
    typer.Option(
        "--role",
        help=f"Role, repeatable or comma-separated: {', '.join(ROLE_NAMES)} (pid: sees identities).",
    ),
]


def _password(confirm: bool = True) -> str:
    env = os.environ.get("KERMA_PASSWORD")
    if env:
        return env
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=confirm))


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name.")], role: RoleOption, db: DbOption = None
) -> None:
    """Create a user; the password comes from KERMA_PASSWORD, else it is prompted for."""
    from kerma.web.auth.users import UserError, create_user

    password = _password()
    try:
        user = create_user(_engine(db), username, password, role, actor="cli")
    except UserError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    err.print(f"user {user.username} created with roles {', '.join(sorted(user.roles))}")


@user_app.command("list")
def user_list(db: DbOption = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List users with their roles and last login."""
    from kerma.web.auth.users import list_users

    rows = [u.as_dict() for u in list_users(_engine(db))]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    t = Table(title="users")
    for c in ("id", "username", "roles", "active", "last login"):
        t.add_column(c)
    for r in rows:
        t.add_row(
            str(r["id"]), r["username"], ",".join(r["roles"]), str(r["is_active"]), r["last_login_at"] or ""
        )
    Console().print(t)


def _user_id(db: str | None, username: str) -> int:
    from kerma.web.auth.users import find_user

    user = find_user(_engine(db), username)
    if user is None:
        err.print(f"[red]no user named {username!r}[/red]")
        raise typer.Exit(2)
    return user.id


@user_app.command("roles")
def user_roles(username: str, role: RoleOption, db: DbOption = None) -> None:
    """Replace a user's roles."""
    from kerma.web.auth.users import UserError, update_user

    try:
        user = update_user(_engine(db), _user_id(db, username), "cli", roles=role)
    except UserError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    err.print(f"{user.username}: {', '.join(sorted(user.roles))}")


@user_app.command("password")
def user_password(username: str, db: DbOption = None) -> None:
    """Set a new password (KERMA_PASSWORD or prompted); the user's sessions end."""
    from kerma.web.auth.users import UserError, update_user

    try:
        update_user(_engine(db), _user_id(db, username), "cli", password=_password())
    except UserError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    err.print(f"password of {username} changed")


@user_app.command("disable")
def user_disable(username: str, db: DbOption = None) -> None:
    """Disable a user: no login, no token, open sessions end."""
    from kerma.web.auth.users import UserError, update_user

    try:
        update_user(_engine(db), _user_id(db, username), "cli", is_active=False)
    except UserError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    err.print(f"{username} disabled")


@user_app.command("enable")
def user_enable(username: str, db: DbOption = None) -> None:
    """Enable a disabled user again."""
    from kerma.web.auth.users import update_user

    update_user(_engine(db), _user_id(db, username), "cli", is_active=True)
    err.print(f"{username} enabled")


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Argument(help="The user the token acts as (with that user's roles).")],
    name: Annotated[str | None, typer.Option("--name", help="What the token is for.")] = None,
    days: Annotated[int | None, typer.Option("--days", min=1, help="Expires after this many days.")] = None,
    db: DbOption = None,
) -> None:
    """Create an API token and print it (shown once; only its hash is stored)."""
    from kerma.web.auth.users import UserError, create_token

    try:
        token = create_token(_engine(db), username, actor="cli", name=name, days=days)
    except UserError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    typer.echo(token)


@token_app.command("list")
def token_list(db: DbOption = None) -> None:
    """List tokens (prefix, owner, use), never the tokens themselves."""
    from kerma.web.auth.users import list_tokens

    t = Table(title="API tokens")
    for c in ("id", "user", "prefix", "name", "created", "last used", "expires", "revoked"):
        t.add_column(c)
    for r in list_tokens(_engine(db)):
        t.add_row(
            *[
                "" if r[k] is None else str(r[k])
                for k in (
                    "id",
                    "username",
                    "prefix",
                    "name",
                    "created_at",
                    "last_used_at",
                    "expires_at",
                    "revoked_at",
                )
            ]
        )
    Console().print(t)


@token_app.command("revoke")
def token_revoke(token_id: int, db: DbOption = None) -> None:
    """Revoke a token by its id (see `kerma token list`)."""
    from kerma.web.auth.users import revoke_token

    if not revoke_token(_engine(db), token_id, "cli"):
        err.print(f"[red]no active token with id {token_id}[/red]")
        raise typer.Exit(2)
    err.print(f"token {token_id} revoked")


def register(app: typer.Typer) -> None:
    """Add `kerma user` and `kerma token` to the root command."""
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
