"""Keep credentials out of the ledger: campaign parameters are stored without secrets."""

from __future__ import annotations

import re
from typing import Any

# Compared after lower-casing and dropping "_", "-" and spaces: api_key, ApiKey, SECRET-KEY...
SECRET_KEYS = frozenset({"apikey", "secretkey", "password", "accesstoken", "esmsapikey", "esmssecretkey"})
_STRIP = re.compile(r"[\s_\-]")


def is_secret_key(name: str) -> bool:
    return _STRIP.sub("", name).lower() in SECRET_KEYS


def strip_secrets(value: Any) -> Any:
    """Copy of `value` (JSON-like) without secret-named keys at any depth; secrets never stored."""
    if isinstance(value, dict):
        return {str(k): strip_secrets(v) for k, v in value.items() if not is_secret_key(str(k))}
    if isinstance(value, (list, tuple)):
        return [strip_secrets(v) for v in value]
    if hasattr(value, "get_secret_value"):  # pydantic SecretStr and friends
        return None
    if hasattr(value, "model_dump"):  # a pydantic parameters model
        return strip_secrets(value.model_dump(mode="json"))
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # dates, paths, decimals: readable, and always JSON-serialisable
