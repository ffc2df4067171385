"""clean_string's quick paths give exactly what the substitutions define."""

import random
import re

import pytest

from models.clean_text import clean_string

_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROLS_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")

#: characters from every class the cleaning treats differently
_ALPHABET = (
    [chr(c) for c in range(0x00, 0xA2)]
    + ["\ud800", "\udbff", "\udc00", "\udfff", "\ufeff", "\u00e9", "\u2028", "🙏", "\ufffd"]
    + list("jalan rusak di Panjer ")
)


def _defined(value: str, multiline: bool) -> str:
    value = (_CONTROLS if multiline else _CONTROLS_ONE_LINE).sub("", value)
    return re.sub("[\ud800-\udfff]", "\ufffd", value)


@pytest.mark.parametrize("multiline", [True, False])
def test_clean_string_equals_its_definition_on_random_texts(multiline: bool) -> None:
    rng = random.Random(17)
    for _ in range(3000):
        value = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12)))
        assert clean_string(value, multiline=multiline) == _defined(value, multiline), value


@pytest.mark.parametrize(
    ("value", "multiline", "cleaned"),
    [
        ("lampu mati", True, "lampu mati"),
        ("baris 1\nbaris 2\tok\r", True, "baris 1\nbaris 2\tok\r"),
        ("baris 1\nbaris 2", False, "baris 1baris 2"),
        ("nul\x00 del\x7f c1\x85", True, "nul del c1"),
        ("jalan 🙏 \ud83d", True, "jalan 🙏 \ufffd"),
        ("caf\u00e9", False, "caf\u00e9"),
    ],
)
def test_clean_string_examples(value: str, multiline: bool, cleaned: str) -> None:
    assert clean_string(value, multiline=multiline) == cleaned
