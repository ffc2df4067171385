"""Public complaint numbers as the tests expect them: filed now, so this WITA year's."""

from models.public_number import format_number, wita_year
from models.types import utcnow


def number(sequence: int, prefix: str = "DPS") -> str:
    """The *sequence*-th number of a complaint filed this year (``DPS-26-00001``)."""
    return format_number(prefix, wita_year(utcnow()), sequence)
