"""What every route gets from FastAPI's dependency injection: the settings, the catalog cache,
the ledger, the rendered page with its CSRF token, and the CSRF check itself.

`csrf_protect` is an app-wide dependency (`create_app`): every POST, PUT, PATCH and DELETE route,
whichever router declares it, is refused before its body is used unless it carries the token.
Tests replace `ledger` or `settings` with `app.dependency_overrides`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from zns.ledger import Ledger
from zns.runtime import get_ledger
from zns.web.account import CatalogCache
from zns.web.security import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, check_csrf, csrf_token, new_csrf_cookie
from zns.web.settings import MULTIPART_SLACK, WebSettings
from zns.web.status import page_templates

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
templates = page_templates()


class BodyTooLarge(Exception):
    """A state-changing request whose body is over the limit and whose token is in that body: refused unread."""


def settings(request: Request) -> WebSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def cache(request: Request) -> CatalogCache:
    return request.app.state.cache  # type: ignore[no-any-return]


def ledger() -> Ledger:
    """The data home's ledger (`ZNS_LEDGER_URL`); overridden in tests."""
    return get_ledger()


async def csrf_protect(request: Request) -> None:
    """The X-CSRF-Token header, else the form's `csrf` field, must sign this browser's cookie."""
    if request.method in SAFE_METHODS:
        return
    web = settings(request)
    cookie = request.cookies.get(CSRF_COOKIE)
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        check_csrf(web.secret, cookie, header)
        return
    if int(request.headers.get("content-length") or 0) > web.limits.max_bytes + MULTIPART_SLACK:
        raise BodyTooLarge(web.limits.max_bytes)
    if not cookie:  # nothing can match: refuse without reading the body
        check_csrf(web.secret, None, None)
    form = await request.form()  # Starlette keeps it: the route's own request.form() reads the same
    check_csrf(web.secret, cookie, str(form.get(CSRF_FIELD, "")))


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (the token was checked by `csrf_protect`)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def csrf_for(request: Request) -> str:
    """The token for a fragment polled by a page that already set the cookie ('' without one)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    return csrf_token(settings(request).secret, cookie) if cookie else ""


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page with this browser's CSRF token (and its cookie, set on the first visit)."""
    cookie = request.cookies.get(CSRF_COOKIE) or new_csrf_cookie()
    response = templates.TemplateResponse(request, name, {**context, "csrf": csrf_token(settings(request).secret,
                                                                                       cookie)},
                                          status_code=status_code)
    if request.cookies.get(CSRF_COOKIE) != cookie:
        response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="strict")
    return response
