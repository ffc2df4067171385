"""``aduan run``: the daemon."""

import logging
import threading
from typing import Annotated

import typer

from aduan.cli.base import app, err, out, state, store
from aduan.cli.first_admin import announce_first_admin
from aduan.malloc_arenas import limit_malloc_arenas
from aduan.predictor import predictor_for
from aduan.shutdown import install_stop_handlers
from aduan.wiring import auth_config_for

log = logging.getLogger(__name__)


@app.command()
def run(
    web: Annotated[bool, typer.Option(help="Serve the web inbox in the same process.")] = True,
    health_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Without the inbox: serve /healthz and /metrics on this port "
            "(default: web.health_port).",
        ),
    ] = None,
) -> None:
    """Run the daemon: scheduled harvesting and routing, and the web inbox."""
    # First thing: a SIGTERM from now on stops the daemon cleanly, even during start-up.
    stop = install_stop_handlers()
    log.debug("starting; SIGTERM or Ctrl-C stops cleanly after the current step")
    # Before any thread starts: the job threads then share one malloc arena.
    limit_malloc_arenas()
    # FastAPI, uvicorn, APScheduler and the web inbox load only for `aduan run`
    from aduan import jobs
    from aduan.daemon import run_daemon

    settings = state.settings
    engine = store()
    if _stopped(stop):
        return
    serve = web and settings.web.enabled
    # Built before anything starts, so a weak or placeholder key stops start-up.
    auth_config = auth_config_for(settings) if serve else None
    with err.status("loading the classifier (training one if none exists)..."):
        predictor = predictor_for(settings, train_if_missing=True)
        # The routing policy and what batch classification imports load now, not in the
        # first batch routed; then the start-up's objects are frozen for the GC.
        jobs.ready_to_route(settings)
    if _stopped(stop):
        return
    for source in settings.sources:
        if source.enabled and source.missing_secrets():
            err.print(
                f"[yellow]source {source.name}: missing secret "
                f"{', '.join(source.missing_secrets())}; left idle, the others run[/]"
            )
    if serve:
        url = f"http://{settings.web.host}:{settings.web.port}/"
        out.print(f"[bold green]aduan is running.[/] Inbox: [link={url}]{url}[/link]")
        announce_first_admin(engine)
        out.print("Ctrl-C stops.")
    health = None if serve else (health_port or settings.web.health_port)
    if health is not None:
        out.print(f"Health: http://{settings.web.host}:{health}/healthz")
    run_daemon(
        settings,
        engine,
        predictor,
        serve_web=web,
        auth_config=auth_config,
        stop=stop,
        health_port=health,
    )


def _stopped(stop: threading.Event) -> bool:
    """True (and said so) when a stop was asked for during start-up."""
    if stop.is_set():
        log.info("stopped during start-up, before any job ran")
    return stop.is_set()
