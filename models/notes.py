"""Internal notes on a complaint, written by agency or Kominfo staff."""

from sqlmodel import Session, col, select

from models.tables import ComplaintNote
from models.types import utcnow

#: a note longer than this is refused rather than stored truncated
MAX_NOTE_LENGTH = 5000


def add_note(*, session: Session, complaint_id: int, author: str, text: str) -> ComplaintNote:
    """Store a note; empty or over-long text raises ValueError naming the problem."""
    text = text.strip()
    if not text:
        raise ValueError("catatan kosong / the note is empty")
    if len(text) > MAX_NOTE_LENGTH:
        raise ValueError(
            f"catatan terlalu panjang ({len(text)} > {MAX_NOTE_LENGTH} karakter) / "
            f"the note is too long ({len(text)} > {MAX_NOTE_LENGTH} characters)"
        )
    note = ComplaintNote(complaint_id=complaint_id, author=author[:200], text=text, at=utcnow())
    session.add(note)
    session.flush()
    return note


def notes_of(*, session: Session, complaint_id: int) -> list[ComplaintNote]:
    """A complaint's notes, oldest first."""
    stmt = (
        select(ComplaintNote)
        .where(ComplaintNote.complaint_id == complaint_id)
        .order_by(col(ComplaintNote.at), col(ComplaintNote.id))
    )
    return list(session.exec(stmt))
