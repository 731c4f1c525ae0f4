"""The campaign page's approval gate: the "Chờ duyệt" section and its "Duyệt" / "Từ chối" buttons.

A router of its own, included by `create_app`, so the access-token middleware and the CSRF error
handler cover it like every other route. The summary and the decision come from the run's Prefect
inputs (`runs.read_approval`); a button resumes the paused run with Prefect's client
(`runs.resume_approval`), exactly as the resume form of the Prefect UI does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from zns.orchestration import runs
from zns.web.deps import csrf_for, templates

HERE = Path(__file__).resolve().parent
PROBLEMS = {  # ?approval_error= codes the POST redirects with → the page's one line
    "NOT_PAUSED": "Lượt chạy không còn chờ duyệt (đã duyệt, từ chối hoặc đã dừng).",
    "APPROVAL_TIMEOUT": "Đã hết hạn duyệt; không gửi tin nào.",
    "RESUME_REJECTED": "Prefect không nhận lệnh duyệt; tải lại trang rồi thử lại.",
    "RUN_UNAVAILABLE": "Không hỏi được Prefect về lượt chạy này.",
}

router = APIRouter()


def _read(run_id: str) -> tuple[runs.ApprovalView | None, bool, str | None]:
    """(approval view, run final, problem code): Prefect unreachable is one line, not an error page."""
    try:
        view = runs.read_approval(run_id)
        run = runs.read_run(run_id)
    except Exception:  # noqa: BLE001 - no Prefect server, HTTP errors: the page still renders
        return None, False, "RUN_UNAVAILABLE"
    return view, bool(run is not None and run.final), None


@router.get("/api/campaigns/{campaign_id}/approval", response_class=HTMLResponse)
async def approval_section(request: Request, campaign_id: str) -> HTMLResponse:
    """The section the campaign page polls: the summary and buttons while the run waits for approval."""
    run_id = request.query_params.get("run", "")
    view, final, problem = await run_in_threadpool(_read, run_id) if run_id else (None, False, None)
    problem = problem or (request.query_params.get("approval_error") or None)
    context: dict[str, Any] = {
        "approval": view, "campaign_id": campaign_id, "run_id": run_id, "final": final,
        "problem": problem if problem in PROBLEMS else None, "problems": PROBLEMS,
        "csrf": csrf_for(request),
    }
    return templates.TemplateResponse(request, "approval.html", context)


@router.post("/campaigns/{campaign_id}/approval")
async def decide(request: Request, campaign_id: str) -> RedirectResponse:
    """"Duyệt" or "Từ chối" with the note: resumes the paused run with that input (CSRF-checked)."""
    form = await request.form()  # its token was checked by deps.csrf_protect
    run_id, decision, note = (str(form.get(k, "")) for k in ("run", "decision", "note"))
    target = f"/campaigns/{quote(campaign_id)}?run={quote(run_id)}"
    if decision not in ("approve", "reject"):
        return RedirectResponse(target, status_code=303)
    try:
        await run_in_threadpool(runs.resume_approval, run_id, decision == "approve", note)
    except runs.ApprovalError as exc:
        return RedirectResponse(f"{target}&approval_error={quote(exc.code)}", status_code=303)
    return RedirectResponse(target, status_code=303)
