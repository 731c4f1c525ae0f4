"""The phone rules: how Vietnamese mobile numbers are written, converted and validated.

Every other module (ingest, validation, blocklists, simulator's 108 check) asks this one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# 2018 conversion of 11-digit mobile prefixes to 10 digits (Ministry of Information and
# Communications, September-November 2018): old "01xy" -> new "0ab". This is the full table.
PREFIX_2018: dict[str, str] = {
    # Viettel
    "0162": "032", "0163": "033", "0164": "034", "0165": "035",
    "0166": "036", "0167": "037", "0168": "038", "0169": "039",
    # MobiFone
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    # VinaPhone
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    # Vietnamobile
    "0186": "056", "0188": "058",
    # Gmobile
    "0199": "059",
}

# Current 10-digit mobile prefixes and their eSMS telco ids (1 Viettel, 2 MobiFone,
# 3 VinaPhone, 4 Vietnamobile, 5 Gmobile, 6 Itel, 7 Reddi).
MOBILE_PREFIXES: dict[str, int] = {
    **{p: 1 for p in ("032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098")},
    **{p: 2 for p in ("070", "076", "077", "078", "079", "089", "090", "093")},
    **{p: 3 for p in ("081", "082", "083", "084", "085", "088", "091", "094")},
    **{p: 4 for p in ("052", "056", "058", "092")},
    **{p: 5 for p in ("059", "099")},
    **{p: 6 for p in ("087",)},
    **{p: 7 for p in ("055",)},
}

# Spaces (incl. no-break and zero-width), dashes, dots, brackets, slashes, underscores.
_SEPARATORS = re.compile(r"[\s\-.()/_\u200b\ufeff]")
_LOCAL_MOBILE = re.compile(r"0\d{9}")
# Numbers that went through a float: "912345678.0", "9.12345678E8", "9,12345678E+08".
_FLOAT_TEXT = re.compile(r"\d+[.,]0+|\d(?:[.,]\d+)?[eE]\+?\d+")
# Excel "force text" marks a user may type or our error workbook may add (see recipients).
_TEXT_MARKS = "'\u2018\u2019"


@dataclass(frozen=True, slots=True)
class PhoneError(ValueError):
    """Why a value is not a usable mobile number; `code` is stable, `reason_vi` is for operators."""

    value: str
    code: str
    reason_vi: str

    def __str__(self) -> str:
        return f"{self.code}: {self.reason_vi} ({self.value!r})"


def _digits_from_number(value: float | int, original: str) -> str:
    """Digits of a phone Excel stored as a number (it drops the leading 0)."""
    if isinstance(value, float):
        if value != value or not value.is_integer() or value < 0:  # NaN, fraction, negative
            raise PhoneError(original, "BAD_PHONE", "Số điện thoại không phải số nguyên dương")
        value = int(value)
    if value < 0:
        raise PhoneError(original, "BAD_PHONE", "Số điện thoại không phải số nguyên dương")
    return str(value)


def normalize_phone(value: object) -> str:
    """Return the 10-digit local form (0xxxxxxxxx) of a Vietnamese mobile number, or raise.

    Accepts what Excel users produce: numbers that lost the leading 0 (912345678, 9.12345678E8),
    +84 / 84 / 0084 prefixes, spaces, dots, dashes and brackets, a leading apostrophe (Excel's
    "store as text" mark) and old 11-digit prefixes (2018 table). Landlines raise LANDLINE,
    everything else that is not a mobile number raises BAD_PHONE, empty raises MISSING_PHONE.
    """
    # Fast paths for the two shapes most rows have (ingest calls this once per row).
    kind = type(value)
    if kind is float or kind is int:
        number: float = value  # type: ignore[assignment]
        if 100_000_000 <= number < 1_000_000_000 and number == int(number):  # 9 digits, 0 lost
            text = "0%d" % number  # noqa: UP031 - fastest number -> digits
            if text[:3] in MOBILE_PREFIXES:
                return text
    elif kind is str:
        text = value  # type: ignore[assignment]
        if len(text) == 10 and text[0] == "0" and text.isdigit() and text.isascii():
            if text[:3] in MOBILE_PREFIXES:
                return text
    return _normalize_slow(value)


def _normalize_slow(value: object) -> str:
    """Every other shape: separators, prefixes, float text, old 11-digit numbers, errors."""
    if value is None:
        raise PhoneError("", "MISSING_PHONE", "Thiếu số điện thoại")
    if isinstance(value, bool):
        raise PhoneError(str(value), "BAD_PHONE", "Số điện thoại không hợp lệ")
    if isinstance(value, (int, float)):
        original = str(value)
        text = _digits_from_number(value, original)
    else:
        original = str(value)
        text = original.strip().lstrip(_TEXT_MARKS).strip()
        if not text:
            raise PhoneError(original, "MISSING_PHONE", "Thiếu số điện thoại")
        if _FLOAT_TEXT.fullmatch(text):
            text = _digits_from_number(float(text.replace(",", ".")), original)
        else:
            text = _SEPARATORS.sub("", text)
    if text.startswith("+"):
        text = text[1:]
        if not text.startswith("84"):
            raise PhoneError(original, "BAD_PHONE", "Chỉ nhận số điện thoại Việt Nam (+84)")
        text = "0" + text[2:]
    elif text.startswith("0084"):
        text = "0" + text[4:]
    elif text.startswith("84") and len(text) in (11, 12):
        text = "0" + text[2:]
    elif not text.startswith("0") and len(text) in (9, 10):
        text = "0" + text  # Excel dropped the leading zero
    if text.startswith("00") and len(text) == 11:
        text = text[1:]  # "+84 (0) 912 345 678": country code written before the trunk 0
    if not text.isdigit() or not text.isascii():
        raise PhoneError(original, "BAD_PHONE", "Số điện thoại chứa ký tự không phải chữ số")
    if len(text) == 11 and text[:4] in PREFIX_2018:
        text = PREFIX_2018[text[:4]] + text[4:]
    if text.startswith("02") and len(text) in (10, 11):
        raise PhoneError(original, "LANDLINE", "Số cố định không nhận được ZNS/SMS")
    if not _LOCAL_MOBILE.fullmatch(text):
        raise PhoneError(original, "BAD_PHONE", "Số điện thoại phải có 10 chữ số (0xxxxxxxxx)")
    if text[:3] not in MOBILE_PREFIXES:
        raise PhoneError(original, "BAD_PHONE", f"Đầu số {text[:3]} không phải đầu số di động")
    return text


def is_valid_mobile(phone: str) -> bool:
    """True for a number already in the canonical 10-digit local mobile form."""
    return bool(_LOCAL_MOBILE.fullmatch(phone)) and phone[:3] in MOBILE_PREFIXES


def telco_id(phone: str) -> int:
    """eSMS telco id of a canonical number (0 when unknown)."""
    return MOBILE_PREFIXES.get(phone[:3], 0)


def to_international(phone: str) -> str:
    """84xxxxxxxxx form, as Zalo's own API and the hash-phone send want it."""
    return "84" + phone[1:]
