"""Excel cells as users produce them, turned into the strings a ZNS/SMS template wants.

Calamine gives str/float/int/bool/date/datetime/time/timedelta (error cells arrive as "");
CSV gives str; manual lists give JSON scalars. Everything passes through these functions.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from esms.sms_templates import to_ascii

# Excel error values; typed or exported as text they mean "no value", like an error cell.
EXCEL_ERRORS = frozenset({
    "#N/A", "#N/A N/A", "#NA", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!",
    "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!",
    "#UNKNOWN!",
})
# Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISE_MARK = "'"

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 with Lotus' 1900 leap-year bug
_MAX_SERIAL = 2958465  # 9999-12-31
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_YMD = re.compile(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DIGITS = re.compile(r"\d+")
_FLOAT_ZERO = re.compile(r"(\d+)\.0+")
_GROUPED = re.compile(r"\d{1,3}(?:([.,\u00a0 ])\d{3})(?:\1\d{3})*")
_URL = re.compile(r"https?://[^\s/?#.][^\s]*", re.IGNORECASE)


def clean_text(value: str) -> str:
    """Trim, undo the error workbook's formula neutralisation, drop Excel error values, NFC."""
    text = value.strip()
    if not text:
        return ""
    if text[0] == NEUTRALISE_MARK and len(text) > 1 and text[1] in "=+-@\t\r":
        text = text[1:].strip()
    if text[0] == "#" and text.upper() in EXCEL_ERRORS:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


_DATE_TEXT: dict[date, str] = {}  # campaigns reuse few dates; bounded below


def format_date(value: date) -> str:
    """dd/MM/yyyy, the only date form ZNS accepts."""
    text = _DATE_TEXT.get(value)
    if text is None:
        text = "%02d/%02d/%04d" % (value.day, value.month, value.year)  # noqa: UP031
        if len(_DATE_TEXT) < 100_000:
            _DATE_TEXT[value] = text
    return text


def format_float(value: float) -> str:
    """12000.0 -> "12000" (Excel stores every number as a float), 12000.5 -> "12000.5"."""
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def cell_text(cell: Any) -> str:
    """Generic text of a cell: trimmed strings, numbers without .0, dates as dd/MM/yyyy."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return clean_text(cell)
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        return "" if cell != cell else format_float(cell)
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, datetime):
        if cell.time() == time(0, 0):
            return format_date(cell)
        fmt = "%H:%M" if cell.second == 0 else "%H:%M:%S"
        return f"{format_date(cell)} {cell.strftime(fmt)}"
    if isinstance(cell, date):
        return format_date(cell)
    if isinstance(cell, time):
        return cell.strftime("%H:%M" if cell.second == 0 else "%H:%M:%S")
    if isinstance(cell, timedelta):
        return str(cell)
    return clean_text(str(cell))


def is_blank(cell: Any) -> bool:
    """True for cells that carry no value: empty, spaces, Excel errors, NaN."""
    if cell is None:
        return True
    if isinstance(cell, str):
        return not cell or clean_text(cell) == ""
    if isinstance(cell, float):
        return cell != cell
    return False


def _real_date(y: int, m: int, d: int) -> str | None:
    try:
        return format_date(date(y, m, d))
    except ValueError:
        return None


def cell_date(cell: Any) -> str | None:
    """dd/MM/yyyy for date cells, Excel serials and day-first or ISO strings; None if not a date.

    Strings are read day-first (Vietnamese usage): 1/12/2026 is 1 December 2026.
    """
    if isinstance(cell, datetime | date):
        return format_date(cell)
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        if cell != cell or not 1 <= cell <= _MAX_SERIAL:
            return None
        return format_date(_EXCEL_EPOCH + timedelta(days=int(cell)))
    text = cell_text(cell)
    m = _DMY.fullmatch(text)
    if m:
        return _real_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = _YMD.fullmatch(text)
    if m:
        return _real_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


def cell_number(cell: Any) -> str | None:
    """Digits of a whole non-negative number: 12000.0 -> "12000", "1.500.000" -> "1500000".

    None when the cell is not such a number (fraction, negative, letters, a date).
    Thousands groups are accepted only when every group has three digits with one separator.
    """
    if isinstance(cell, bool) or isinstance(cell, datetime | date):
        return None
    if isinstance(cell, float):
        if cell != cell or cell < 0 or not cell.is_integer():
            return None
        return str(int(cell))
    if isinstance(cell, int):
        return str(cell) if cell >= 0 else None
    text = cell_text(cell)
    if _DIGITS.fullmatch(text):
        return text
    m = _FLOAT_ZERO.fullmatch(text)
    if m:
        return m.group(1)
    if _GROUPED.fullmatch(text):
        return re.sub(r"\D", "", text)
    return None


def is_url(text: str) -> bool:
    """http(s) URL with a host and no spaces."""
    return bool(_URL.fullmatch(text))


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (export side)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return NEUTRALISE_MARK + value
    return value


def _ascii_table() -> dict[int, str]:
    """Per-character results of `to_ascii` for Latin, Vietnamese and punctuation ranges."""
    ranges = (range(0x80, 0x250), range(0x300, 0x370), range(0x1E00, 0x1F00), range(0x2000, 0x2070))
    return {cp: to_ascii(chr(cp)) for r in ranges for cp in r}


_ASCII = _ascii_table()


def sms_ascii(text: str) -> str:
    """`esms.sms_templates.to_ascii` (the one transliteration rule), ~3x faster on Vietnamese.

    The table is derived from `to_ascii` itself, character by character (it works per
    character); text with characters outside the table goes through `to_ascii` directly.
    """
    if text.isascii():
        return text
    out = text.translate(_ASCII)
    return out if out.isascii() else to_ascii(text)
