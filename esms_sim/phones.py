"""Which phone numbers the simulated gateway takes (else 108) and which telco id they get.

docs/esms-api.md §1.6: examples use the local 10-digit form 0xxxxxxxxx and a 9-digit number gets 108;
whether 84.../+84... work on eSMS is unconfirmed. Choice: those two are taken and stored in
the local form, anything else (spaces, dashes, old 11-digit 01xx numbers, landlines) is 108.
"""

from __future__ import annotations

# Mobile prefixes by eSMS telco id (§1.1: 1 Viettel, 2 Mobifone, 3 Vinaphone, 4 Vietnamobile,
# 5 Gtel/Gmobile, 6 Itel, 7 Reddi), as the Vietnamese numbering plan assigns them.
TELCO_PREFIXES: dict[int, tuple[str, ...]] = {
    1: ("086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039"),
    2: ("089", "090", "093", "070", "076", "077", "078", "079"),
    3: ("088", "091", "094", "081", "082", "083", "084", "085"),
    4: ("092", "052", "056", "058"),
    5: ("099", "059"),
    6: ("087",),
    7: ("055",),
}
_TELCO_BY_PREFIX: dict[str, int] = {p: t for t, ps in TELCO_PREFIXES.items() for p in ps}


def local_mobile(raw: str) -> str | None:
    """The 0xxxxxxxxx form the gateway stores for a number it accepts, or None (108)."""
    phone = raw[1:] if raw.startswith("+84") else raw
    if len(phone) == 11 and phone.startswith("84"):
        phone = "0" + phone[2:]
    if len(phone) != 10 or not (phone.isascii() and phone.isdigit()):
        return None
    return phone if phone[:3] in _TELCO_BY_PREFIX else None


def telco_id(phone: str) -> int:
    """The callback's telcoid for a stored number (0 if the prefix is unknown)."""
    return _TELCO_BY_PREFIX.get(phone[:3], 0)


def bad_phone_message(raw: str) -> str:
    """The 108 ErrorMessage as the bulk example of §3.7 words it."""
    return f"The phone number {raw} is not valid."
