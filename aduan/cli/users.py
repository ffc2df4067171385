"""``aduan users`` and ``aduan tokens``: web accounts and API tokens.

Passwords and tokens are generated here and printed once, on stdout alone, so a script
can capture them; they are never stored in clear and cannot be shown again.
"""

import sys
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlmodel import Session

from aduan.cli.base import app, cli_actor, err, out, store
from models.access_log import record_access
from models.accounts import (
    create_account,
    issue_api_token,
    list_api_tokens,
    list_users,
    revoke_api_token,
    set_active,
    set_email,
)
from models.accounts import reset_password as reset
from models.credentials import generate_password
from models.db import session_scope
from models.exceptions import AccountError
from models.vocab import AccessAction, Role
from models.wita import format_wita

users_app = typer.Typer(help="Accounts for the web inbox.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens (Authorization: Bearer ...).", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin instead."
    ),
]


def _password_from_stdin() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise AccountError("--password-stdin: no password on the first line of stdin")
    return line


def _audit(
    session: Session, action: str, target: str, details: dict[str, Any] | None = None
) -> None:
    """Record an account or token change in the access log, in the change's transaction."""
    record_access(session=session, actor=cli_actor(), action=action, target=target, details=details)


def _show_once(label: str, secret: str) -> None:
    # Plain echo: rich would wrap or style a long secret and break copy-paste.
    typer.echo(f"{label}: {secret}")
    err.print(f"Shown only now: aduan stores just a hash of this {label}.", highlight=False)


@users_app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Login name (lower case letters, digits, ._-).")],
    role: Annotated[Role, typer.Option("--role", help="What the user may do.")],
    agency: Annotated[
        str | None, typer.Option("--agency", help="Agency code; required for --role agency.")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Name shown in the inbox.")] = "",
    email: Annotated[
        str, typer.Option("--email", help="Where they hear of complaints assigned to them.")
    ] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user; prints a random password once (unless --password-stdin)."""

    password = _password_from_stdin() if password_stdin else generate_password(username)
    with session_scope(store()) as session:
        user = create_account(
            session=session,
            username=username,
            role=role.value,
            password=password,
            display_name=name,
            agency_code=agency,
            email=email,
        )
        _audit(session, AccessAction.USER_CREATE, f"user:{user.username}", {"role": user.role})
    where = f" for agency {user.agency_code}" if user.agency_code else ""
    out.print(f"created {user.role} user {user.username}{where}", highlight=False)
    if not password_stdin:
        _show_once("password", password)


@users_app.command("list")
def list_(
    show_all: Annotated[bool, typer.Option("--all/--active", help="Include disabled.")] = True,
) -> None:
    """List users (never their password hashes)."""

    with session_scope(store()) as session:
        users = list_users(session=session)
    table = Table(
        "username", "name", "role", "agency", "e-mail", "active", "last login", title="Users"
    )
    for u in users:
        if show_all or u.active:
            table.add_row(
                u.username,
                u.display_name,
                u.role,
                u.agency_code or "-",
                u.email or "-",
                "yes" if u.active else "no",
                format_wita(u.last_login_at),
            )
    out.print(table)


@users_app.command("set-email")
def set_email_(
    username: Annotated[str, typer.Argument(help="Whose address to set.")],
    email: Annotated[str, typer.Argument(help="The address; an empty string ('') removes it.")],
) -> None:
    """Set the address where a user hears of complaints assigned to them."""

    with session_scope(store()) as session:
        user = set_email(session=session, username=username, email=email)
        _audit(session, AccessAction.USER_EMAIL, f"user:{user.username}", {"set": bool(user.email)})
    if user.email:
        out.print(f"e-mail of {user.username} set to {user.email}", highlight=False)
    else:
        out.print(f"e-mail of {user.username} removed", highlight=False)


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="Who to lock out.")]) -> None:
    """Disable a user: their sessions and API tokens stop working at once."""

    with session_scope(store()) as session:
        user = set_active(session=session, username=username, active=False)
        _audit(session, AccessAction.USER_DISABLE, f"user:{user.username}")
    out.print(
        f"disabled {user.username}; their sessions were ended and their API tokens revoked",
        highlight=False,
    )


@users_app.command("enable")
def enable(username: Annotated[str, typer.Argument(help="Who to let in again.")]) -> None:
    """Enable a disabled user (their old sessions stay ended, their tokens revoked)."""

    with session_scope(store()) as session:
        user = set_active(session=session, username=username, active=True)
        _audit(session, AccessAction.USER_ENABLE, f"user:{user.username}")
    out.print(
        f"enabled {user.username}; their old API tokens stay revoked "
        "(`aduan tokens create` issues new ones)",
        highlight=False,
    )


@users_app.command("reset-password")
def reset_password(
    username: Annotated[str, typer.Argument(help="Whose password to replace.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Give a user a new random password (printed once), end their sessions and revoke
    their API tokens."""

    password = _password_from_stdin() if password_stdin else generate_password(username)
    with session_scope(store()) as session:
        user = reset(session=session, username=username, password=password)
        _audit(session, AccessAction.USER_PASSWORD, f"user:{user.username}")
    out.print(
        f"new password for {user.username}; their sessions were ended and their API tokens revoked",
        highlight=False,
    )
    if not password_stdin:
        _show_once("password", password)


@tokens_app.command("create")
def create_token(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option("--name", help="What uses the token, e.g. 'sp4n-sync'.")],
) -> None:
    """Create an API token for a user; it has the user's role and is printed once."""

    with session_scope(store()) as session:
        token, row = issue_api_token(session=session, username=username, name=name)
        session.flush()
        _audit(session, AccessAction.TOKEN_ISSUE, f"token:{row.id}", {"user": username})
    out.print(f"created token {row.id} ({row.prefix}…) for {username}", highlight=False)
    _show_once("token", token)


@tokens_app.command("list")
def list_tokens(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
) -> None:
    """List API tokens by id, user, name and prefix (never the token)."""

    with session_scope(store()) as session:
        rows = list_api_tokens(session=session, username=user)
    table = Table("id", "user", "name", "prefix", "created", "last used", "state", title="Tokens")
    for token, owner in rows:
        state = f"revoked {format_wita(token.revoked_at)}" if token.revoked_at else "active"
        if token.revoked_at is None and not owner.active:
            state = "user disabled"
        table.add_row(
            str(token.id),
            owner.username,
            token.name,
            f"{token.prefix}…",
            format_wita(token.created_at),
            format_wita(token.last_used_at),
            state,
        )
    out.print(table)


@tokens_app.command("revoke")
def revoke_token(token_id: Annotated[int, typer.Argument(help="Token id from the list.")]) -> None:
    """Revoke an API token: requests using it are refused from now on."""

    with session_scope(store()) as session:
        token = revoke_api_token(session=session, token_id=token_id)
        _audit(session, AccessAction.TOKEN_REVOKE, f"token:{token.id}")
    out.print(f"revoked token {token.id} ({token.prefix}…)", highlight=False)
