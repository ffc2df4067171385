"""``aduan harvest`` and ``aduan sources``: running sources and their health."""

from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from aduan import jobs
from aduan.cli.base import app, err, out, state, store
from harvester.runner import enable_source
from models.quarantine import count_by_source
from models.sources import all_health, current_error
from models.vocab import SourceState
from models.wita import format_wita

sources_app = typer.Typer(help="Configured sources and their health.")
app.add_typer(sources_app, name="sources")


@app.command()
def harvest(
    source: Annotated[str, typer.Argument(help="Name of a configured source.")],
    dry_run: Annotated[
        bool, typer.Option(help="Show what would be stored; store nothing.")
    ] = False,
) -> None:
    """One run of one configured source, then exit."""
    cfg = state.settings.source(source)
    result = jobs.harvest(engine=store(), source=cfg, dry_run=dry_run)
    if result.skipped_reason:
        err.print(f"[yellow]{source}: not run: {result.skipped_reason}[/]")
        raise typer.Exit(1)
    if result.error and not result.stored:
        err.print(f"[red]{source}: failed: {result.error}[/]")
        raise typer.Exit(1)
    if dry_run:
        table = Table("platform", "id", "author", "created", "text", title=f"{source} (dry run)")
        for m in result.preview:
            table.add_row(
                m.platform, m.platform_id, m.author_handle, m.created_at.isoformat(), m.text[:80]
            )
        out.print(table)
        out.print(f"{result.fetched} mentions would be considered; nothing stored.")
        if result.quarantined:
            out.print(f"{result.quarantined} records could not be stored (would be quarantined).")
        return
    out.print(f"{source}: fetched {result.fetched}, stored {result.stored} new")
    if result.quarantined:
        err.print(
            f"[yellow]{source}: {result.quarantined} records quarantined: aduan quarantine list[/]"
        )
    if result.error:
        err.print(f"[yellow]{source}: stopped early: {result.error}[/]")


@sources_app.callback(invoke_without_command=True)
def sources(ctx: typer.Context) -> None:
    """Health of every configured source (the default), or a subcommand."""
    if ctx.invoked_subcommand is not None:
        return

    settings = state.settings
    with Session(store()) as session:
        health = {h.source: h for h in all_health(session=session)}
        held = count_by_source(session=session)
    table = Table(
        "source",
        "platform",
        "state",
        "last success",
        "failures",
        "problem",
        "reads this month",
        "quarantined",
        title="Sources",
    )
    for cfg in settings.sources:
        h = health.get(cfg.name)
        cap = f" / {cfg.monthly_read_cap}" if cfg.monthly_read_cap else ""
        if h is None:
            state_text = "disabled in config" if not cfg.enabled else "not run yet"
            table.add_row(cfg.name, cfg.platform, state_text, "-", "0", "-", "0" + cap, "0")
            continue
        problem = current_error(h) or "-"
        if h.state == SourceState.DISABLED:
            problem = f"{h.disabled_reason} (after fixing: aduan sources enable {cfg.name})"
        elif h.rate_limited_until is not None and h.state != SourceState.OK:
            problem = f"{problem} (paused until {format_wita(h.rate_limited_until)})"
        endpoints = (h.usage or {}).get("jeda")
        if isinstance(endpoints, dict) and endpoints:
            # X pauses one endpoint at a time; the source itself runs on
            waits = ", ".join(f"{name} until {until}" for name, until in sorted(endpoints.items()))
            problem = f"{problem} (paused: {waits})" if problem != "-" else f"paused: {waits}"
        reads = f"{h.reads_this_month}{cap}"
        # Held now (retry removes them), then how many were ever set aside.
        quarantined = f"{held.get(cfg.name, 0)} (ever {h.total_quarantined})"
        table.add_row(
            cfg.name,
            cfg.platform,
            h.state,
            format_wita(h.last_success_at),
            str(h.consecutive_failures),
            problem,
            reads,
            quarantined,
        )
    out.print(table)
    if held:
        out.print(
            f"{sum(held.values())} records in quarantine: aduan quarantine list, "
            "aduan quarantine retry"
        )


@sources_app.command("enable")
def sources_enable(name: Annotated[str, typer.Argument(help="Source name.")]) -> None:
    """Re-enable a source disabled for its credentials (after renewing them)."""

    state.settings.source(name)
    if not enable_source(engine=store(), source=name):
        err.print(f"{name} has not run yet; nothing to enable")
        return
    out.print(f"{name} enabled; it runs on its next tick")
