"""Request reading and the ZNS param check (790): lenient field access, template value rules.

eSMS is a WCF service whose docs mix string and number scalars and vary field-name casing,
so the simulator lower-cases names once and turns every scalar into its string form.
ZNS values follow docs/esms-api.md §3.1: Limit for every type, type_number digits only and at most
12 of them, type_date a real dd/MM/yyyy date; type_cta_url must hold no whitespace (a choice).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from esms_sim.models import ParamType, ZnsTemplate

INVALID_REQUEST: dict[str, str] = {"error": "Invalid request"}
MAX_NUMBER_DIGITS = 12
_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_WHITESPACE = re.compile(r"\s")


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


def _valid_date(value: str) -> bool:
    m = _DATE.fullmatch(value)
    if not m:
        return False
    try:
        date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return False
    return True


def value_problem(name: str, kind: ParamType, value: str) -> str | None:
    """Why one non-empty value breaks its RequireType, or None."""
    if kind is ParamType.NUMBER and not (
        value.isascii() and value.isdigit() and len(value) <= MAX_NUMBER_DIGITS
    ):
        return f"{name} must be digits only, at most {MAX_NUMBER_DIGITS}"
    if kind is ParamType.DATE and not _valid_date(value):
        return f"{name} must be a date dd/MM/yyyy"
    if kind is ParamType.URL and _WHITESPACE.search(value):
        return f"{name} must be a URL without spaces"
    return None


class ParamChecker:
    """Pre-compiled 790 check of one template's positional Params (kept tiny for bulk speed)."""

    __slots__ = ("specs",)

    def __init__(self, template: ZnsTemplate) -> None:
        self.specs = [(p.name, p.type, p.max_length or 10_000, p.min_length,
                       p.required and not p.accept_null) for p in template.ordered_params()]

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
            if kind is not ParamType.TEXT:
                found = value_problem(name, kind, value)
                if found is not None:
                    return found
        return None
