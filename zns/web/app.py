"""FastAPI app of the product's web server (`zns up` serves it on 127.0.0.1:8700 by default).

It serves each campaign's workbooks from the data home so the Prefect UI's report links are
plain HTTP downloads (a browser refuses `file://` links), and the operator's campaign page:
upload or type recipients, map columns, check, preview, cost, then send / send at / daily.
Routes stay thin: the work is in zns/web/page.py, check.py, submit.py, runs.py and zns/uploads.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from zns.home import reports_root
from zns.recipients import RecipientsFileError
from zns.uploads import UploadConfigError, store_upload
from zns.web import approval_routes, reimport_routes, runs, suppression_routes, volume_routes
from zns.web.account import CatalogCache
from zns.web.campaigns import list_campaigns
from zns.web.check import error_workbook_bytes
from zns.web.forms import Draft, FormError, new_submission, parse_form
from zns.web.page import build_state
from zns.web.security import (
    AUTH_COOKIE,
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    CsrfError,
    auth_cookie_value,
    authorised,
    check_csrf,
    csrf_token,
    new_csrf_cookie,
)
from zns.web.settings import MULTIPART_SLACK, WebSettings
from zns.web.status import page_templates, read_scheduled
from zns.web.status import status_context as read_status
from zns.web.submit import submit_campaign
from zns.web.wording import page_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HERE = Path(__file__).resolve().parent


def _report_file(campaign_id: str, name: str) -> Path:
    """A file of the campaign's report folder; anything outside it (../, links) is refused."""
    root = reports_root().resolve()
    path = (root / campaign_id / name).resolve()
    if path.parent.parent != root or not path.is_file() or path.suffix != ".xlsx":
        raise HTTPException(status_code=404, detail="Không tìm thấy file báo cáo (report file not found)")
    return path


