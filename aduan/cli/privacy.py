"""``aduan privacy``: retention, and a person's access and erasure requests (UU PDP).

Every command here is recorded in the access log with the system user who ran it.
"""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlmodel import Session

from aduan import jobs
from aduan.cli.base import app, cli_actor, err, out, state, store
from aduan.wiring import retention_policy_for
from models.access_log import record_access
from models.erasure import Author, count_author_mentions, erase_author, personal_data_of
from models.retention import retention_due
from models.types import utcnow
from models.vocab import RETENTION_KIND_LABELS as KIND_LABELS
from models.vocab import AccessAction

privacy_app = typer.Typer(
    help="Personal data (UU PDP): retention, access and erasure requests.", no_args_is_help=True
)
app.add_typer(privacy_app, name="privacy")

AuthorOption = Annotated[
    str,
    typer.Option(
        "--author",
        help="The person as PLATFORM:HANDLE, e.g. twitter:budi_denpasar.",
        show_default=False,
    ),
]


def _author(value: str) -> Author:
    try:
        return Author.parse(value)
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


@privacy_app.command("retention")
def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be removed; change nothing.")
    ] = False,
) -> None:
    """Remove personal data past its retention period (the daemon does this daily)."""
    settings = state.settings
    engine = store()
    cfg = settings.privacy.retention
    days = {
        "raw_payload": cfg.raw_payload_days,
        "not_complaint": cfg.not_complaint_days,
        "closed_author": cfg.closed_author_days,
        "access_log": cfg.access_log_days,
    }
    now = utcnow()
    if dry_run:
        with Session(engine) as session:
            counts = retention_due(session=session, policy=retention_policy_for(settings), now=now)
    else:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err
        ) as bar:
            due = {}
            with Session(engine) as session:
                due = retention_due(
                    session=session, policy=retention_policy_for(settings), now=now
                ).as_dict()
            tasks = {kind: bar.add_task(KIND_LABELS[kind], total=n) for kind, n in due.items()}
            counts = jobs.retention(
                settings=settings,
                engine=engine,
                actor=cli_actor(),
                now=now,
                progress=lambda kind, n: bar.advance(tasks[kind], n),
            )
    title = "Would be removed (dry run)" if dry_run else "Removed"
    table = Table("kind", "kept for", "rows", title=title)
    for kind, n in counts.as_dict().items():
        kept = f"{days[kind]} days" if days[kind] is not None else "forever"
        table.add_row(KIND_LABELS[kind], kept, str(n))
    out.print(table)
    if dry_run:
        out.print("dry run: nothing was changed")


@privacy_app.command("export")
def export(
    author: AuthorOption,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="JSON file (default stdout).")
    ] = None,
) -> None:
    """Everything stored about one person, as JSON (an access request)."""
    person = _author(author)
    engine = store()
    with Session(engine) as session:
        document = personal_data_of(session=session, author=person)
        record_access(
            session=session,
            actor=cli_actor(),
            action=AccessAction.PRIVACY_EXPORT,
            target=person.target,
            details={
                "mentions": len(document["mentions"]),
                "complaints": len(document["complaints"]),
                "corrections": len(document["corrections"]),
                "output": str(output) if output else "stdout",
            },
        )
        session.commit()
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    err.print(
        f"{len(document['mentions'])} mentions and {len(document['complaints'])} complaints "
        f"of {person} written to {output}",
        highlight=False,
    )


@privacy_app.command("erase")
def erase(
    author: AuthorOption,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove one person's text and identity (an erasure request); complaints keep their facts."""
    person = _author(author)
    engine = store()
    with Session(engine) as session:
        found = count_author_mentions(session=session, author=person)
    if found and not yes:
        typer.confirm(
            f"Erase the text and identity of {found} mentions by {person}? This cannot be undone",
            abort=True,
        )
    with Progress(TextColumn("erasing"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
        task = bar.add_task("erasing", total=found)
        counts = erase_author(
            engine=engine,
            author=person,
            now=utcnow(),
            batch_size=state.settings.privacy.retention.batch_size,
            progress=lambda n: bar.advance(task, n),
        )
    with Session(engine) as session:
        record_access(
            session=session,
            actor=cli_actor(),
            action=AccessAction.PRIVACY_ERASE,
            target=person.target,
            details=counts.as_dict(),
        )
        session.commit()
    out.print(
        f"erased {person}: {counts.mentions} mentions, {counts.corrections} training "
        f"corrections removed, {counts.complaints} complaints keep their facts",
        highlight=False,
    )
