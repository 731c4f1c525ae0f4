"""Lenient parsing of delivery callbacks and their `error_info` field (docs/esms-api.md §4.5)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import unquote_plus

from esms.models import CallbackEvent

# `(?<!_)`: a match starts at the first underscore of a run, else a long run of underscores
# costs quadratic time (error_info arrives from the network).
_DATE_SUFFIX = re.compile(r"(?<!_)_{2,}\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}(:\d{2})?\s*$")
_JSON_ERRORS = (ValueError, RecursionError)  # JSONDecodeError, ints over 4300 digits, deep nesting


def _code(value: object) -> int | None:
    """An error code as int; None for what is no sane integer (inf, 5000 digits, a list...)."""
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None


def _unwrap(text: str) -> str:
    """One layer of wrapping quotes: a JSON string literal, or quotes around (escaped) JSON."""
    if text[0] == '"':
        try:
            inner = json.loads(text)
        except _JSON_ERRORS:
            inner = None
        if isinstance(inner, str):
            return inner.strip()
    inner = text[1:-1].strip()
    try:
        json.loads(inner)
    except _JSON_ERRORS:
        return inner.replace('\\"', '"').strip()
    return inner


def parse_error_info(raw: str | None) -> tuple[int | None, str | None]:
    """Return (Zalo error code, message) from error_info as eSMS sends it, or (None, None).

    Handles single or double URL-encoding, wrapping quotes, a `____dd/MM/yyyy HH:mm:ss` suffix
    and bare codes such as "1001" or "-118". Never raises: the field comes from the network.
    """
    if raw is None:
        return None, None
    text = raw.strip()
    for _ in range(3):
        if "%" not in text:
            break
        text = unquote_plus(text)
    text = _DATE_SUFFIX.sub("", text).strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = _unwrap(text)
    if not text:
        return None, None
    if re.fullmatch(r"-?\d+", text):
        code = _code(text)
        return (code, None) if code is not None else (None, text)
    try:
        data = json.loads(text)
    except _JSON_ERRORS:
        match = re.search(r'"?error"?\s*:\s*(-?\d+)', text)
        code = _code(match.group(1)) if match else None
        return (code, None) if code is not None else (None, text)
    if isinstance(data, str):
        return parse_error_info(data)
    if isinstance(data, Mapping):
        code = data.get("error")
        message = data.get("message")
        return (None if code is None else _code(code)), (
            None if message is None else message if isinstance(message, str) else str(message))
    return None, None


def _int(value: object, default: int = 0) -> int:
    try:
        return int(float(str(value)))
    except (TypeError, ValueError, OverflowError):
        return default


def parse_callback(query: Mapping[str, str]) -> CallbackEvent:
    """Turn the GET query parameters of a callback into a typed event (keys case-insensitive)."""
    q = {k.lower(): v for k, v in query.items()}
    code, message = parse_error_info(q.get("error_info"))
    try:
        price = float(q.get("totalprice") or 0)
    except ValueError:
        price = 0.0
    return CallbackEvent(
        sms_id=q.get("smsid", ""),
        send_status=_int(q.get("sendstatus")),
        send_success=_int(q.get("sendsuccess")),
        send_failed=_int(q.get("sendfailed")),
        type_id=_int(q.get("typeid")),
        phone=q.get("phonenumber", ""),
        request_id=q.get("requestid") or None,
        total_price=price,
        zalo_error=code,
        zalo_message=message,
        zalo_msg_id=q.get("partnerids") or None,
    )
