"""Settings of the campaign page, read once from the environment when the app is created."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from zns.recipients import Limits

MULTIPART_SLACK = 1 << 20  # form fields and boundaries around the file in an upload request


def _int_env(name: str, default: int) -> int:
    """An integer setting; a malformed value falls back to the default rather than crash the server."""
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() else default


@dataclass(frozen=True, slots=True)
class WebSettings:
    """What the page needs beyond the data home: the access token, the signing key and the limits."""

    token: str | None = None
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    limits: Limits = field(default_factory=Limits)
    catalog_ttl: float = 300.0
    preview_rows: int = 3
    error_rows_shown: int = 100

    @classmethod
    def from_env(cls) -> WebSettings:
        """ZNS_WEB_TOKEN, ZNS_WEB_SECRET, ZNS_WEB_MAX_BYTES, ZNS_WEB_MAX_ROWS, ZNS_WEB_CATALOG_TTL."""
        base = Limits()
        secret = os.environ.get("ZNS_WEB_SECRET", "").strip()
        return cls(
            token=os.environ.get("ZNS_WEB_TOKEN", "").strip() or None,
            secret=secret.encode() if secret else secrets.token_bytes(32),
            limits=Limits(
                max_bytes=_int_env("ZNS_WEB_MAX_BYTES", base.max_bytes),
                max_rows=_int_env("ZNS_WEB_MAX_ROWS", base.max_rows),
            ),
            catalog_ttl=float(_int_env("ZNS_WEB_CATALOG_TTL", 300)),
        )
