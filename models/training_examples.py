"""The city's imported labelled history: a training source kept beside the bundled corpus."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session, col, select

from models.tables import ExampleImport, TrainingExample


class RowLike(Protocol):
    """What storing needs of one usable imported row."""

    @property
    def row(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def source_label(self) -> str: ...
    @property
    def key(self) -> str: ...


@dataclass(frozen=True)
class Stored:
    """What one import stored, and the rows already in the store from earlier imports."""

    import_id: int
    stored: int
    already_stored: int


def store_import(
    *,
    session: Session,
    file_name: str,
    file_sha256: str,
    actor: str,
    rows: Sequence[RowLike],
    splits: Sequence[str],
    counts: dict[str, Any],
) -> Stored:
    """Record an import and store its rows; a text already stored (by key) is skipped."""
    batch = ExampleImport(file_name=file_name, file_sha256=file_sha256, actor=actor, counts={})
    session.add(batch)
    session.flush()
    assert batch.id is not None
    keys = [r.key for r in rows]
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        known.update(
            session.exec(
                select(TrainingExample.text_sha256).where(
                    col(TrainingExample.text_sha256).in_(chunk)
                )
            )
        )
    stored = 0
    for r, split in zip(rows, splits, strict=True):
        if r.key in known:
            continue
        session.add(
            TrainingExample(
                import_id=batch.id,
                row=r.row,
                text=r.text,
                text_sha256=r.key,
                category=r.category,
                source_label=r.source_label[:300],
                split=split,
            )
        )
        stored += 1
    already = len(rows) - stored
    batch.counts = {**counts, "stored": stored, "already_stored": already}
    session.add(batch)
    return Stored(import_id=batch.id, stored=stored, already_stored=already)


def imported_examples(*, session: Session) -> list[TrainingExample]:
    """Every imported example, in import order."""
    return list(session.exec(select(TrainingExample).order_by(col(TrainingExample.id))))


def imports(*, session: Session) -> list[ExampleImport]:
    """Every import run, oldest first."""
    return list(session.exec(select(ExampleImport).order_by(col(ExampleImport.id))))
