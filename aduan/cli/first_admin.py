"""The first administrator, created and announced by the commands that serve the inbox."""

from sqlalchemy.engine import Engine

from aduan.cli.base import out
from models.access_log import record_access_now
from models.accounts import ensure_first_admin
from models.vocab import AccessAction


def announce_first_admin(engine: Engine) -> None:
    """On a store without accounts, create the administrator and print its password once."""
    password = ensure_first_admin(engine)
    if password is None:
        out.print("Sign in with your account; `aduan users` manages accounts.")
        return
    record_access_now(
        engine,
        actor="system",
        action=AccessAction.USER_CREATE,
        target="user:admin",
        details={"role": "admin", "first_start": True},
    )
    out.print(
        f"First administrator created. Sign in as [bold]admin[/] with password "
        f"[bold]{password}[/]\nIt is shown only this once; add more users with "
        "`aduan users create`."
    )
