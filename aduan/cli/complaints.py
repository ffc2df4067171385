"""``aduan complaint`` and ``aduan report``: the lifecycle from the command line."""

import sys
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from aduan.cli.base import app, err, out, state, store
from aduan.cli.triage import triage_app
from aduan.wiring import calendar_for, policy_for
from lifecycle.merge import merge_into, undo_merge
from lifecycle.reports import (
    RESPONSE_COLUMNS,
    count_overdue,
    overdue_step,
    report_total,
    response_csv,
    response_times,
    yearly_report,
)
from lifecycle.reports import overdue as find_overdue
from lifecycle.status import bukan_wewenang, change_status
from lifecycle.status import reassign as reassign_complaint
from models.types import utcnow
from models.wita import format_wita

complaint_app = typer.Typer(help="Work a complaint: status, bounce, overdue, unmerge.")
report_app = typer.Typer(help="Reports in the shape the city publishes.")
app.add_typer(complaint_app, name="complaint")
app.add_typer(report_app, name="report")

Actor = Annotated[str, typer.Option(help="Who acts (recorded in the history).")]


def _usage(exc: ValueError) -> typer.Exit:
    err.print(f"[red]{exc}[/]")
    return typer.Exit(2)


@complaint_app.command("status")
def status(
    complaint_id: Annotated[int, typer.Argument(help="Complaint id.")],
    to: Annotated[str, typer.Argument(help="respon_awal, ditindaklanjuti or selesai.")],
    actor: Actor = "cli",
    note: Annotated[str, typer.Option(help="Note for the history.")] = "",
) -> None:
    """Move a complaint to its next status (the allowed steps are enforced)."""

    try:
        c = change_status(
            engine=store(),
            complaint_id=complaint_id,
            to_status=to,
            actor=actor,
            note=note,
            replies=policy_for(state.settings).replies,
        )
    except ValueError as exc:
        raise _usage(exc) from None
    out.print(f"complaint {c.id}: {c.status}")


@complaint_app.command("bounce")
def bounce(
    complaint_id: Annotated[int, typer.Argument(help="Complaint id.")],
    reason: Annotated[str, typer.Option(help="Why it is not this inbox's authority.")],
    suggest: Annotated[str, typer.Option(help="The category it belongs to.")],
    actor: Actor = "cli",
) -> None:
    """Mark a complaint "bukan wewenang": it returns to triage; the suggestion is a label."""

    try:
        c = bukan_wewenang(
            engine=store(),
            policy=policy_for(state.settings),
            complaint_id=complaint_id,
            actor=actor,
            reason=reason,
            suggested_category=suggest.upper(),
        )
    except ValueError as exc:
        raise _usage(exc) from None
    out.print(f"complaint {c.id} returned to {c.inbox} for triage")


@complaint_app.command("overdue")
def overdue(
    inbox: Annotated[str | None, typer.Option(help="Only this inbox.")] = None,
    limit: Annotated[int, typer.Option(help="How many to list.")] = 50,
) -> None:
    """Complaints past the deadline of their next step, longest overdue first."""

    now = utcnow()
    with Session(store()) as session:
        items = find_overdue(session=session, now=now, inbox=inbox, limit=limit)
        counts = count_overdue(session=session, now=now)
    table = Table(
        "id", "inbox", "status", "missed", "respond by", "follow up by", title="Overdue complaints"
    )
    for c in items:
        table.add_row(
            str(c.id),
            c.inbox,
            c.status,
            overdue_step(c, now) or "-",
            format_wita(c.respond_by),
            format_wita(c.follow_up_by),
        )
    out.print(table)
    total = sum(counts.values())
    out.print(
        "overdue per inbox: "
        + (", ".join(f"{k} {v}" for k, v in counts.items()) or "none")
        + f" (total {total})"
    )


@complaint_app.command("unmerge")
def unmerge(
    merge_id: Annotated[int, typer.Argument(help="Merge id (from the complaint's history).")],
    actor: Actor = "cli",
) -> None:
    """Undo a merge: the mention becomes a complaint of its own."""

    c = undo_merge(
        engine=store(), policy=policy_for(state.settings), merge_id=merge_id, actor=actor
    )
    out.print(f"mention {c.origin_mention_id} is now complaint {c.id} in {c.inbox}")


@triage_app.command("reassign")
def reassign(
    complaint_id: Annotated[int, typer.Argument(help="A bounced complaint's id.")],
    category: Annotated[str, typer.Argument(help="The right category.")],
    actor: Actor = "cli",
    note: Annotated[str, typer.Option(help="Note for the history.")] = "",
) -> None:
    """Give a bounced complaint its right category (and so inbox), with fresh deadlines."""

    try:
        c = reassign_complaint(
            engine=store(),
            policy=policy_for(state.settings),
            complaint_id=complaint_id,
            category=category.upper(),
            actor=actor,
            note=note,
        )
    except ValueError as exc:
        raise _usage(exc) from None
    out.print(f"complaint {c.id} is {c.category} in {c.inbox}, status {c.status}")


@triage_app.command("merge")
def merge(
    mention_id: Annotated[int, typer.Argument(help="Mention id from the queue.")],
    complaint_id: Annotated[int, typer.Argument(help="The complaint it also reports.")],
    actor: Actor = "cli",
) -> None:
    """Join a triaged mention to an existing complaint."""

    m = merge_into(engine=store(), mention_id=mention_id, complaint_id=complaint_id, actor=actor)
    out.print(f"mention {mention_id} joined complaint {m.complaint_id} (merge {m.id})")


@report_app.command("yearly")
def yearly(year: Annotated[int, typer.Argument(help="Year, e.g. 2026.")]) -> None:
    """Received, followed up in the field, initial response only, not yet followed up."""

    with Session(store()) as session:
        rows = yearly_report(session=session, year=year)
    table = Table(
        "inbox",
        "diterima",
        "ditindaklanjuti lapangan",
        "respon awal",
        "belum tindak lanjut",
        "bukan wewenang",
        title=f"Pengaduan {year}",
    )
    for r in [*rows, report_total(rows)]:
        counts = (
            r.received,
            r.ditindaklanjuti_lapangan,
            r.respon_awal,
            r.belum_tindak_lanjut,
            r.bukan_wewenang,
        )
        table.add_row(r.inbox, *map(str, counts))
    out.print(table)


@report_app.command("response-times")
def response_times_report(
    year: Annotated[int, typer.Argument(help="Year, e.g. 2026.")],
    yearly: Annotated[
        bool, typer.Option("--yearly", help="One row per inbox for the year, not per month.")
    ] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on standard output.")] = False,
) -> None:
    """Median and 90th percentile hours (working days) to initial response and follow-up,
    share on time, reopenings: per inbox and month (WITA)."""

    with Session(store()) as session:
        rows = response_times(
            session=session,
            calendar=calendar_for(state.settings),
            year=year,
            now=utcnow(),
            by_month=not yearly,
        )
    if as_csv:
        sys.stdout.write(response_csv(rows))
        return
    table = Table("inbox", "bulan", *(t for _, t in RESPONSE_COLUMNS), title=f"Waktu respon {year}")
    for r in rows:
        figures = [getattr(r, name) for name, _ in RESPONSE_COLUMNS]
        table.add_row(
            r.inbox, r.month or str(year), *("-" if v is None else str(v) for v in figures)
        )
    out.print(table)
