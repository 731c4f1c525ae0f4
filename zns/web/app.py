"""FastAPI app of the product's web server (`zns up` serves it on 127.0.0.1:8700 by default).

It serves each campaign's workbooks from the data home so the Prefect UI's report links are
plain HTTP downloads (a browser refuses `file://` links), and the operator's campaign page.
Every route lives in a router; the app adds the settings, the access token, the app-wide CSRF
check (`deps.csrf_protect`) and the one-line error pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from zns.web import approval_routes, campaign_routes, reimport_routes, suppression_routes, volume_routes
from zns.web.account import CatalogCache
from zns.web.deps import BodyTooLarge, csrf_protect
from zns.web.security import AUTH_COOKIE, CsrfError, auth_cookie_value, authorised
from zns.web.settings import WebSettings

HERE = Path(__file__).resolve().parent
ROUTERS = (campaign_routes, volume_routes, approval_routes, suppression_routes, reimport_routes)


def _access_token(settings: WebSettings) -> Any:
    """With ZNS_WEB_TOKEN set, everything but /health needs the token (bearer, basic or cookie)."""

    async def middleware(request: Request, call_next: Any) -> Response:
        token = settings.token
        if token is None or request.url.path == "/health":
            return await call_next(request)
        if request.query_params.get("token") == token:
            response: Response = RedirectResponse(request.url.path, status_code=303)
            response.set_cookie(AUTH_COOKIE, auth_cookie_value(settings.secret, token), httponly=True,
                                samesite="strict")
            return response
        if not authorised(request, token, settings.secret):
            return Response("Cần mã truy cập (ZNS_WEB_TOKEN) — access token required (UNAUTHORIZED)",
                            status_code=401, headers={"WWW-Authenticate": 'Basic realm="zns"'},
                            media_type="text/plain; charset=utf-8")
        return await call_next(request)

    return middleware


async def _csrf_failed(request: Request, exc: Exception) -> JSONResponse:
    return campaign_routes.error("CSRF_FAILED", str(exc).split(": ", 1)[-1], status=403)


async def _too_large(request: Request, exc: Exception) -> JSONResponse:
    limit = request.app.state.settings.limits.max_bytes
    return campaign_routes.error("FILE_TOO_LARGE", f"File vượt giới hạn dung lượng: > {limit / 2**20:,.0f} MB. "
                                 "Chia file thành nhiều file nhỏ hơn.", status=413)


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings.from_env()
    app = FastAPI(title="ZNS campaigns", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(csrf_protect)])  # every state-changing route, whatever its router
    app.state.settings, app.state.cache = settings, CatalogCache(settings.catalog_ttl)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in ROUTERS:
        app.include_router(module.router)
    app.middleware("http")(_access_token(settings))
    app.add_exception_handler(CsrfError, _csrf_failed)
    app.add_exception_handler(BodyTooLarge, _too_large)
    return app


app = create_app()
