"""Request reading and validation rules: lenient field access, phones (108), ZNS params (790).

eSMS is a WCF service whose docs mix string and number scalars and vary field-name casing,
so the simulator lower-cases names once and turns every scalar into its string form.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from esms.codes import esms_code
from esms.models import ParamType, ZnsTemplate
from zns.phones import is_valid_mobile

# Texts the vendor docs show verbatim; other codes use the English meaning from esms/codes.py.
DOC_MESSAGES: dict[str, str] = {
    "101": "Authorize Failed",
    "104": "Brand name code is not exist",
    "124": "Request exist 1",
    "146": "Sai template Brandname CSKH",
    "687": "Each request has at most 500 items",
    "789": "TemplateId is not config",
}
INVALID_REQUEST: dict[str, str] = {"error": "Invalid request"}
_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")


def message(code: str) -> str:
    """ErrorMessage for a code: the documented text when there is one, else the code table's."""
    return DOC_MESSAGES.get(code) or esms_code(code).en


def lower_keys(data: dict[str, Any]) -> dict[str, Any]:
    """Field names are matched case-insensitively (OAID / OAId / oaid all work)."""
    return {k.lower(): v for k, v in data.items()}


def text(value: Any) -> str:
    """String form of a scalar sent as a string or as a bare number ("2", 2, 2.0 -> "2")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def field(data: dict[str, Any], *names: str) -> str:
    """First present field among spelling variants (e.g. sandbox / issandbox), as text."""
    for name in names:
        if name in data:
            return text(data[name])
    return ""


def canonical_phone(raw: str) -> str | None:
    """The 0xxxxxxxxx form the gateway stores, or None for a 108; 84xxxxxxxxx is converted."""
    phone = raw
    if phone.startswith("+84"):
        phone = phone[1:]
    if len(phone) == 11 and phone.startswith("84"):
        phone = "0" + phone[2:]
    return phone if is_valid_mobile(phone) else None


def bad_phone_message(raw: str) -> str:
    return f"The phone number {raw} is not valid."


def _valid_date(value: str) -> bool:
    m = _DATE.fullmatch(value)
    if not m:
        return False
    try:
        date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return False
    return True


class ParamChecker:
    """Pre-compiled 790 check of one template's positional Params (kept tiny for bulk speed)."""

    __slots__ = ("specs",)

    def __init__(self, template: ZnsTemplate) -> None:
        ordered = sorted(template.params, key=lambda p: p.order)
        self.specs = [(p.name, p.type, p.max_length or 10_000, p.min_length,
                       p.required and not p.accept_null) for p in ordered]

    def problem(self, params: Any) -> str | None:
        """Why the values do not fit the template, or None when they do."""
        if not isinstance(params, list):
            return "Params must be a list"
        if len(params) != len(self.specs):
            return f"expected {len(self.specs)} params, got {len(params)}"
        for (name, kind, max_len, min_len, required), raw in zip(self.specs, params, strict=True):
            value = text(raw)
            if not value:
                if required:
                    return f"{name} is required"
                continue
            if len(value) > max_len or len(value) < min_len:
                return f"{name} length must be {min_len}..{max_len}"
            if kind is ParamType.NUMBER and not (
                value.isascii() and value.isdigit() and len(value) <= 12
            ):
                return f"{name} must be digits only, at most 12"
            if kind is ParamType.DATE and not _valid_date(value):
                return f"{name} must be a date dd/MM/yyyy"
        return None
