"""How a choice reads in a dropdown: "readable name (id)". The Prefect form shows an enum's value as
its label, so the value carries the name; the product keeps only the id."""

from __future__ import annotations

import re

_TRAILING_ID = re.compile(r"\(([^()\s]+)\)\s*$")


def choice_label(name: str, *ids: str) -> str:
    """The dropdown text of one OA, template or SMS template (a CSKH content has one id per telco)."""
    name, ident = " ".join(name.split()), "/".join(ids)
    return f"{name} ({ident})" if name and name != ident else ident


def choice_ids(value: str) -> list[str]:
    """Every id a choice stands for; a bare id is itself."""
    match = _TRAILING_ID.search(value)
    return match.group(1).split("/") if match else [value.strip()]


def choice_value(value: object) -> object:
    """The id of a dropdown choice; a bare id (a SPEC file, the CLI) passes through unchanged."""
    return choice_ids(value)[0] if isinstance(value, str) else value
