"""Small builders for test data."""

from datetime import UTC, datetime, timedelta
from typing import Any

from models.tables import Agency, MentionIn

BASE_TIME = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def mention(n: int, *, platform: str = "twitter", text: str | None = None, **kw: Any) -> MentionIn:
    """The n-th synthetic mention."""
    fields: dict[str, Any] = {
        "platform": platform,
        "platform_id": str(1000 + n),
        "source": "test",
        "author_handle": f"warga{n}",
        "author_name": f"Warga {n}",
        "text": text if text is not None else f"air mati lagi di sesetan nomor {n}",
        "url": f"https://x.com/warga{n}/status/{1000 + n}",
        "created_at": BASE_TIME + timedelta(minutes=n),
        "raw": {"id": str(1000 + n)},
    }
    fields.update(kw)
    return MentionIn(**fields)


def agencies() -> list[Agency]:
    """A few inboxes."""
    return [
        Agency(code="PDAM", name="PDAM Denpasar"),
        Agency(code="LPJU", name="Dishub LPJU", email="lpju@example.org"),
        Agency(code="KOMINFO", name="Diskominfos"),
    ]
