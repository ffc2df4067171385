"""``aduan run``: the daemon."""

from typing import Annotated

import typer

from aduan.cli.base import app, err, out, state, store
from aduan.wiring import predictor_for


@app.command()
def run(
    web: Annotated[bool, typer.Option(help="Serve the web inbox in the same process.")] = True,
) -> None:
    """Run the daemon: scheduled harvesting and routing, and the web inbox."""
    from aduan.daemon import run_daemon

    settings = state.settings
    engine = store()
    with err.status("loading the classifier (training one if none exists)..."):
        predictor = predictor_for(settings, train_if_missing=True)
    for source in settings.sources:
        if source.enabled and source.missing_secrets():
            err.print(
                f"[yellow]source {source.name}: missing secret "
                f"{', '.join(source.missing_secrets())}; left idle, the others run[/]"
            )
    if web and settings.web.enabled:
        url = f"http://{settings.web.host}:{settings.web.port}/"
        out.print(f"[bold green]aduan is running.[/] Inbox: [link={url}]{url}[/link]")
        out.print("No login yet: the inbox listens on this machine only. Ctrl-C stops.")
    run_daemon(settings, engine, predictor, serve_web=web)
