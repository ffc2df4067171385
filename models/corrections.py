"""Human category decisions, kept as training labels."""

from sqlmodel import Session, col, select

from models.tables import Correction, Mention


def record_correction(
    *, session: Session, mention: Mention, category: str, kind: str, actor: str
) -> Correction:
    """Store that *actor* put *mention* in *category* (by triage, recategorising, ...)."""
    row = Correction(
        mention_id=mention.id, text=mention.text, category=category, kind=kind, actor=actor
    )
    session.add(row)
    return row


def all_corrections(*, session: Session) -> list[Correction]:
    """Every correction, oldest first; the newest one for a mention wins when training."""
    return list(session.exec(select(Correction).order_by(col(Correction.id))))
