"""``aduan classify``, ``train`` and ``evaluate``: the classifier."""

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aduan.cli.base import app, err, out, state, store
from aduan.predictor import predictor_for
from aduan.settings import Settings
from models.vocab import NOT_COMPLAINT

if TYPE_CHECKING:
    from router.route import Classifier

JSONL_BATCH = 500


@app.command()
def classify(
    text: Annotated[str | None, typer.Argument(help="Text to classify.")] = None,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="Read JSON lines with a 'text' key from stdin.")
    ] = False,
) -> None:
    """Classify a text (or JSON lines on stdin) with the active model."""
    settings = state.settings
    # the inbox map is read from the settings: building the routing policy would load
    # the gazetteer and the store's modules for a command that needs neither
    predictor = predictor_for(settings)
    if jsonl:
        _classify_jsonl(predictor, settings)
        return
    if text is None:
        err.print("[red]give a text, or --jsonl to read JSON lines from stdin[/]")
        raise typer.Exit(2)
    p = predictor.predict([text])[0]
    inbox = _inbox(p.category, p.abstained, settings)
    out.print(f"category:   {p.category}")
    out.print(
        f"confidence: {p.confidence:.2f}{' (abstained: goes to triage)' if p.abstained else ''}"
    )
    out.print(f"inbox:      {inbox or '-'}{' (triage)' if p.abstained else ''}")
    out.print(f"terms:      {', '.join(p.terms) or '-'}")
    if p.reason:
        out.print(f"reason:     {p.reason}")


def _inbox(category: str, abstained: bool, settings: Settings) -> str | None:
    """The inbox routing would choose on the model alone (RoutingPolicy.inbox_for)."""
    triage = settings.routing.triage_inbox
    if abstained:
        return triage
    return None if category == NOT_COMPLAINT else settings.categories.get(category, triage)


def _classify_jsonl(predictor: "Classifier", settings: Settings) -> None:
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        for row, p in zip(batch, predictor.predict([r["text"] for r in batch]), strict=True):
            row.update(
                category=p.category,
                confidence=p.confidence,
                abstained=p.abstained,
                inbox=_inbox(p.category, p.abstained, settings),
                reason=p.reason,
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
        batch.append(row)
        if len(batch) >= JSONL_BATCH:
            flush()
    if batch:
        flush()


@app.command()
def train(
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Only train if no model is active.")
    ] = False,
    with_corrections: Annotated[
        bool, typer.Option("--with-corrections", help="Add the stored human corrections.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Activate the new model even if it scores worse.")
    ] = False,
    with_imported: Annotated[
        bool,
        typer.Option(
            "--with-imported/--without-imported", help="Add the examples of `aduan corpus import`."
        ),
    ] = True,
) -> None:
    """Train on the bundled corpus and imported history; activate it if the gate allows."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from sqlmodel import Session

    from aduan.cli.corpus import imported_examples, print_gate
    from classifier.persist import active_id
    from classifier.retrain import correction_examples, retrain
    from models.corrections import all_corrections

    model_dir = state.settings.classifier.model_dir
    if if_missing and active_id(model_dir) is not None:
        out.print(f"model {active_id(model_dir)} is active; not training")
        return
    extra = []
    if with_corrections:
        with Session(store()) as session:
            rows = [(c.mention_id, c.text, c.category) for c in all_corrections(session=session)]
        extra = correction_examples(rows)
        out.print(f"adding {len(extra)} corrections (a fixed slice held out to judge)")
    if with_imported:
        imported = imported_examples()
        if imported:
            out.print(f"adding {len(imported)} imported examples (a fixed slice held out)")
        extra += imported
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("training", total=None)
        result, decision = retrain(
            model_dir,
            extra=extra,
            force=force,
            progress=lambda msg: progress.update(task, description=msg),
        )
    out.print(f"model {result.model_id} trained ({result.folder})")
    for split, figures in result.meta["metrics"].items():
        out.print(
            f"  {split}: macro-F1 {figures['macro_f1']:.3f}, accuracy {figures['accuracy']:.3f}, "
            f"auto-routed precision {figures['auto_precision']:.3f} at coverage "
            f"{figures['coverage']:.3f} (n={figures['n']})"
        )
    print_gate(decision)
    if decision.activated:
        out.print(f"[green]active[/]: {decision.reason}")
    else:
        err.print(f"[yellow]{decision.reason}[/]")
        raise typer.Exit(1)
