"""Bidi controls in citizens' text never reach an e-mail (CSV: tests/inbox/test_csv_export.py)."""

from datetime import UTC, datetime
from typing import Any

from models.bidi import BIDI_CONTROLS, strip_bidi_controls
from notify.email_channel import complaint_email, digest_email

#: an unclosed override, an embedding and an isolate: each reorders what follows it
HOSTILE = "Budi\u202e gnp.exe\u202b x\u2067 y"
ARABIC = "\u0645\u0631\u062d\u0628\u0627"


def _clean(text: str) -> bool:
    return BIDI_CONTROLS.isdisjoint(text)


def test_the_controls_go_and_right_to_left_letters_stay() -> None:
    assert strip_bidi_controls(HOSTILE + ARABIC) == "Budi gnp.exe x y" + ARABIC


def _event() -> dict[str, Any]:
    when = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    return {
        "event": "complaint.filed",
        "event_id": "e1",
        "complaint": {
            "id": 7,
            "category": "PDAM",
            "inbox": "PDAM",
            "status": "baru",
            "created_at": when,
            "location": {"span": HOSTILE},
            "mentions": [
                {
                    "platform": "twitter",
                    "author_handle": "budi",
                    "author_name": HOSTILE,
                    "text": f"air mati {HOSTILE}\nbaris kedua {HOSTILE}",
                    "created_at": when,
                }
            ],
        },
    }


def test_emails_carry_no_bidi_controls() -> None:
    one = complaint_email(
        _event(), to="a@example.org", from_address="b@example.org", agency_name="PDAM"
    )
    digest = digest_email(
        [_event()],
        to="a@example.org",
        from_address="b@example.org",
        agency_name="PDAM",
        digest_id="d1",
        day=datetime(2026, 11, 20).date(),
    )
    for message in (one, digest):
        body = message.get_content()
        assert "Budi gnp.exe x y" in body and _clean(body) and _clean(str(message["Subject"]))
