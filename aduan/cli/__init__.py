"""The ``aduan`` command line; each command group lives in its own module.

A command's module is imported only when that command runs: ``aduan classify`` loads
the classifier's command module and what it needs, not the web inbox, the collectors or
the privacy tools (bench/cli_bench.py times it). ``aduan --help``, an unknown command and
``aduan.cli.app`` load them all, so the help lists every command.
"""

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

__all__ = ["COMMANDS", "app", "entry", "load_all", "modules_for"]

#: each top-level command (or command group) and the module under aduan.cli that
#: registers it; tests/aduan/test_cli_lazy.py checks it against what the modules register
COMMANDS: dict[str, str] = {
    "classify": "model",
    "train": "model",
    "evaluate": "corpus",
    "corpus": "corpus",
    "complaint": "complaints",
    "report": "complaints",
    "run": "daemon",
    "harvest": "sources",
    "sources": "sources",
    "route": "store",
    "export": "store",
    "stats": "store",
    "db": "store",
    "privacy": "privacy",
    "quarantine": "quarantine",
    "triage": "triage",
    "users": "users",
    "tokens": "users",
    "web": "web",
}

#: the main callback's options that take a value (``--config FILE``)
_VALUE_OPTIONS = frozenset({"--config", "-c"})


def modules_for(args: Sequence[str]) -> list[str]:
    """The command modules ``aduan ARGS`` needs: the named command's, or all of them
    when no known command is named (help, a typo: the message lists every command)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _VALUE_OPTIONS:
            skip = True
        elif arg == "--":
            break
        elif not arg.startswith("-"):
            module = COMMANDS.get(arg)
            return [module] if module else sorted(set(COMMANDS.values()))
    return sorted(set(COMMANDS.values()))


def load(modules: Sequence[str]) -> None:
    """Import *modules* (names under aduan.cli); importing one registers its commands."""
    for module in modules:
        # __import__ rather than importlib.import_module: `python -X importtime` traces it
        __import__(f"aduan.cli.{module}")


def load_all() -> "typer.Typer":
    """The Typer app with every command registered."""
    load(sorted(set(COMMANDS.values())))
    from aduan.cli.base import app

    return app


def __getattr__(name: str) -> Any:
    # ``from aduan.cli import app`` (tests, embedding) gets the whole command line
    if name == "app":
        return load_all()
    raise AttributeError(f"module 'aduan.cli' has no attribute {name!r}")


def entry() -> None:
    """Console-script entry: an AduanError becomes a clear message and exit status 2."""
    from rich.markup import escape

    from aduan.cli.base import app, err
    from models.exceptions import AduanError

    load(modules_for(sys.argv[1:]))
    try:
        app()
    except AduanError as exc:
        # one line however wide the terminal; the message is text, not markup
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
