"""`/suppressed`: the phones that refused an OA's ZNS (they get only the SMS fallback), and clearing them.

Its own router, included by `create_app` (the access-token middleware covers it); the rule and
the data are `zns.campaign.suppression`'s, as for `zns suppressed` in the CLI.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from zns.campaign.suppression import Suppression, suppressions
from zns.phones import PhoneError, normalize_phone
from zns.runtime import get_ledger
from zns.web.security import CSRF_COOKIE, check_csrf, csrf_token, new_csrf_cookie
from zns.web.status import page_templates

HERE = Path(__file__).resolve().parent
router = APIRouter()
templates = page_templates()


def _listed(oa_id: str) -> list[Suppression]:
    return sorted(suppressions(get_ledger(), oa_id).values(), key=lambda s: s.at, reverse=True) if oa_id else []


@router.get("/suppressed", response_class=HTMLResponse)
async def suppressed(request: Request) -> Response:
    """The list for the OA in `?oa=` (a text field when none is given)."""
    oa_id = request.query_params.get("oa", "").strip()
    cookie = request.cookies.get(CSRF_COOKIE) or new_csrf_cookie()
    items = await run_in_threadpool(_listed, oa_id)
    context = {"oa_id": oa_id, "items": items, "cleared": request.query_params.get("cleared", ""),
               "csrf": csrf_token(request.app.state.settings.secret, cookie)}
    response = templates.TemplateResponse(request, "suppressed.html", context)
    if request.cookies.get(CSRF_COOKIE) != cookie:
        response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="strict")
    return response


@router.post("/suppressed/clear")
async def clear(request: Request) -> Response:
    """Let the OA send ZNS to the ticked phones again (until they refuse again)."""
    form = await request.form()
    check_csrf(request.app.state.settings.secret, request.cookies.get(CSRF_COOKIE), str(form.get("csrf", "")))
    oa_id = str(form.get("oa", "")).strip()
    try:
        phones = [normalize_phone(str(p)) for p in form.getlist("phone")]
    except PhoneError as exc:
        return Response(f"Số điện thoại không hợp lệ (BAD_PHONE): {exc}", status_code=400,
                        media_type="text/plain; charset=utf-8")
    if oa_id and phones:
        await run_in_threadpool(get_ledger().clear_suppressions, oa_id, phones)
    return RedirectResponse(f"/suppressed?oa={quote(oa_id)}&cleared={len(phones)}", status_code=303)
