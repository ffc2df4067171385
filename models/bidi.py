"""Bidirectional-text controls in untrusted text: what they are, and removing them.

An unclosed RIGHT-TO-LEFT OVERRIDE (U+202E) in an author's name reverses everything
after it on the same line: the time, a link, the next column of a CSV row or an
e-mail. aduan stores mentions whole, and removes these controls where text is shown:
pages (besides isolating each untrusted string in ``<bdi>``), CSV cells and e-mails.
Right-to-left letters themselves (Arabic names) are kept; only the invisible controls
that change the order of the text around them go.
"""

#: LRE, RLE, PDF, LRO, RLO (embeddings and overrides) and LRI, RLI, FSI, PDI (isolates)
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REMOVE = dict.fromkeys(map(ord, BIDI_CONTROLS))


def strip_bidi_controls(text: str) -> str:
    """*text* without bidirectional embedding, override and isolate controls."""
    return text.translate(_REMOVE)
