"""Personal data and secrets that tests plant in mentions and requests, then hunt for.

Every exit (Open311, the API, CSV, webhooks, e-mail, logs, pages) is checked for the
values below: none may leave unmasked.
"""

NIK = "5171034507880002"
KK = "5171031204150007"
PHONE = "0813-3791-2468"
EMAIL = "kadek.sari@gmail.com"
PLATE = "DK 4321 FG"
#: a street address pinned to a house (the street itself may be shown)
ADDRESS = "Jl. Teuku Umar No. 12 RT 03/RW 05 Denpasar"
#: the parts of the address that identify the house
HOUSE = ("No. 12", "RT 03", "RW 05")

#: a post carrying all of it; routed to LPJU by the test classifier ("lampu")
HOSTILE_TEXT = (
    f"Tolong! lampu jalan mati depan rumah saya {ADDRESS}. NIK {NIK}, KK {KK}, "
    f"hp {PHONE}, email {EMAIL}. Motor {PLATE} nabrak tiangnya."
)

#: what must never appear anywhere it leaves aduan (digits only, so no formatting hides it)
PERSONAL_VALUES = (NIK, KK, PHONE, "081337912468", EMAIL, PLATE, *HOUSE)

#: secrets a hostile user types into requests: tokens, passwords
HOSTILE_PASSWORD = "Sandi-Rahasia-Warga-77!"
HOSTILE_TOKEN = "adn_HostileTokenValue_0123456789abcdef"


def leaks(text: str, values: tuple[str, ...] = PERSONAL_VALUES) -> list[str]:
    """The planted values found in *text* (also with separators removed)."""
    flat = "".join(ch for ch in text if ch.isalnum() or ch in "@.")
    found = []
    for value in values:
        bare = "".join(ch for ch in value if ch.isalnum() or ch in "@.")
        if value in text or (len(bare) >= 8 and bare in flat):
            found.append(value)
    return found
