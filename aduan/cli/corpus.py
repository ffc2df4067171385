"""``aduan corpus import`` and ``aduan evaluate``: the city's own labelled history.

Heavy modules (the classifier, scikit-learn, matplotlib, openpyxl) are imported inside
the commands that use them, so other commands start quickly.
"""

import getpass
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from aduan.cli.base import app, err, out, state, store
from models.corrections import all_corrections
from models.training_examples import imported_examples as stored_examples
from models.training_examples import imports, store_import
from models.wita import format_wita

if TYPE_CHECKING:
    from classifier.corpus import Example
    from classifier.evaluate import Evaluation
    from classifier.importer import ReadResult
    from classifier.retrain import Decision

corpus_app = typer.Typer(help="The city's own labelled history as training data.")
app.add_typer(corpus_app, name="corpus")

TextColumn = Annotated[str, typer.Option("--text-column", help="Column holding the text.")]
LabelColumn = Annotated[
    str, typer.Option("--label-column", help="Column holding the category or agency name.")
]
MapOption = Annotated[
    Path | None,
    typer.Option("--map", help="YAML map from the file's labels to category codes."),
]
SheetOption = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet (default: first).")]


def read_file(
    path: Path, text_column: str, label_column: str, label_map: Path | None, sheet: str | None
) -> "ReadResult":
    """Read a labelled file as `corpus import` and `evaluate FILE` do."""
    from classifier.importer import load_label_map, read_labelled

    mapping = load_label_map(label_map) if label_map is not None else None
    return read_labelled(
        path, text_column=text_column, label_column=label_column, label_map=mapping, sheet=sheet
    )


def _print_skipped(result: "ReadResult") -> None:
    if result.unmapped:
        table = Table("label (as in the file)", "rows", title="Unmapped labels: rows skipped")
        for label, n in result.unmapped.most_common():
            table.add_row(label, str(n))
        err.print(table)
        err.print("[yellow]add these labels to the --map file to use their rows[/]")


@corpus_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or JSONL file with texts and labels.")],
    text_column: TextColumn = "text",
    label_column: LabelColumn = "label",
    label_map: MapOption = None,
    sheet: SheetOption = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Who imports (default: the OS user).")
    ] = None,
) -> None:
    """Import labelled texts as their own training source; personal data is masked first."""
    # the classifier (numpy) loads only for the commands that train or evaluate
    from classifier.corpus import assign_split

    with err.status(f"reading {file}..."):
        result = read_file(file, text_column, label_column, label_map, sheet)
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    with Session(store()) as session:
        stored = store_import(
            session=session,
            file_name=file.name,
            file_sha256=digest,
            actor=actor or getpass.getuser(),
            rows=result.rows,
            splits=[assign_split(r.text) for r in result.rows],
            counts=result.counts(),
        )
        session.commit()
    counts = result.counts()
    out.print(
        f"import {stored.import_id} from {file.name}: {counts['read']} rows read, "
        f"{stored.stored} stored, skipped: {counts['empty']} empty, "
        f"{counts['duplicate_in_file']} duplicates in the file, "
        f"{stored.already_stored} already stored, {counts['unmapped']} with unmapped labels"
    )
    _print_skipped(result)
    if not result.rows:
        raise typer.Exit(1)


@corpus_app.command("imports")
def list_imports() -> None:
    """Every import run: file, time (WITA), who, and what it stored."""
    table = Table("id", "file", "imported (WITA)", "by", "stored", "skipped")
    with Session(store()) as session:
        for run in imports(session=session):
            c = run.counts
            skipped = sum(
                int(c.get(k, 0))
                for k in ("empty", "duplicate_in_file", "already_stored", "unmapped")
            )
            table.add_row(
                str(run.id),
                run.file_name,
                format_wita(run.imported_at),
                run.actor,
                str(c.get("stored", 0)),
                str(skipped),
            )
    out.print(table)


def imported_examples() -> list["Example"]:
    """The store's imported examples as training examples (source ``imported``)."""
    # the classifier (numpy) loads only for the commands that train or evaluate
    from classifier.corpus import Example

    with Session(store()) as session:
        return [
            Example(
                text=r.text, label=r.category, split=r.split, register="imported", source="imported"
            )
            for r in stored_examples(session=session)
        ]


def print_gate(decision: "Decision") -> None:
    """The activation gate's table: each source scored by the active and the new model."""
    if not decision.sources:
        return
    table = Table(
        "source",
        "n",
        "macro-F1 new",
        "active",
        "precision new",
        "active",
        "coverage new",
        "active",
        title="Held-out figures per source",
    )

    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    for r in decision.sources:
        table.add_row(
            r.source,
            str(r.n),
            f(r.new_f1),
            f(r.active_f1),
            f(r.new_precision),
            f(r.active_precision),
            f(r.new_coverage),
            f(r.active_coverage),
        )
    out.print(table)


