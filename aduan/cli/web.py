"""``aduan web``: the web inbox alone, in several worker processes."""

import logging
import os
from typing import Annotated

import typer

from aduan.cli.base import app, out, state, store
from aduan.cli.first_admin import announce_first_admin
from aduan.wiring import auth_config_for

log = logging.getLogger(__name__)


@app.command()
def web(
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Worker processes (default: web.workers)."),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: web.host).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: web.port).")
    ] = None,
) -> None:
    """Serve the web inbox alone, in several processes; the daemons run `aduan run --no-web`."""
    # uvicorn and the web inbox load only for the commands that serve it
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from aduan.daemon import web_server_config
    from aduan.web_app import FACTORY
    from aduan.web_listen import worker_listeners

    settings = state.settings
    engine = store()  # migrated once here, not by every worker
    # Checked (and the key file created) once, before the workers read it.
    auth_config_for(settings)
    count = workers or settings.web.workers
    # Each worker process loads the same file (and $ADUAN_DATABASE_URL, inherited).
    os.environ["ADUAN_CONFIG"] = str(settings.config_path.resolve())
    config = web_server_config(settings.web, FACTORY, host=host, port=port, workers=count)
    url = f"http://{config.host}:{config.port}/"
    out.print(f"[bold green]aduan web is running[/] with {count} worker(s): {url}")
    announce_first_admin(engine)
    engine.dispose()  # the workers open their own connections
    out.print("Ctrl-C stops.")
    if count > 1:
        # one socket per worker (SO_REUSEPORT): the kernel spreads the connections
        Multiprocess(config, sockets=worker_listeners(config.host, config.port)).run()
    else:
        uvicorn.Server(config).run()
    log.info("web stopped")
