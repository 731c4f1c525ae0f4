"""CSRF (signed double-submit token) and the optional access token (ZNS_WEB_TOKEN).

CSRF: the browser holds a random value in an HttpOnly, SameSite=Strict cookie; every POST must
carry HMAC(secret, that value) in the `csrf` field or the X-CSRF-Token header. Another site can
neither read the cookie nor compute the signature, so it cannot forge a POST.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from fastapi import Request

CSRF_COOKIE = "zns_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
AUTH_COOKIE = "zns_auth"


class CsrfError(PermissionError):
    """A POST without a valid CSRF token: refused before anything is read or stored."""


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(secret: bytes, cookie: str) -> str:
    """The value the page embeds in its forms for this browser's cookie."""
    return hmac.new(secret, b"csrf|" + cookie.encode(), hashlib.sha256).hexdigest()


def check_csrf(secret: bytes, cookie: str | None, presented: str | None) -> None:
    """Raise CsrfError unless `presented` is the signature of the browser's own cookie."""
    if not cookie or not presented or not hmac.compare_digest(csrf_token(secret, cookie), presented):
        raise CsrfError("CSRF_FAILED: phiên làm việc hết hạn hoặc yêu cầu không hợp lệ; tải lại trang rồi thử lại")


def auth_cookie_value(secret: bytes, token: str) -> str:
    """What the auth cookie holds once the token was presented (not the token itself)."""
    return hmac.new(secret, b"auth|" + token.encode(), hashlib.sha256).hexdigest()


def _basic_password(header: str) -> str | None:
    try:
        decoded = base64.b64decode(header.split(" ", 1)[1], validate=True).decode()
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    return decoded.split(":", 1)[1] if ":" in decoded else None


def authorised(request: Request, token: str, secret: bytes) -> bool:
    """Bearer token, basic auth (any user, the token as password) or the cookie set from ?token=."""
    header = request.headers.get("authorization", "")
    presented: str | None = None
    if header.lower().startswith("bearer "):
        presented = header[7:].strip()
    elif header.lower().startswith("basic "):
        presented = _basic_password(header)
    if presented is not None and hmac.compare_digest(presented.encode(), token.encode()):
        return True
    cookie = request.cookies.get(AUTH_COOKIE)
    return bool(cookie) and hmac.compare_digest(cookie, auth_cookie_value(secret, token))