@app.command()
def evaluate(
    file: Annotated[
        Path | None, typer.Argument(help="A labelled CSV/XLSX/JSONL file to score instead.")
    ] = None,
    split: Annotated[str, typer.Option(help="Split to score: test, dev or train.")] = "test",
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            help="Data source(s): corpus, corpus/<register>, imported, corrections, or all "
            "(default: corpus).",
        ),
    ] = None,
    text_column: TextColumn = "text",
    label_column: LabelColumn = "label",
    label_map: MapOption = None,
    sheet: SheetOption = None,
    plots: Annotated[
        Path | None, typer.Option(help="Folder for the PNG plots (default DATA_DIR/reports).")
    ] = None,
) -> None:
    """Per-class figures, confusion matrix and precision/coverage per data source."""
    from aduan.predictor import predictor_for
    from classifier.corpus import Example, load_corpus
    from classifier.evaluate import evaluate_examples, write_plots
    from classifier.train import source_keys

    if split not in ("test", "dev", "train"):
        err.print(f"[red]--split: must be test, dev or train, got {split!r}[/]")
        raise typer.Exit(2)
    predictor = predictor_for(state.settings)
    sets: dict[str, list[Example]] = {}
    if file is not None:
        result = read_file(file, text_column, label_column, label_map, sheet)
        _print_skipped(result)
        sets[file.name] = [
            Example(r.text, r.category, "test", "file", file.name) for r in result.rows
        ]
    else:
        wanted = source or ["corpus"]
        pool = load_corpus()
        if any(s in ("imported", "all") for s in wanted):
            pool += imported_examples()
        if any(s in ("corrections", "all") for s in wanted):
            pool += _corrections()
        chosen = [e for e in pool if e.split == split]
        known = sorted({k for e in chosen for k in source_keys(e)})
        for name in wanted:
            keys = known if name == "all" else [name]
            for key in keys:
                sets[key] = [e for e in chosen if key in source_keys(e)]
                if not sets[key]:
                    err.print(
                        f"[red]--source {key}: no {split} examples; known: {', '.join(known)}[/]"
                    )
                    raise typer.Exit(2)
    folder = plots or state.settings.data_dir / "reports"
    summary = Table(
        "source",
        "n",
        "macro-F1",
        "precision",
        "coverage",
        "complaints dropped",
        title=f"Model {predictor.model_id}",
    )
    for name, examples in sets.items():
        if not examples:
            err.print(f"[red]{name}: no usable labelled rows[/]")
            raise typer.Exit(1)
        with err.status(f"scoring {name} ({len(examples)} texts)..."):
            ev = evaluate_examples(predictor, examples, name if file else f"{name} {split}")
        _print_evaluation(ev, predictor.thresholds)
        f = ev.figures
        summary.add_row(
            name,
            str(f["n"]),
            f"{f['macro_f1']:.3f}",
            f"{f['auto_precision']:.3f}",
            f"{f['coverage']:.3f}",
            f"{f['dropped_n']} of {f['complaints_n']} ({f['dropped']:.1%})",
        )
        for path in write_plots(ev, folder):
            out.print(f"wrote {path}")
    out.print(summary)


def _corrections() -> list["Example"]:
    from classifier.retrain import correction_examples

    with Session(store()) as session:
        rows = [(c.mention_id, c.text, c.category) for c in all_corrections(session=session)]
    return correction_examples(rows)


def _print_evaluation(ev: "Evaluation", thresholds: dict[str, float]) -> None:
    f = ev.figures
    table = Table(
        "category",
        "precision",
        "recall",
        "F1",
        "support",
        "threshold",
        title=f"{ev.name} (n={f['n']})",
    )
    for name, c in f["per_class"].items():
        table.add_row(
            name,
            f"{c['precision']:.3f}",
            f"{c['recall']:.3f}",
            f"{c['f1']:.3f}",
            str(c["support"]),
            f"{thresholds[name]:.2f}",
        )
    out.print(table)
    out.print(f"macro-F1 {f['macro_f1']:.3f}   accuracy {f['accuracy']:.3f}")
    out.print(
        f"at the chosen thresholds: precision of auto-routed mentions {f['auto_precision']:.3f}, "
        f"coverage {f['coverage']:.3f} (the rest goes to triage); complaints kept out as "
        f"not a complaint without triage: {f['dropped_n']} of {f['complaints_n']}"
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
