"""``aduan classify``, ``train`` and ``evaluate``: the classifier."""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlmodel import Session

from aduan.cli.base import app, err, out, state, store
from aduan.wiring import policy_for, predictor_for
from models.corrections import all_corrections
from models.vocab import NOT_COMPLAINT
from router.policy import RoutingPolicy
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
    predictor = predictor_for(settings)
    policy = policy_for(settings)
    if jsonl:
        _classify_jsonl(predictor, policy)
        return
    if text is None:
        err.print("[red]give a text, or --jsonl to read JSON lines from stdin[/]")
        raise typer.Exit(2)
    p = predictor.predict([text])[0]
    inbox = _inbox(p.category, p.abstained, policy)
    out.print(f"category:   {p.category}")
    out.print(
        f"confidence: {p.confidence:.2f}{' (abstained: goes to triage)' if p.abstained else ''}"
    )
    out.print(f"inbox:      {inbox or '-'}{' (triage)' if p.abstained else ''}")
    out.print(f"terms:      {', '.join(p.terms) or '-'}")


def _inbox(category: str, abstained: bool, policy: RoutingPolicy) -> str | None:
    if abstained:
        return policy.triage_inbox
    return None if category == NOT_COMPLAINT else policy.inbox_for(category)


def _classify_jsonl(predictor: Classifier, policy: RoutingPolicy) -> None:
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        for row, p in zip(batch, predictor.predict([r["text"] for r in batch]), strict=True):
            row.update(
                category=p.category,
                confidence=p.confidence,
                abstained=p.abstained,
                inbox=_inbox(p.category, p.abstained, policy),
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
) -> None:
    """Train a model on the bundled corpus; activate it unless it scores worse."""
    # scikit-learn loads only for the commands that train, classify or evaluate
    from classifier.persist import active_id
    from classifier.retrain import correction_examples, retrain

    model_dir = state.settings.classifier.model_dir
    if if_missing and active_id(model_dir) is not None:
        out.print(f"model {active_id(model_dir)} is active; not training")
        return
    extra = []
    if with_corrections:
        with Session(store()) as session:
            rows = [(c.mention_id, c.text, c.category) for c in all_corrections(session=session)]
        extra = correction_examples(rows)
        out.print(f"adding {len(extra)} corrections to the training split")
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
    if decision.activated:
        out.print(f"[green]active[/]: {decision.reason}")
    else:
        err.print(f"[yellow]{decision.reason}[/]")
        raise typer.Exit(1)


@app.command()
def evaluate(
    split: Annotated[str, typer.Option(help="Corpus split: test, dev or train.")] = "test",
    plots: Annotated[
        Path | None, typer.Option(help="Folder for the PNG plots (default DATA_DIR/reports).")
    ] = None,
) -> None:
    """Per-class figures, confusion matrix and precision/coverage of the active model."""
    # scikit-learn and matplotlib load only for this command
    from classifier.evaluate import evaluate as run_evaluation
    from classifier.evaluate import write_plots

    if split not in ("test", "dev", "train"):
        err.print(f"[red]--split: must be test, dev or train, got {split!r}[/]")
        raise typer.Exit(2)
    predictor = predictor_for(state.settings)
    with err.status(f"scoring model {predictor.model_id} on the {split} split..."):
        ev = run_evaluation(predictor, split)
    f = ev.figures
    table = Table(
        "category",
        "precision",
        "recall",
        "F1",
        "support",
        "threshold",
        title=f"Model {predictor.model_id}, {split} split (n={f['n']})",
    )
    for name, c in f["per_class"].items():
        table.add_row(
            name,
            f"{c['precision']:.3f}",
            f"{c['recall']:.3f}",
            f"{c['f1']:.3f}",
            str(c["support"]),
            f"{predictor.thresholds[name]:.2f}",
        )
    out.print(table)
    out.print(f"macro-F1 {f['macro_f1']:.3f}   accuracy {f['accuracy']:.3f}")
    out.print(
        f"at the chosen thresholds: precision of auto-routed mentions {f['auto_precision']:.3f}, "
        f"coverage {f['coverage']:.3f} (the rest goes to triage)"
    )
    # Columns are numbered like the rows: category names do not fit across a terminal.
    numbers = [str(i) for i in range(1, len(ev.classes) + 1)]
    matrix = Table("true \\ predicted", *numbers, title="Confusion matrix", padding=(0, 0))
    for i, (name, row) in enumerate(zip(ev.classes, ev.confusion, strict=True), start=1):
        matrix.add_row(f"{i} {name}", *[str(v) if v else "." for v in row])
    out.print(matrix)
    trade = Table("coverage", "precision", title="Precision/coverage (most confident first)")
    for target in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        index = min(int(target * len(ev.curve)) - 1, len(ev.curve) - 1)
        cov, prec = ev.curve[max(index, 0)]
        trade.add_row(f"{cov:.2f}", f"{prec:.3f}")
    out.print(trade)
    folder = plots or state.settings.data_dir / "reports"
    for path in write_plots(ev, folder):
        out.print(f"wrote {path}")
