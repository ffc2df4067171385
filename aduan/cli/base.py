"""What every command shares: the Typer app, the settings, consoles and the store."""

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from sqlalchemy.engine import Engine

from aduan.settings import Settings, load_settings
from aduan.wiring import engine_for, prepare_store

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


def store() -> Engine:
    """The configured store, migrated and with the configured agencies loaded."""
    engine = engine_for(state.settings)
    prepare_store(state.settings, engine)
    return engine


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config file (default: $ADUAN_CONFIG or config.yaml)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Harvest, classify and route citizen complaints."""
    state.reset(config)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(name)s: %(message)s",
        handlers=[RichHandler(console=err, show_path=False)],
    )
    for noisy in (
        "apscheduler.executors.default",
        "apscheduler.scheduler",
        "httpx",
        "alembic",
        "matplotlib",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
