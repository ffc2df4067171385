"""The ``aduan`` command line."""

import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from aduan import jobs
from aduan.settings import Settings, load_settings
from aduan.wiring import engine_for, policy_for, predictor_for, prepare_store
from models.exceptions import AduanError

app = typer.Typer(
    help="aduan: social-media complaints to the right agency.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="The tracking store.", no_args_is_help=True)
app.add_typer(db_app, name="db")
out = Console()
err = Console(stderr=True)


class _State:
    config: Path | None = None
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings


state = _State()


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config file (default: $ADUAN_CONFIG or config.yaml)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Harvest, classify and route citizen complaints."""
    state.config = config
    state._settings = None
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(name)s: %(message)s",
        handlers=[RichHandler(console=err, show_path=False)],
    )
    for noisy in ("apscheduler.executors.default", "apscheduler.scheduler", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command()
def run(
    web: Annotated[bool, typer.Option(help="Serve the web inbox in the same process.")] = True,
) -> None:
    """Run the daemon: scheduled harvesting and routing, and the web inbox."""
    from aduan.daemon import run_daemon

    settings = state.settings
    engine = engine_for(settings)
    prepare_store(settings, engine)
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


@app.command()
def harvest(
    source: Annotated[str, typer.Argument(help="Name of a configured source.")],
    dry_run: Annotated[
        bool, typer.Option(help="Show what would be stored; store nothing.")
    ] = False,
) -> None:
    """One run of one configured source, then exit."""
    settings = state.settings
    cfg = settings.source(source)
    engine = engine_for(settings)
    prepare_store(settings, engine)
    result = jobs.harvest(settings=settings, engine=engine, source=cfg, dry_run=dry_run)
    if result.skipped_reason:
        err.print(f"[yellow]{source}: not run: {result.skipped_reason}[/]")
        raise typer.Exit(1)
    if result.error:
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
        return
    out.print(f"{source}: fetched {result.fetched}, stored {result.stored} new")


@app.command()
def route() -> None:
    """Classify and route every stored mention not routed yet."""
    settings = state.settings
    engine = engine_for(settings)
    prepare_store(settings, engine)
    result = jobs.route(settings=settings, engine=engine, classifier=predictor_for(settings))
    out.print(
        f"routed {result.total}: {result.filed} filed, {result.triaged} to triage, "
        f"{result.not_complaint} not complaints, {result.already_filed} already filed"
    )


@app.command()
def classify(
    text: Annotated[str | None, typer.Argument(help="Text to classify.")] = None,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="Read JSON lines with a 'text' key from stdin.")
    ] = False,
) -> None:
    """Classify a text (or JSON lines on stdin) with the active model."""
    settings = state.settings
    predictor = predictor_for(settings)
    policy = policy_for(settings)
    if jsonl:
        _classify_jsonl(predictor, policy)
        return
    if text is None:
        err.print("[red]give a text, or --jsonl to read JSON lines from stdin[/]")
        raise typer.Exit(2)
    p = predictor.predict([text])[0]
    inbox = None if p.category == "NOT_COMPLAINT" else policy.inbox_for(p.category)
    out.print(f"category:   {p.category}")
    out.print(
        f"confidence: {p.confidence:.2f}{' (abstained: goes to triage)' if p.abstained else ''}"
    )
    out.print(f"inbox:      {policy.triage_inbox + ' (triage)' if p.abstained else inbox or '-'}")
    out.print(f"terms:      {', '.join(p.terms) or '-'}")


def _classify_jsonl(predictor: Any, policy: Any) -> None:
    batch: list[tuple[int, dict[str, Any]]] = []

    def flush() -> None:
        predictions = predictor.predict([row["text"] for _, row in batch])
        for (_, row), p in zip(batch, predictions, strict=True):
            inbox = None
            if p.abstained:
                inbox = policy.triage_inbox
            elif p.category != "NOT_COMPLAINT":
                inbox = policy.inbox_for(p.category)
            row.update(
                category=p.category, confidence=p.confidence, abstained=p.abstained, inbox=inbox
            )
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        batch.clear()

    for line_no, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            err.print(f"[red]stdin, line {line_no}: not valid JSON ({exc.msg})[/]")
            raise typer.Exit(2) from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            err.print(f"[red]stdin, line {line_no}: needs an object with a string 'text' key[/]")
            raise typer.Exit(2)
        batch.append((line_no, row))
        if len(batch) >= 500:
            flush()
    if batch:
        flush()


@app.command()
def train(
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Only train if no model is active.")
    ] = False,
) -> None:
    """Train a model on the bundled corpus and make it active."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from classifier.persist import active_id
    from classifier.train import train as train_model

    settings = state.settings
    model_dir = settings.classifier.model_dir
    if if_missing and active_id(model_dir) is not None:
        out.print(f"model {active_id(model_dir)} is active; not training")
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("training", total=None)
        result = train_model(model_dir, progress=lambda msg: progress.update(task, description=msg))
    m = result.meta["metrics"]
    out.print(f"model {result.model_id} trained and active ({result.folder})")
    for split, figures in m.items():
        out.print(
            f"  {split}: macro-F1 {figures['macro_f1']:.3f}, accuracy {figures['accuracy']:.3f}, "
            f"auto-routed precision {figures['auto_precision']:.3f} at coverage "
            f"{figures['coverage']:.3f} (n={figures['n']})"
        )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the store to the newest schema (creating it if empty)."""
    from models.migrate import current_revision

    settings = state.settings
    engine = engine_for(settings)
    prepare_store(settings, engine)
    out.print(f"store at revision {current_revision(engine)}: {engine.url.render_as_string()}")


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
) -> None:
    """Export complaints with their mentions."""
    from sqlmodel import Session

    from router.export import complaint_records, write_csv, write_jsonl

    settings = state.settings
    engine = engine_for(settings)
    prepare_store(settings, engine)
    writer = write_csv if format is ExportFormat.csv else write_jsonl
    with Session(engine) as session:
        records = complaint_records(session)
        if output is None:
            writer(records, sys.stdout)
            return
        with output.open("w", encoding="utf-8", newline="") as handle, err.status("exporting..."):
            n = writer(records, handle)
    err.print(f"exported {n} complaints to {output}")


@app.command()
def stats() -> None:
    """Counts of mentions, complaints per inbox and status, and sources."""
    from sqlmodel import Session

    from models.complaints import count_by_inbox_status
    from models.mentions import count_by_state

    settings = state.settings
    engine = engine_for(settings)
    prepare_store(settings, engine)
    with Session(engine) as session:
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


sources_app = typer.Typer(help="Configured sources and their health.")
app.add_typer(sources_app, name="sources")


@sources_app.callback(invoke_without_command=True)
def sources(ctx: typer.Context) -> None:
    """Health of every configured source (the default), or a subcommand."""
    if ctx.invoked_subcommand is not None:
        return
    from sqlmodel import Session

    from inbox.filters import wita
    from models.sources import all_health

    settings = state.settings
    engine = engine_for(settings)
    prepare_store(settings, engine)
    with Session(engine) as session:
        health = {h.source: h for h in all_health(session=session)}
    table = Table("source", "platform", "state", "last success", "failures", "problem",
                  "reads this month", title="Sources")  # fmt: skip
    for cfg in settings.sources:
        h = health.get(cfg.name)
        cap = f" / {cfg.monthly_read_cap}" if cfg.monthly_read_cap else ""
        if h is None:
            state_text = "disabled in config" if not cfg.enabled else "not run yet"
            table.add_row(cfg.name, cfg.platform, state_text, "-", "0", "-", "0" + cap)
            continue
        problem = h.last_error or "-"
        if h.state == "disabled":
            problem = f"{h.disabled_reason} (after fixing: aduan sources enable {cfg.name})"
        elif h.rate_limited_until is not None and h.state != "ok":
            problem = f"{problem} (paused until {wita(h.rate_limited_until)})"
        reads = f"{h.reads_this_month}{cap}"
        table.add_row(cfg.name, cfg.platform, h.state, wita(h.last_success_at),
                      str(h.consecutive_failures), problem, reads)  # fmt: skip
    out.print(table)


@sources_app.command("enable")
def sources_enable(name: Annotated[str, typer.Argument(help="Source name.")]) -> None:
    """Re-enable a source disabled for its credentials (after renewing them)."""
    from harvester.runner import enable_source

    settings = state.settings
    settings.source(name)
    engine = engine_for(settings)
    prepare_store(settings, engine)
    if not enable_source(engine=engine, source=name):
        err.print(f"{name} has not run yet; nothing to enable")
        return
    out.print(f"{name} enabled; it runs on its next tick")


def entry() -> None:
    """Console-script entry: AduanError becomes a clear message and exit status 2."""
    try:
        app()
    except AduanError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(2)
