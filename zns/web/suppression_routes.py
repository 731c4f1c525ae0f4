"""`/suppressed`: the phones that refused an OA's ZNS (they get only the SMS fallback), and clearing them.

Its own router, included by `create_app` (the access token and the app-wide CSRF check cover it);
the rule and the data are `zns.campaign.suppression`'s, as for `zns suppressed` in the CLI.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from zns.campaign.suppression import Suppression, clear_suppressions, suppressions
from zns.ledger import Ledger
from zns.phones import PhoneError
from zns.web import deps

router = APIRouter()
LedgerDep = Annotated[Ledger, Depends(deps.ledger)]


def _listed(ledger: Ledger, oa_id: str) -> list[Suppression]:
    return sorted(suppressions(ledger, oa_id).values(), key=lambda s: s.at, reverse=True) if oa_id else []


@router.get("/suppressed", response_class=HTMLResponse)
async def suppressed(request: Request, ledger: LedgerDep) -> Response:
    """The list for the OA in `?oa=` (a text field when none is given)."""
    oa_id = request.query_params.get("oa", "").strip()
    items = await run_in_threadpool(_listed, ledger, oa_id)
    return deps.render(request, "suppressed.html", {"oa_id": oa_id, "items": items,
                                                    "cleared": request.query_params.get("cleared", "")})


@router.post("/suppressed/clear")
async def clear(request: Request, ledger: LedgerDep) -> Response:
    """Let the OA send ZNS to the ticked phones again (until they refuse again)."""
    form = await request.form()  # its token was checked by deps.csrf_protect
    oa_id = str(form.get("oa", "")).strip()
    try:
        phones = await run_in_threadpool(clear_suppressions, ledger, oa_id, [str(p) for p in form.getlist("phone")])
    except PhoneError as exc:
        return Response(f"Số điện thoại không hợp lệ (BAD_PHONE): {exc}", status_code=400,
                        media_type="text/plain; charset=utf-8")
    return RedirectResponse(f"/suppressed?oa={quote(oa_id)}&cleared={len(phones)}", status_code=303)
