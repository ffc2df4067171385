"""Text hygiene shared by collectors."""

import unicodedata


def clean_text(text: str) -> str:
    """The text as posted, NFC-normalised, without NUL bytes (which PostgreSQL refuses).

    Emoji, zero-width joiners and right-to-left marks are kept: they are part of what
    the citizen wrote.
    """
    return unicodedata.normalize("NFC", text.replace("\x00", ""))
