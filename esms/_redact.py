"""Keep ApiKey/SecretKey and full phone numbers out of every log line, whoever logs it.

httpx logs request URLs (GET endpoints carry the keys in the path) and any library may log a
phone number; operators' reports and workbooks keep full numbers, logs show `0912***678`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus

_secrets: set[str] = set()
_ordered: tuple[str, ...] = ()  # longest first, so a secret inside another is not half-masked
_lock = threading.Lock()
MASK = "***"

# Loggers whose records are scrubbed, with every logger below them (httpcore.http11, esms.client,
# zns.*, prefect.flow_runs ...). sqlalchemy: its echo logs bound parameters, phones included.
NAMESPACES = ("httpx", "httpcore", "esms", "zns", "flows", "prefect", "sqlalchemy")

# Vietnamese mobile numbers as they appear in text: 0xxxxxxxxx, 84xxxxxxxxx, +84 / %2B84 /
# 0084 before it. Not when glued to letters or digits (a %XX escape before it is fine), so hex
# SMSIDs, base32 RequestIds, UUIDs and long numeric ids (a 19-digit OA id) are left alone.
_PHONE = re.compile(
    r"(?:(?<![0-9A-Za-z])|(?<=%[0-9A-Fa-f]{2}))"
    r"((?:(?:\+|%2[Bb]|00)?84|0)[35789][0-9]{2})[0-9]{3}([0-9]{3})(?![0-9A-Za-z])"
)

_DIGIT_RUN = re.compile(r"[0-9]{9}")


def redact(text: str) -> str:
    """`text` with every registered secret (and its URL-encoded forms) replaced by `***`."""
    for secret in _ordered:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def mask_phones(text: str) -> str:
    """`text` with every mobile number shortened to its first and last digits: 0912***678."""
    if not _DIGIT_RUN.search(text):  # most lines: a C-speed scan instead of the full pattern
        return text
    return _PHONE.sub(lambda m: f"{m.group(1)}{MASK}{m.group(2)}", text)


def scrub(text: str) -> str:
    """Secrets masked first (a key may contain digits), then phone numbers."""
    return mask_phones(redact(text))


_SCRUBBED = "_esms_scrubbed"


def scrub_record(record: logging.LogRecord) -> None:
    """Rewrite a record's message (and its formatted traceback) once, when anything changes."""
    if record.__dict__.get(_SCRUBBED):
        return
    record.__dict__[_SCRUBBED] = True
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken format string is the handler's to report
        return
    cleaned = scrub(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        cleaned = scrub(text)
        if cleaned != text:
            record.exc_text = cleaned
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)


class RedactSecrets(logging.Filter):
    """Rewrites a record with every registered secret masked and phone numbers shortened."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


_FILTER = RedactSecrets()
_factory_installed = False


def _in_namespace(name: str) -> bool:
    return any(name == ns or name.startswith(ns + ".") for ns in NAMESPACES)


def _install_factory() -> None:
    """Scrub records of NAMESPACES when they are made: a filter on a parent logger never sees
    records of its children, and handlers added later (pytest, Prefect's dictConfig) have none."""
    global _factory_installed
    if _factory_installed:
        return
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _in_namespace(record.name):
            scrub_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def install() -> None:
    """Attach the filter to the loggers of NAMESPACES, their handlers and the root handlers."""
    with _lock:
        _install_factory()
        loggers = [logging.getLogger(ns) for ns in NAMESPACES]
        loggers += [
            lg for name, lg in list(logging.Logger.manager.loggerDict.items())
            if isinstance(lg, logging.Logger) and _in_namespace(name)
        ]
        for logger in loggers:
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
        for logger in [*loggers, logging.getLogger()]:
            for handler in logger.handlers:
                if _FILTER not in handler.filters:
                    handler.addFilter(_FILTER)


def register_secret(value: str) -> None:
    """Remember a secret (and how it looks URL-encoded) and make sure the loggers mask it."""
    global _ordered
    if len(value) < 4:
        return
    with _lock:
        _secrets.update({value, quote(value, safe=""), quote_plus(value)})
        _ordered = tuple(sorted(_secrets, key=len, reverse=True))
    install()


install()
