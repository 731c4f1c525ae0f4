"""Cell normalisation and column-name matching, unit by unit."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from esms.sms_templates import to_ascii
from zns.recipients.cells import (
    cell_date,
    cell_number,
    cell_text,
    clean_text,
    is_blank,
    is_url,
    neutralise,
    sms_ascii,
)
from zns.recipients.columns import ColumnIndex, normalise_name
from zns.recipients.errors import FILE_CODES, ROW_CODES, RecipientsFileError


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (12000.0, "12000"),
        (12000.5, "12000.5"),
        (1e-7, "0.0000001"),
        (42, "42"),
        ("  An  ", "An"),
        ("#N/A", ""),
        ("#VALUE!", ""),
        ("#REF!", ""),
        ("#DIV/0!", ""),
        ("#NAME?", ""),
        (None, ""),
        (float("nan"), ""),
        (datetime(2026, 12, 1), "01/12/2026"),
        (datetime(2026, 12, 1, 8, 30), "01/12/2026 08:30"),
        (date(2026, 12, 1), "01/12/2026"),
        (time(8, 30), "08:30"),
        (True, "TRUE"),
        ("'=SUM(A1)", "=SUM(A1)"),  # the error workbook's neutralisation is undone
        ("'+84912345678", "+84912345678"),
        ("'abc", "'abc"),  # other apostrophes are the user's text
        ("Nguye\u0302\u0303n", "Nguyễn"),  # decomposed (macOS) Unicode becomes NFC
    ],
)
def test_cell_text(cell: object, expected: str) -> None:
    assert cell_text(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (datetime(2026, 12, 1, 10, 0), "01/12/2026"),
        (date(2026, 12, 1), "01/12/2026"),
        (46357, "01/12/2026"),  # Excel serial
        (46357.75, "01/12/2026"),  # serial with a time of day
        ("2026-12-01", "01/12/2026"),
        ("2026-12-01 00:00:00", "01/12/2026"),
        ("2026-12-01T08:00:00", "01/12/2026"),
        ("1/12/2026", "01/12/2026"),  # day first
        ("01/12/2026", "01/12/2026"),
        ("1-12-2026", "01/12/2026"),
        ("01.12.2026", "01/12/2026"),
        (" 01/12/2026 ", "01/12/2026"),
        ("31/02/2026", None),  # not a real date
        ("12/31/2026", None),  # month-first is not accepted: month 31
        ("1/12/26", None),
        ("ngày mai", None),
        (-5, None),
        (True, None),
    ],
)
def test_cell_date(cell: object, expected: str | None) -> None:
    assert cell_date(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (12000.0, "12000"),
        (12000, "12000"),
        ("12000", "12000"),
        ("12000.0", "12000"),
        ("1.500.000", "1500000"),
        ("1,500,000", "1500000"),
        ("1 500 000", "1500000"),
        ("00123", "00123"),
        (12000.5, None),
        (-1.0, None),
        ("12k", None),
        ("1.5", None),
        ("1.500,000", None),  # mixed separators
        (datetime(2026, 1, 1), None),
        (False, None),
    ],
)
def test_cell_number(cell: object, expected: str | None) -> None:
    assert cell_number(cell) == expected


def test_blank_and_url_and_neutralise() -> None:
    assert is_blank("  ") and is_blank("#N/A") and is_blank(None) and is_blank(float("nan"))
    assert not is_blank(0.0) and not is_blank("0")
    assert is_url("https://shop.vn/don/123?x=1") and is_url("HTTP://a.b")
    assert not is_url("shop.vn/don") and not is_url("ftp://a.b") and not is_url("https://a b")
    assert [neutralise(v) for v in ("=1+1", "+84", "-x", "@a", "\tx", "ok", 5)] == [
        "'=1+1", "'+84", "'-x", "'@a", "'\tx", "ok", 5]
    assert clean_text(neutralise("=HYPERLINK(\"x\")")) == "=HYPERLINK(\"x\")"


@pytest.mark.parametrize(
    "text", ["Nguyễn Văn Cường", "Đặng Thị Ánh “VIP”…", "漢字 An", "e\u0301", "ﬁ ½", "plain"]
)
def test_sms_ascii_equals_to_ascii(text: str) -> None:
    assert sms_ascii(text) == to_ascii(text)


def test_column_names_ignore_case_spaces_diacritics() -> None:
    assert normalise_name("  Số điện thoại ") == "so dien thoai"
    assert normalise_name("SO_DIEN-THOAI") == "so dien thoai"
    index = ColumnIndex(["STT", "Số điện thoại", "Tên KH", "Ngày đặt"])
    assert index.find("so dien thoai") == 1
    assert index.find("NGAY DAT") == 3
    assert index.find("Tên kh ") == 2
    assert index.find("Email") is None
    with pytest.raises(RecipientsFileError) as exc:
        index.require("Email", "biến 'email'")
    assert exc.value.code == "UNKNOWN_COLUMN"
    assert "'Số điện thoại'" in exc.value.message_vi and "'Ngày đặt'" in exc.value.message_vi


def test_ambiguous_column() -> None:
    index = ColumnIndex(["Tên", "TEN", "Ten "])
    assert index.find("Tên") == 0  # exact name wins
    with pytest.raises(RecipientsFileError) as exc:
        index.find("ten")
    assert exc.value.code == "AMBIGUOUS_COLUMN"


def test_code_tables_have_vietnamese_explanations() -> None:
    required = {"MISSING_PHONE", "BAD_PHONE", "LANDLINE", "MISSING_PARAM", "TOO_LONG",
                "TOO_SHORT", "BAD_NUMBER", "BAD_DATE", "BAD_URL", "DUPLICATE", "BLOCKED",
                "SMS_MISSING_PARAM", "SMS_TOO_LONG", "SMS_TEMPLATE_MISMATCH"}
    assert required <= set(ROW_CODES)
    for doc in [*ROW_CODES.values(), *FILE_CODES.values()]:
        assert doc.code.isupper() and doc.meaning_vi and doc.action_vi
