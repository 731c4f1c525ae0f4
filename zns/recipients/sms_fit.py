"""The one rule for a fallback SMS text: ASCII values within their {Pn,max}, a text that fits.

Validation (fast and slow paths) and the fallback's pre-send check both call it, so a row the
validation accepts is a row whose SMS goes out, and vice versa.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from esms.sms_templates import CSKH_PART_LIMITS, SmsTemplate, is_ascii_text, sms_parts
from zns.recipients.cells import sms_ascii

MISSING = "SMS_MISSING_PARAM"
TOO_LONG = "SMS_TOO_LONG"
SINGLE_PART = CSKH_PART_LIMITS[0]
MISMATCH = "SMS_TEMPLATE_MISMATCH"


def sms_value(raw: str) -> str:
    """A value as the SMS carries it: diacritics stripped (IsUnicode 0), outer spaces trimmed."""
    return (raw if raw.isascii() else sms_ascii(raw)).strip()


def value_problem(value: str, max_length: int | None) -> str | None:
    if not value:
        return MISSING
    if max_length is not None and len(value) > max_length:
        return TOO_LONG
    return None


def text_problem(text: str, pattern: re.Pattern[str]) -> str | None:
    """Too long to send, not plain printable ASCII, or not the registered template's text."""
    if len(text) > SINGLE_PART and sms_parts(text) == 0:
        return TOO_LONG
    printable = text.isascii() and (text.isprintable() or is_ascii_text(text))  # fast path first
    if not printable or not pattern.fullmatch(text):
        return MISMATCH
    return None


def render_sms(template: SmsTemplate, values: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(text, None) when the rendered ASCII text fits the registered template, else (None, code)."""
    clean: dict[str, str] = {}
    for var in template.variables:
        value = sms_value(str(values.get(var.name, "")))
        problem = value_problem(value, var.max_length)
        if problem is not None:
            return None, problem
        clean[var.name] = value
    text = template.render(clean)
    problem = text_problem(text, template.pattern())
    return (None, problem) if problem else (text, None)
