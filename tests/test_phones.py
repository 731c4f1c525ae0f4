"""The phone rules: every shape Excel users produce, the 2018 table, landlines, impossibles."""

from __future__ import annotations

import pytest

from zns.phones import (
    MOBILE_PREFIXES,
    PREFIX_2018,
    PhoneError,
    is_valid_mobile,
    normalize_phone,
    telco_id,
    to_international,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (912345678, "0912345678"),  # stored as a number: Excel dropped the 0
        (912345678.0, "0912345678"),
        (9.12345678e8, "0912345678"),
        ("9.12345678E8", "0912345678"),
        ("9.12345678E+08", "0912345678"),
        ("9,12345678E+08", "0912345678"),  # Vietnamese decimal comma
        ("912345678.0", "0912345678"),
        ("912345678", "0912345678"),
        ("0912345678", "0912345678"),
        (" 0912345678 ", "0912345678"),
        ("+84 91-234 5678", "0912345678"),
        ("(091) 234.5678", "0912345678"),
        ("84912345678", "0912345678"),
        (84912345678, "0912345678"),
        ("0084912345678", "0912345678"),
        ("+84 (0) 912 345 678", "0912345678"),
        ("'0912345678", "0912345678"),  # Excel "text" apostrophe
        ("'+84912345678", "0912345678"),  # neutralised by the error workbook
        ("091\u00a0234\u00a05678", "0912345678"),  # no-break spaces
        ("0912_345_678", "0912345678"),
        ("0868123456", "0868123456"),
        ("0559123456", "0559123456"),  # Reddi
        ("0876123456", "0876123456"),  # Itel
    ],
)
def test_accepted_shapes(raw: object, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(("old", "new"), sorted(PREFIX_2018.items()))
def test_full_2018_conversion_table(old: str, new: str) -> None:
    tail = "2345678"
    assert normalize_phone(old + tail) == new + tail
    # the same number stored as a number (leading 0 lost) and with the country code
    assert normalize_phone(int(old[1:] + tail)) == new + tail
    assert normalize_phone("+84" + old[1:] + tail) == new + tail
    assert new in MOBILE_PREFIXES


def test_2018_table_is_complete() -> None:
    assert len(PREFIX_2018) == 21  # 8 Viettel + 5 MobiFone + 5 VinaPhone + 2 Vietnamobile + 1 G
    assert len(set(PREFIX_2018.values())) == 21


@pytest.mark.parametrize(
    "raw",
    ["02438261234", "024 3826 1234", "+84 24 3826 1234", "842838221234", "(028) 3822 1234",
     2438261234],
)
def test_landlines(raw: object) -> None:
    with pytest.raises(PhoneError) as exc:
        normalize_phone(raw)
    assert exc.value.code == "LANDLINE"


@pytest.mark.parametrize(
    "raw",
    ["0123", "0912345", "09123456789", "0112345678", "0012345678", "1900123456", "18001234",
     "+1 415 555 0100", "091234567a", "abc", "0912345678 / 0987654321", 912345678.5, -912345678,
     True, "01012345678", float("nan"), "0000000000"],
)
def test_impossible_numbers(raw: object) -> None:
    with pytest.raises(PhoneError) as exc:
        normalize_phone(raw)
    assert exc.value.code == "BAD_PHONE"
    assert exc.value.reason_vi


@pytest.mark.parametrize("raw", [None, "", "   ", "'"])
def test_missing(raw: object) -> None:
    with pytest.raises(PhoneError) as exc:
        normalize_phone(raw)
    assert exc.value.code == "MISSING_PHONE"


def test_error_text_names_code_and_value() -> None:
    with pytest.raises(PhoneError) as exc:
        normalize_phone("0123")
    assert str(exc.value).startswith("BAD_PHONE: ")
    assert "'0123'" in str(exc.value)


def test_helpers() -> None:
    assert is_valid_mobile("0912345678")
    assert not is_valid_mobile("912345678")
    assert not is_valid_mobile("0212345678")
    assert telco_id("0981234567") == 1
    assert telco_id("0901234567") == 2
    assert telco_id("0911234567") == 3
    assert telco_id("0921234567") == 4
    assert telco_id("0991234567") == 5
    assert telco_id("0871234567") == 6
    assert telco_id("0551234567") == 7
    assert telco_id("0111234567") == 0
    assert to_international("0912345678") == "84912345678"
