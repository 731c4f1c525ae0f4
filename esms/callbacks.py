"""Lenient parsing of delivery callbacks and their `error_info` field (esms-api.md §8, §12.4)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import unquote_plus

from esms.models import CallbackEvent

_DATE_SUFFIX = re.compile(r"_{2,}\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}(:\d{2})?\s*$")


def parse_error_info(raw: str | None) -> tuple[int | None, str | None]:
    """Return (Zalo error code, message) from error_info as eSMS sends it, or (None, None).

    Handles single or double URL-encoding, wrapping quotes, a `____dd/MM/yyyy HH:mm:ss` suffix
    and bare codes such as "1001" or "-118".
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
        text = text[1:-1].replace('\\"', '"').strip()
    if not text:
        return None, None
    if re.fullmatch(r"-?\d+", text):
        return int(text), None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        match = re.search(r'"?error"?\s*:\s*(-?\d+)', text)
        return (int(match.group(1)), None) if match else (None, text)
    if isinstance(data, str):
        return parse_error_info(data)
    if isinstance(data, Mapping):
        code = data.get("error")
        try:
            return (int(code) if code is not None else None), data.get("message")
        except (TypeError, ValueError):
            return None, data.get("message")
    return None, None


def _int(value: object, default: int = 0) -> int:
    try:
        return int(float(str(value)))
    except (TypeError, ValueError):
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
