"""``aduan quarantine``: records a source delivered that the store could not take."""

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from aduan.cli.base import app, err, out, state, store
from harvester.quarantine import retry_quarantined
from models.quarantine import list_quarantined
from models.wita import format_wita

quarantine_app = typer.Typer(
    help="Records set aside by a harvest (bad fields, unreadable lines), and retrying them."
)
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
def list_records(
    source: Annotated[str | None, typer.Option(help="Only this source's records.")] = None,
    limit: Annotated[int, typer.Option(help="How many to show, oldest first.")] = 100,
) -> None:
    """The quarantined records, oldest first, with why each was set aside."""
    if source is not None:
        state.settings.source(source)
    with Session(store()) as session:
        records = list_quarantined(session=session, source=source, limit=limit)
    if not records:
        out.print("quarantine is empty" + (f" for {source}" if source else ""))
        return
    table = Table("id", "source", "platform", "post id", "since", "retries", "reason")
    for r in records:
        # Text(): a record's values are shown as they are, never read as rich markup.
        table.add_row(
            str(r.id),
            Text(r.source),
            Text(r.platform or "-"),
            Text(r.platform_id or "-"),
            format_wita(r.quarantined_at),
            str(r.retries),
            Text(r.reason[:300]),
        )
    out.print(table)
    out.print("retry: aduan quarantine retry ID (or --source NAME, or all)")


@quarantine_app.command("retry")
def retry(
    record_id: Annotated[
        int | None, typer.Argument(help="A quarantined record's id (default: all).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only this source's records.")] = None,
) -> None:
    """Check quarantined records again: store those that now pass, keep the rest."""
    if source is not None:
        state.settings.source(source)
    ids = [record_id] if record_id is not None else None
    result = retry_quarantined(engine=store(), ids=ids, source=source)
    if record_id is not None and result.stored + result.already_stored + result.still_bad == 0:
        err.print(f"no quarantined record {record_id}" + (f" of {source}" if source else ""))
        raise typer.Exit(1)
    out.print(
        f"stored {result.stored}, already stored {result.already_stored}, "
        f"still refused {result.still_bad} (see aduan quarantine list)"
    )
    if result.still_bad:
        raise typer.Exit(1)
