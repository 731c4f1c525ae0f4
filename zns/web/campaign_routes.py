"""The campaign page's routes: the new-campaign form (upload, refresh, error rows, send), the
campaign list, a campaign's live page and its cancel, the report downloads.

The work is in page.py, check.py, submit.py, runs.py and zns/uploads.py; CSRF is checked for
every state-changing route by the app-wide `deps.csrf_protect`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from zns.home import reports_root
from zns.orchestration import runs
from zns.recipients import RecipientsFileError
from zns.uploads import UploadConfigError, store_upload
from zns.web.account import CatalogCache
from zns.web.campaigns import list_campaigns
from zns.web.check import error_workbook_bytes
from zns.web.deps import cache, csrf_for, form_fields, render, settings, templates
from zns.web.forms import Draft, FormError, new_submission, parse_form
from zns.web.page import build_state
from zns.web.settings import MULTIPART_SLACK, WebSettings
from zns.web.status import read_scheduled
from zns.web.status import status_context as read_status
from zns.web.submit import submit_campaign
from zns.web.wording import page_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HERE = Path(__file__).resolve().parent

router = APIRouter()
Settings = Annotated[WebSettings, Depends(settings)]
Cache = Annotated[CatalogCache, Depends(cache)]
Form = Annotated[dict[str, str], Depends(form_fields)]


def error(code: str, message: str, status: int = 400) -> JSONResponse:
    """One line for the page's scripts: the Vietnamese sentence and the stable code."""
    return JSONResponse({"error": {"code": code, "message": page_text(message)}}, status_code=status)


def _report_file(campaign_id: str, name: str) -> Path:
    """A file of the campaign's report folder; anything outside it (../, links) is refused."""
    root = reports_root().resolve()
    path = (root / campaign_id / name).resolve()
    if path.parent.parent != root or not path.is_file() or path.suffix != ".xlsx":
        raise HTTPException(status_code=404, detail="Không tìm thấy file báo cáo (report file not found)")
    return path


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")


@router.get("/reports/{campaign_id}/{name}")
def report(campaign_id: str, name: str) -> FileResponse:
    path = _report_file(campaign_id, name)
    return FileResponse(path, media_type=XLSX, filename=path.name)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    root = reports_root()
    folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                     reverse=True) if root.is_dir() else []
    reports = [(d.name, sorted(f.name for f in d.glob("*.xlsx"))) for d in folders[:200]]
    return render(request, "index.html", {"reports": reports})


@router.get("/campaigns/new", response_class=HTMLResponse)
async def new_campaign(request: Request, web: Settings, catalogs: Cache) -> HTMLResponse:
    state = await build_state(Draft(submission=new_submission()), catalogs, web, cost=False, fresh_blocks=True)
    return render(request, "new.html", {"state": state})


@router.post("/api/uploads")
async def upload(request: Request, web: Settings) -> JSONResponse:
    """Store a checked recipients file; refused files leave nothing behind."""
    if int(request.headers.get("content-length") or 0) > web.limits.max_bytes + MULTIPART_SLACK:
        return error("FILE_TOO_LARGE", f"File vượt giới hạn dung lượng: > {web.limits.max_bytes / 2**20:,.0f}"
                     " MB. Chia file thành nhiều file nhỏ hơn.")
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return error("BAD_SOURCE", "Chưa chọn file người nhận (.xlsx/.xls/.csv).")

    def chunks() -> Any:
        file.file.seek(0)
        return iter(lambda: file.file.read(1 << 20), b"")

    try:
        stored = await run_in_threadpool(store_upload, file.filename, chunks(), web.limits)
    except RecipientsFileError as exc:
        return error(exc.code, exc.message_vi)
    except UploadConfigError as exc:
        return error(exc.code, exc.message_vi, status=500)
    return JSONResponse({"upload_id": stored.upload_id, "name": Path(file.filename).name, "sheets": stored.sheets})


@router.post("/api/refresh", response_class=HTMLResponse)
async def refresh(request: Request, form: Form, web: Settings, catalogs: Cache) -> HTMLResponse:
    """The page's dynamic sections for the current form (on upload and on every change)."""
    state = await build_state(parse_form(form), catalogs, web)
    return templates.TemplateResponse(request, "dynamic.html", {"state": state})


@router.post("/campaigns/new/error-rows")
async def error_rows(form: Form, web: Settings, catalogs: Cache) -> Response:
    """The error-rows workbook of the current check (built on request, nothing stored)."""
    state = await build_state(parse_form(form), catalogs, web, cost=False)
    if state.check is None or not state.check.result.invalid:
        return error("NO_ERROR_ROWS", "Không có dòng lỗi để tải (hoặc chưa kiểm tra được file).")
    data = await run_in_threadpool(error_workbook_bytes, state.check.result)
    disposition = {"Content-Disposition": 'attachment; filename="error-rows.xlsx"'}
    return Response(data, media_type=XLSX, headers=disposition)


@router.post("/campaigns")
async def create_campaign(form: Form, web: Settings) -> JSONResponse:
    try:
        done = await submit_campaign(parse_form(form), web)
    except RecipientsFileError as exc:
        return error(exc.code, exc.message_vi)
    except (FormError, UploadConfigError) as exc:
        return error(exc.code, exc.message_vi)
    if done.run_id is None:
        return JSONResponse({"redirect": "/campaigns?schedule=" + quote(done.campaign_id)})
    return JSONResponse({"redirect": f"/campaigns/{quote(done.campaign_id)}?run={done.run_id}",
                         "campaign_id": done.campaign_id, "run_id": done.run_id})


@router.get("/campaigns", response_class=HTMLResponse)
async def campaigns(request: Request) -> HTMLResponse:
    items = await run_in_threadpool(list_campaigns)
    scheduled, problem = await run_in_threadpool(read_scheduled)
    return render(request, "campaigns.html", {"items": items, "schedule": request.query_params.get("schedule"),
                                              "scheduled": scheduled, "scheduled_problem": problem})


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign(request: Request, campaign_id: str) -> HTMLResponse:
    context = await run_in_threadpool(read_status, campaign_id, request.query_params.get("run"))
    return render(request, "campaign.html", context)


@router.get("/api/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign_status(request: Request, campaign_id: str) -> HTMLResponse:
    """The status fragment the live page polls (its forms carry the page's token)."""
    context = await run_in_threadpool(read_status, campaign_id, request.query_params.get("run"))
    return templates.TemplateResponse(request, "status.html", {**context, "csrf": csrf_for(request)})


@router.post("/campaigns/{campaign_id}/cancel")
async def cancel(campaign_id: str, form: Form) -> RedirectResponse:
    run_id = form.get("run", "")
    await run_in_threadpool(runs.cancel, run_id)
    if form.get("back") == "list":  # cancelled from "Danh sách chiến dịch"
        return RedirectResponse("/campaigns", status_code=303)
    return RedirectResponse(f"/campaigns/{quote(campaign_id)}?run={quote(run_id)}", status_code=303)
