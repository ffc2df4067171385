"""``aduan db``, ``route``, ``export`` and ``stats``: the tracking store."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from aduan import jobs
from aduan.cli.base import app, cli_actor, err, out, state, store
from aduan.predictor import predictor_for
from models.access_log import record_access_now
from models.complaints import count_by_inbox_status
from models.export import complaint_records, write_csv, write_jsonl
from models.mentions import count_by_state
from models.vocab import AccessAction

db_app = typer.Typer(help="The tracking store.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the store to the newest schema (creating it if empty)."""
    # Alembic (about 0.13 s to import) loads only for the commands that open the store
    from models.migrate import current_revision

    engine = store()
    out.print(f"store at revision {current_revision(engine)}: {engine.url.render_as_string()}")


@app.command()
def route() -> None:
    """Classify and route every stored mention not routed yet."""
    settings = state.settings
    engine = store()
    result = jobs.route(settings=settings, engine=engine, classifier=predictor_for(settings))
    out.print(
        f"routed {result.total}: {result.filed} filed, {result.attached} joined a complaint, "
        f"{result.triaged} to triage, "
        f"{result.not_complaint} not complaints, {result.already_filed} already filed"
        + (f", {result.set_aside} set aside in triage (routing failed)" if result.set_aside else "")
    )


class ExportFormat(StrEnum):
    """Export formats."""

    jsonl = "jsonl"
    csv = "csv"


@app.command()
def export(
    format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.jsonl,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default stdout).")
    ] = None,
    original: Annotated[
        bool,
        typer.Option(
            "--original",
            help="Citizens' text unmasked (NIK, phone numbers, addresses as written); "
            "recorded in the access log.",
        ),
    ] = False,
) -> None:
    """Export complaints with their mentions; personal data masked unless --original."""

    writer = write_csv if format is ExportFormat.csv else write_jsonl
    engine = store()
    with Session(engine) as session:
        records = complaint_records(session, masked=not original)
        if output is None:
            n = writer(records, sys.stdout)
        else:
            with (
                output.open("w", encoding="utf-8", newline="") as handle,
                err.status("exporting..."),
            ):
                n = writer(records, handle)
    record_access_now(
        engine,
        actor=cli_actor(),
        action=AccessAction.EXPORT_CLI,
        target="complaints",
        details={
            "format": format.value,
            "original": original,
            "complaints": n,
            "output": str(output) if output else "stdout",
        },
    )
    if output is not None:
        err.print(f"exported {n} complaints to {output}")


@app.command()
def stats() -> None:
    """Counts of mentions, complaints per inbox and status."""

    with Session(store()) as session:
        mentions = count_by_state(session=session)
        complaints = count_by_inbox_status(session=session)
    table = Table("mentions", "count", title="Mentions by routing state")
    for name, n in sorted(mentions.items()):
        table.add_row(name, str(n))
    table.add_row("total", str(sum(mentions.values())), style="bold")
    out.print(table)
    by_inbox = Table("inbox", "status", "complaints", title="Complaints")
    for (inbox, status), n in sorted(complaints.items()):
        by_inbox.add_row(inbox, status, str(n))
    by_inbox.add_row("total", "", str(sum(complaints.values())), style="bold")
    out.print(by_inbox)
