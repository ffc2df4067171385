"""Inboxes (agencies) as configured."""

from collections.abc import Iterable

from sqlmodel import Session, col, select

from models.tables import Agency


def sync_agencies(*, session: Session, agencies: Iterable[Agency]) -> None:
    """Make the stored agencies match the configured ones (insert or update by code).

    Agencies no longer configured are kept: complaints still point at them.
    """
    for wanted in agencies:
        row = session.get(Agency, wanted.code)
        if row is None:
            session.add(Agency.model_validate(wanted.model_dump()))
            continue
        row.name = wanted.name
        row.email = wanted.email
        row.webhook_url = wanted.webhook_url
        row.external = wanted.external
        session.add(row)


_AGENCIES = select(Agency).order_by(col(Agency.code))


def list_agencies(*, session: Session) -> list[Agency]:
    """All stored agencies, by code."""
    return list(session.exec(_AGENCIES))
