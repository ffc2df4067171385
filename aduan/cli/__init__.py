"""The ``aduan`` command line; each command group lives in its own module."""

import sys

from rich.markup import escape

from aduan.cli import (  # noqa: F401  (importing registers the commands)
    complaints,
    corpus,
    daemon,
    model,
    privacy,
    quarantine,
    sources,
    store,
    triage,
    users,
    web,
)
from aduan.cli.base import app, err
from models.exceptions import AduanError

__all__ = ["app", "entry"]


def entry() -> None:
    """Console-script entry: an AduanError becomes a clear message and exit status 2."""
    try:
        app()
    except AduanError as exc:
        # one line however wide the terminal; the message is text, not markup
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
