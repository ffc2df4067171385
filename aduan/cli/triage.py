"""``aduan triage``: the queue of mentions the model was unsure of."""

from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from aduan.cli.base import app, out, state, store
from aduan.wiring import policy_for
from lifecycle.triage import assign as assign_mention
from models.mentions import triage_queue
from models.wita import format_wita

triage_app = typer.Typer(help="Mentions waiting for a human decision.")
app.add_typer(triage_app, name="triage")


@triage_app.callback(invoke_without_command=True)
def queue(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 50,
) -> None:
    """List the triage queue, oldest first (the default), or a subcommand."""
    if ctx.invoked_subcommand is not None:
        return

    with Session(store()) as session:
        items = triage_queue(session=session, limit=limit)
    table = Table("id", "posted", "platform", "model's guess", "text", title="Triage queue")
    for m in items:
        guess = f"{m.category} {m.confidence or 0:.0%}"
        if m.abstain_reason:
            guess += f" ({m.abstain_reason})"
        table.add_row(str(m.id), format_wita(m.created_at), m.platform, guess, m.text[:100])
    out.print(table)


@triage_app.command("assign")
def assign(
    mention_id: Annotated[int, typer.Argument(help="Mention id from the queue.")],
    category: Annotated[str, typer.Argument(help="Category code, or NOT_COMPLAINT.")],
    actor: Annotated[str, typer.Option(help="Who decided (recorded).")] = "cli",
) -> None:
    """Decide a mention's category: files it to that category's inbox, records a correction."""

    complaint = assign_mention(
        engine=store(),
        policy=policy_for(state.settings),
        mention_id=mention_id,
        category=category.upper(),
        actor=actor,
    )
    if complaint is None:
        out.print(f"mention {mention_id} kept as not a complaint")
    else:
        out.print(f"mention {mention_id} filed as complaint {complaint.id} in {complaint.inbox}")
