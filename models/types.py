"""Column types that behave the same on SQLite and PostgreSQL."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from models.vocab import ComplaintStatus

#: the largest id an integer key holds on both stores (PostgreSQL's INTEGER is 32 bits);
#: a larger id from a URL or a form is answered "not found" or 422, never sent to the store
MAX_ID = 2**31 - 1


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime; SQLite keeps no zone, so it is restored on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: aduan stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ComplaintStatusType(TypeDecorator[ComplaintStatus]):
    """A complaint status stored as its text (VARCHAR(30)) and read back as the enum.

    The one place a stored status becomes a ``ComplaintStatus``; an unknown value is
    refused on the way in rather than stored.
    """

    impl = String(30)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else ComplaintStatus(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> ComplaintStatus | None:
        return None if value is None else ComplaintStatus(value)


#: JSON everywhere, JSONB on PostgreSQL (indexable, compact).
JSONDoc: Any = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)
