"""Text the stores can hold: control characters removed, lone surrogates replaced.

PostgreSQL refuses NUL in text; neither store can encode half a surrogate pair in
UTF-8 (JSON may escape one, ``"\\ud83d"``). Every text from outside (a collected post,
an imported file) passes through ``clean_string`` before it is stored.
"""

import re

# C0 and C1 controls and DEL; tab, line feed and carriage return are kept in texts.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROLS_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")
#: any character either cleaning would change: most values have none, and one search
#: (or, for printable ASCII, ``isprintable``) finds that faster than the substitutions
_DIRTY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_DIRTY_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_string(value: str, *, multiline: bool = True) -> str:
    """*value* without control characters (tab and line breaks kept if *multiline*),
    lone surrogates replaced by U+FFFD."""
    if value.isascii() and value.isprintable():
        return value  # U+0020 to U+007E only: nothing to clean
    if not (_DIRTY if multiline else _DIRTY_ONE_LINE).search(value):
        return value
    pattern = _CONTROLS if multiline else _CONTROLS_ONE_LINE
    value = pattern.sub("", value)
    if _SURROGATES.search(value):
        value = _SURROGATES.sub("\ufffd", value)
    return value
