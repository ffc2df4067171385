"""What every command shares: the Typer app, the settings, consoles and the store."""

import getpass
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pythonjsonlogger.json import JsonFormatter
from rich.console import Console
from rich.logging import RichHandler

from aduan.log_privacy import install_log_filter
from aduan.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

app = typer.Typer(
    help="aduan: social-media complaints to the right agency.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
out = Console()
err = Console(stderr=True)


class _State:
    """Settings loaded once per invocation, on first use."""

    config: Path | None = None
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    def reset(self, config: Path | None) -> None:
        self.config, self._settings = config, None


state = _State()


def cli_actor() -> str:
    """Who runs this command, as the access log names them: ``cli:<system user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in the environment or the password file
        return "cli"


def store() -> "Engine":
    """The configured store, migrated and with the configured agencies loaded; a
    StoreError naming ``store.url`` when it cannot be opened."""
    from aduan.wiring import open_store  # the store's modules load only for commands using it

    return open_store(state.settings)


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config file (default: $ADUAN_CONFIG or config.yaml)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    log_json: Annotated[
        bool,
        typer.Option("--log-json", help="Structured logs: one JSON object a line on stderr."),
    ] = False,
) -> None:
    """Harvest, classify and route citizen complaints."""
    state.reset(config)
    handler: logging.Handler
    if log_json:
        handler = logging.StreamHandler()
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler = RichHandler(console=err, show_path=False)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(name)s: %(message)s",
        handlers=[handler],
    )
    # No personal data (NIK, phone, e-mail, address) or secret (token, password) in logs.
    install_log_filter()
    for noisy in (
        "apscheduler.executors.default",
        "apscheduler.scheduler",
        "httpx",
        "alembic",
        "matplotlib",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