def _error(code: str, message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": page_text(message)}}, status_code=status)


def _file_error(exc: RecipientsFileError) -> JSONResponse:
    return _error(exc.code, exc.message_vi)


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings.from_env()
    app = FastAPI(title="ZNS campaigns", docs_url=None, redoc_url=None, openapi_url=None)
    cache = CatalogCache(settings.catalog_ttl)
    templates = page_templates()
    app.state.settings, app.state.cache = settings, cache
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(volume_routes.router)  # /volume and /volume.xlsx (báo cáo sản lượng)
    app.include_router(approval_routes.router)  # the campaign page's Duyệt / Từ chối (approval gate)
    app.include_router(suppression_routes.router)  # /suppressed: phones that refused the OA's ZNS
    app.include_router(reimport_routes.router)  # the campaign page's "Nhập lại các dòng đã sửa"

    @app.middleware("http")
    async def access_token(request: Request, call_next: Any) -> Response:
        """With ZNS_WEB_TOKEN set, everything but /health needs the token (bearer, basic or cookie)."""
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

    def page(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
        """A rendered page with this browser's CSRF token (and cookie, set on first visit)."""
        cookie = request.cookies.get(CSRF_COOKIE) or new_csrf_cookie()
        response = templates.TemplateResponse(request, name, {**context, "csrf": csrf_token(settings.secret, cookie)})
        if request.cookies.get(CSRF_COOKIE) != cookie:
            response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="strict")
        return response

    async def checked_form(request: Request) -> dict[str, str]:
        """The POSTed form, after its CSRF token (header or field) was verified."""
        cookie = request.cookies.get(CSRF_COOKIE)
        header = request.headers.get(CSRF_HEADER)
        if header is not None:
            check_csrf(settings.secret, cookie, header)
        form = await request.form()
        if header is None:
            check_csrf(settings.secret, cookie, str(form.get(CSRF_FIELD, "")))
        return {k: v for k, v in form.items() if isinstance(v, str)}

    @app.exception_handler(CsrfError)
    async def csrf_failed(request: Request, exc: CsrfError) -> JSONResponse:
        return _error("CSRF_FAILED", str(exc).split(": ", 1)[-1], status=403)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.get("/reports/{campaign_id}/{name}")
    def report(campaign_id: str, name: str) -> FileResponse:
        path = _report_file(campaign_id, name)
        return FileResponse(path, media_type=XLSX, filename=path.name)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        root = reports_root()
        folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                         reverse=True) if root.is_dir() else []
        reports = [(d.name, sorted(f.name for f in d.glob("*.xlsx"))) for d in folders[:200]]
        return page(request, "index.html", {"reports": reports})

    @app.get("/campaigns/new", response_class=HTMLResponse)
    async def new_campaign(request: Request) -> HTMLResponse:
        state = await build_state(Draft(submission=new_submission()), cache, settings, cost=False, fresh_blocks=True)
        return page(request, "new.html", {"state": state})

    @app.post("/api/uploads")
    async def upload(request: Request) -> JSONResponse:
        """Store a checked recipients file; refused files leave nothing behind."""
        declared = int(request.headers.get("content-length") or 0)
        if declared > settings.limits.max_bytes + MULTIPART_SLACK:
            cookie = request.cookies.get(CSRF_COOKIE)
            check_csrf(settings.secret, cookie, request.headers.get(CSRF_HEADER))
            return _error("FILE_TOO_LARGE", f"File vượt giới hạn dung lượng: > {settings.limits.max_bytes / 2**20:,.0f}"
                          " MB. Chia file thành nhiều file nhỏ hơn.")
        await checked_form(request)
        form = await request.form()
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            return _error("BAD_SOURCE", "Chưa chọn file người nhận (.xlsx/.xls/.csv).")

        def chunks() -> Any:
            file.file.seek(0)
            return iter(lambda: file.file.read(1 << 20), b"")

        try:
            stored = await run_in_threadpool(store_upload, file.filename, chunks(), settings.limits)
        except RecipientsFileError as exc:
            return _file_error(exc)
        except UploadConfigError as exc:
            return _error(exc.code, exc.message_vi, status=500)
        return JSONResponse({"upload_id": stored.upload_id, "name": Path(file.filename).name, "sheets": stored.sheets})

    @app.post("/api/refresh", response_class=HTMLResponse)
    async def refresh(request: Request) -> HTMLResponse:
        """The page's dynamic sections for the current form (on upload and on every change)."""
        draft = parse_form(await checked_form(request))
        state = await build_state(draft, cache, settings)
        return templates.TemplateResponse(request, "dynamic.html", {"state": state})

    @app.post("/campaigns/new/error-rows")
    async def error_rows(request: Request) -> Response:
        """The error-rows workbook of the current check (built on request, nothing stored)."""
        draft = parse_form(await checked_form(request))
        state = await build_state(draft, cache, settings, cost=False)
        if state.check is None or not state.check.result.invalid:
            return _error("NO_ERROR_ROWS", "Không có dòng lỗi để tải (hoặc chưa kiểm tra được file).")
        data = await run_in_threadpool(error_workbook_bytes, state.check.result)
        disposition = {"Content-Disposition": 'attachment; filename="error-rows.xlsx"'}
        return Response(data, media_type=XLSX, headers=disposition)

    @app.post("/campaigns")
    async def create_campaign(request: Request) -> JSONResponse:
        draft = parse_form(await checked_form(request))
        try:
            done = await submit_campaign(draft, settings)
        except RecipientsFileError as exc:
            return _file_error(exc)
        except (FormError, UploadConfigError) as exc:
            return _error(exc.code, exc.message_vi)
        if done.run_id is None:
            return JSONResponse({"redirect": "/campaigns?schedule=" + quote(done.campaign_id)})
        return JSONResponse({"redirect": f"/campaigns/{quote(done.campaign_id)}?run={done.run_id}",
                             "campaign_id": done.campaign_id, "run_id": done.run_id})

    @app.get("/campaigns", response_class=HTMLResponse)
    async def campaigns(request: Request) -> HTMLResponse:
        items = await run_in_threadpool(list_campaigns)
        scheduled, problem = await run_in_threadpool(read_scheduled)
        return page(request, "campaigns.html", {"items": items, "schedule": request.query_params.get("schedule"),
                                                "scheduled": scheduled, "scheduled_problem": problem})

    async def status_context(campaign_id: str, run_id: str | None) -> dict[str, Any]:
        return await run_in_threadpool(read_status, campaign_id, run_id)

    @app.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
    async def campaign(request: Request, campaign_id: str) -> HTMLResponse:
        context = await status_context(campaign_id, request.query_params.get("run"))
        return page(request, "campaign.html", context)

    @app.get("/api/campaigns/{campaign_id}", response_class=HTMLResponse)
    async def campaign_status(request: Request, campaign_id: str) -> HTMLResponse:
        context = await status_context(campaign_id, request.query_params.get("run"))
        cookie = request.cookies.get(CSRF_COOKIE) or ""  # the page that polls set it
        return templates.TemplateResponse(request, "status.html", {**context,
                                                                   "csrf": csrf_token(settings.secret, cookie)})

    @app.post("/campaigns/{campaign_id}/cancel")
    async def cancel(request: Request, campaign_id: str) -> RedirectResponse:
        form = await checked_form(request)
        run_id = form.get("run", "")
        await run_in_threadpool(runs.cancel, run_id)
        if form.get("back") == "list":  # cancelled from "Danh sách chiến dịch"
            return RedirectResponse("/campaigns", status_code=303)
        return RedirectResponse(f"/campaigns/{quote(campaign_id)}?run={quote(run_id)}", status_code=303)

    return app


app = create_app()
