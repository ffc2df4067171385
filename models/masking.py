"""Masking personal data in citizens' text: the one function every exit uses.

``mask_personal`` replaces identifiers (NIK, KK, phone numbers, e-mail addresses, plate
numbers, and the other numbers of UU PDP's general personal data) with a bracketed
label such as ``[NIK]`` or ``[telepon]``, and in a street address only what pins it to
one house: the house number (``No. 12``, ``blok C3``, ``kav 7``) and the RT/RW
numbers. The street, banjar, gang and desa stay readable, because agencies need them
to find the broken lamp or the blocked drain.

Detection is lokal-id's Samaran (``lokal.samaran.detect_pii``), which validates NIK
structure and phone numbers and anchors weaker matches on keywords. It is tuned for
chat and forms, so a few shapes common in Denpasar's posts slip past it; the
supplementary patterns below catch those (each has a test in
``tests/models/test_masking.py``): a 16-digit number that is not a valid NIK (a typo
still identifies a person), landline numbers without a keyword (``0361-234567``),
mobile numbers written without the leading 0 after "hp"/"wa", e-mail addresses at
reserved domains, unspaced plates without a keyword (``DK1234AB``), house numbers after
Balinese addresses (``Br. Sesetan no 5``, ``jalan kebo iwa no 9``) and a lone RT or RW.

Not masked, on purpose: personal names (Balinese birth-order names such as Wayan or
Made are shared by most people and by streets and temples, and Samaran's name detector
fires on place names like "Panjer"), and UU PDP's specific attributes (health,
religion, ...): "demam berdarah" or "ODGJ" is what a DINKES or DINSOS complaint is
about. Author names and handles are identity fields, handled apart from the text.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lokal.samaran import PiiType

#: what each kind of identifier becomes (the same tokens the classifier's importer used)
TOKENS: dict[str, str] = {
    "NIK": "[NIK]",
    "KK": "[KK]",
    "NPWP": "[NPWP]",
    "PASSPORT": "[paspor]",
    "SIM": "[SIM]",
    "NIP": "[NIP]",
    "BPJS": "[BPJS]",
    "NISN": "[NISN]",
    "AKTA": "[akta]",
    "PHONE": "[telepon]",
    "EMAIL": "[email]",
    "BANK_ACCOUNT": "[rekening]",
    "CARD": "[kartu]",
    "PLATE": "[plat nomor]",
    "IP": "[IP]",
    "BIRTH_DATE": "[tanggal lahir]",
}
#: what a house number or an RT/RW number becomes; the words around it stay
HOUSE_NUMBER = "[nomor]"
#: the Samaran kinds looked for: the identifiers above, and addresses
KINDS: tuple["PiiType", ...] = (
    "NIK",
    "KK",
    "NPWP",
    "PASSPORT",
    "SIM",
    "NIP",
    "BPJS",
    "NISN",
    "AKTA",
    "PHONE",
    "EMAIL",
    "BANK_ACCOUNT",
    "CARD",
    "PLATE",
    "IP",
    "BIRTH_DATE",
    "ADDRESS",
)
#: texts remembered with their masked form (pages and exports show the same texts again)
CACHE_SIZE = 8192

# --- inside an address: only what pins it to one house --------------------------------
#: "No. 12", "nomor 9A", "blok C3", "kav 7", "unit 12", "kamar 4": the value is masked
_PIN = re.compile(
    r"\b(?:no|nomor|nomer|nmr|blok|kav|kavling|unit|kamar|kmr)\b\.?\s*[:#]?\s*"
    r"([a-z]?\d+[a-z]?(?:\s*/\s*\d+[a-z]?)?)(?![\w])",
    re.IGNORECASE,
)
#: "RT 03", "rw.5", "RT.01/RW.02"
_RTRW = re.compile(r"\b(?:rt|rw)\b\.?\s*:?\s*(\d{1,3})(?!\d)", re.IGNORECASE)
#: "Jl. Merdeka 5": a number ending a street name is a house number, unless it numbers
#: a gang or a kilometre ("Jl. Tukad Balian gang 3" is a public alley)
_BARE_NUMBER = re.compile(r"\s(\d{1,4}[a-z]?)$", re.IGNORECASE)
_NOT_HOUSE = ("gang", "gg", "gg.", "lorong", "lr", "lr.", "km", "km.", "lantai", "lt", "lt.")
#: words that make a following "no 5" a house number
_ADDRESS_WORDS = re.compile(
    r"\b(?:jl|jln|jalan|gg|gang|br|banjar|perum\w*|komp\w*|rumah|blok|asrama|rusun\w*|"
    r"kos|kost|tinggal|alamat|dusun|lingkungan|rt|rw)\b",
    re.IGNORECASE,
)
#: where a sentence ends: not the period of "Br.", "Jl.", "Gg." or "No."
_SENTENCE_BREAK = re.compile(r"(?:(?<=\w{4})\.|[!?;\n])\s")
#: "nomor rumah saya 45", "no rumah 12"
_HOUSE_NUMBER = re.compile(
    r"\bno(?:mor|mer)?\.?\s*rumah(?:\s+(?:saya|kami|kita|nya|beliau|ibu|bapak))?\s*[:#]?\s*"
    r"(\d+[a-z]?)(?![\w])",
    re.IGNORECASE,
)

# --- identifiers Samaran leaves alone ---------------------------------------------------
#: 16 digits, grouped or not: a NIK or KK number even when its date part is mistyped
_SIXTEEN = re.compile(r"(?<![\w./=#-])\d(?:[ .-]?\d){15}(?![\w])")
_KK_CUE = re.compile(r"\b(?:kk|kartu keluarga)\b[^\d]{0,20}$", re.IGNORECASE)
#: an area code and a subscriber number: "0361-234567", "(0361) 223344"
_LANDLINE = re.compile(r"(?<![\w+])\(?0[1-9]\d{1,2}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}(?!\d)")
#: a mobile number, valid or not: "0812 0000 2468", "+62 812-0000-8765"
_MOBILE = re.compile(r"(?<![\w+])(?:\+?62[\s.-]?|0)8\d(?:[\s.-]?\d){7,11}(?!\d)")
#: a mobile number without its 0 after a cue: "hp 812-0000-8765"
_CUED_MOBILE = re.compile(
    r"\b(?:hp|wa|telp|tlp|telepon|hubungi|kontak|sms)\b\W{0,4}(8\d(?:[\s.-]?\d){7,11})(?!\d)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: "DK1234AB" written together, or Bali's own "dk 1234 ab" in lower case (Samaran wants
#: spaces or a keyword such as "plat"); three digits or more, so "B12X" is left alone
_PLATE = re.compile(
    r"(?<![\w])(?:[A-Z]{1,2}\d{3,4}[A-Z]{1,3}|[Dd][Kk]\s?\d{3,4}\s?[A-Za-z]{1,3})(?![\w])"
)


@dataclass(frozen=True)
class _Span:
    """A stretch of the text and what replaces it."""

    start: int
    end: int
    replacement: str


def mask_personal(text: str, keep: frozenset[str] = frozenset()) -> str:
    """*text* with identifiers replaced by labels and house numbers by ``[nomor]``.

    *keep*: kinds of ``KINDS`` left as they are (the logs keep ``IP``: a client's
    address is what a security record is about). Idempotent: masking masked text
    changes nothing. Empty text stays empty.
    """
    if not text:
        return text
    return _masked(text, keep)


@lru_cache(maxsize=CACHE_SIZE)
def _masked(text: str, keep: frozenset[str]) -> str:
    spans = _samaran_spans(text, keep)
    spans = _add(spans, _supplementary_spans(text))
    out: list[str] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(text[cursor : span.start])
        out.append(span.replacement)
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)


#: every kind looked for has a digit (numbers, dates, plates, house numbers) or an "@"
_MAY_IDENTIFY = re.compile(r"[0-9@]")


def _samaran_spans(text: str, keep: frozenset[str]) -> list[_Span]:
    # Samaran runs all its detectors (names, health, ...) before keeping the kinds
    # asked for; most complaints carry no digit and no "@", and then none of KINDS
    # can be in them (tests/models/test_masking.py checks this on the corpus).
    if _MAY_IDENTIFY.search(text) is None:
        return []
    # Imported on first use: compiling Samaran's patterns takes about 0.1 s, which
    # `aduan --help` and the commands that never mask should not pay.
    from lokal.samaran import detect_pii

    spans: list[_Span] = []
    for found in detect_pii(text, types=[k for k in KINDS if k not in keep]):
        if found.type == "ADDRESS":
            spans += _address_pins(found.value, found.start)
        else:
            spans.append(_Span(found.start, found.end, TOKENS[found.type]))
    return spans


def _address_pins(address: str, offset: int) -> list[_Span]:
    """The house and RT/RW numbers inside an address Samaran found."""
    spans = [
        _Span(offset + m.start(1), offset + m.end(1), HOUSE_NUMBER)
        for pattern in (_PIN, _RTRW)
        for m in pattern.finditer(address)
    ]
    bare = _BARE_NUMBER.search(address)
    if bare and not spans:
        before = address[: bare.start()].split()
        if before and before[-1].lower() not in _NOT_HOUSE:
            spans.append(_Span(offset + bare.start(1), offset + bare.end(1), HOUSE_NUMBER))
    return _add([], spans)


def _supplementary_spans(text: str) -> list[_Span]:
    spans: list[_Span] = []
    for m in _EMAIL.finditer(text):
        spans.append(_Span(m.start(), m.end(), TOKENS["EMAIL"]))
    for m in _SIXTEEN.finditer(text):
        kind = "KK" if _KK_CUE.search(text[max(0, m.start() - 40) : m.start()]) else "NIK"
        spans.append(_Span(m.start(), m.end(), TOKENS[kind]))
    for pattern in (_MOBILE, _LANDLINE):
        spans += [_Span(m.start(), m.end(), TOKENS["PHONE"]) for m in pattern.finditer(text)]
    spans += [_Span(m.start(1), m.end(1), TOKENS["PHONE"]) for m in _CUED_MOBILE.finditer(text)]
    spans += [_Span(m.start(), m.end(), TOKENS["PLATE"]) for m in _PLATE.finditer(text)]
    for m in _PIN.finditer(text):
        if _after_address_word(text, m.start()):
            spans.append(_Span(m.start(1), m.end(1), HOUSE_NUMBER))
    for pattern in (_RTRW, _HOUSE_NUMBER):
        spans += [_Span(m.start(1), m.end(1), HOUSE_NUMBER) for m in pattern.finditer(text)]
    return spans


def _after_address_word(text: str, index: int) -> bool:
    """Whether an address word comes before *index* in the same sentence (60 characters)."""
    before = text[max(0, index - 60) : index]
    breaks = list(_SENTENCE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    return _ADDRESS_WORDS.search(before) is not None


def _add(taken: list[_Span], more: list[_Span]) -> list[_Span]:
    """*taken* plus the spans of *more* that overlap nothing taken (first come, first kept)."""
    out = list(taken)
    for span in more:
        if all(span.end <= t.start or span.start >= t.end for t in out):
            out.append(span)
    return out
