"""The campaign page's "Nhập lại các dòng đã sửa": the corrected error-rows workbook, sent in the same campaign.

Its own router, included by `create_app` (the access-token middleware and the CSRF error handler
cover it). It does what `zns reimport CAMPAIGN_ID FILE` does: `reimport_spec` on the stored upload,
then, like "send now" (`zns/web/submit.py`), a flow run of the `zns-campaign` deployment recorded in
`runs.jsonl`. A refusal re-renders the campaign page with one line (English code, Vietnamese text).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from esms import EsmsError
from zns.accounts import AccountError
from zns.campaign.reimport import ROW_COLUMN
from zns.campaign.reimport_spec import reimport_spec
from zns.campaign.templates import load_templates
from zns.orchestration import runs
from zns.orchestration.deployments import DeployError, schedule_campaign
from zns.recipients import RecipientsFileError
from zns.runtime import get_ledger
from zns.spec import CampaignSpec
from zns.uploads import UploadConfigError, store_upload
from zns.web.account import resolve_account, with_client
from zns.web.check import read_columns, run_check
from zns.web.deps import render
from zns.web.runlog import record_run
from zns.web.settings import WebSettings
from zns.web.status import status_context

AFTER_FIELD = "after_run"  # the run the page showed when the form was rendered: part of the idempotency key

router = APIRouter()


class ReimportError(Exception):
    """Why a re-import was refused: a stable code and one Vietnamese line for the page."""

    def __init__(self, code: str, message_vi: str) -> None:
        self.code, self.message_vi = code, " ".join(message_vi.split())
        super().__init__(f"{code}: {self.message_vi}")


def reimport_key(campaign_id: str, after_run: str, spec: CampaignSpec) -> str:
    """One run per submitted form: same campaign, same file, same run shown on the page → same key."""
    raw = f"{campaign_id}|{after_run}|{spec.fingerprint()}"
    return "zns-reimport-" + hashlib.sha256(raw.encode()).hexdigest()[:24]


def _require_campaign(campaign_id: str) -> None:
    """An unknown campaign is refused before its file is stored."""
    if get_ledger().campaign(campaign_id) is None:
        raise ReimportError("UNKNOWN_CAMPAIGN", f"Không có chiến dịch {campaign_id} trong sổ gửi; "
                            "kiểm tra mã chiến dịch.")


def _spec(campaign_id: str, source: str) -> CampaignSpec:
    """The campaign's stored SPEC on the corrected file; ValueError becomes one coded line."""
    _require_campaign(campaign_id)
    try:
        return reimport_spec(get_ledger(), campaign_id, source)
    except ValueError as exc:
        raise ReimportError("STORED_SPEC_UNUSABLE", f"Không dùng lại được cấu hình đã lưu của chiến dịch "
                            f"({' '.join(str(exc).split())[:300]}).") from None


def _require_row_column(spec: CampaignSpec, settings: WebSettings) -> None:
    """Without "Dòng gốc" every row would be refused in the run: refuse the file here instead."""
    if ROW_COLUMN not in read_columns(spec, settings.limits):
        raise ReimportError("NO_ORIGINAL_ROW_COLUMN", f"File không có cột '{ROW_COLUMN}'. Tải file Dòng lỗi "
                            "(error-rows.xlsx) của chiến dịch, sửa các dòng rồi nhập lại file đó.")


async def _check(spec: CampaignSpec, settings: WebSettings) -> None:
    """Refuse what the run would refuse: the templates and the file read as the worker will read it."""
    await run_in_threadpool(_require_row_column, spec, settings)
    try:
        account = await resolve_account(spec.account)
        template, sms_template = await with_client(account, lambda client: load_templates(client, spec))
    except (AccountError, EsmsError) as exc:
        raise ReimportError("CONFIG_ERROR", " ".join(str(exc).split())[:300]) from None
    await run_in_threadpool(run_check, spec, template, sms_template, limits=settings.limits)


def _submit(spec: CampaignSpec, key: str) -> tuple[str, str]:
    """(flow run id, campaign id) of the run starting now; the same key finds the same run."""
    with runs.prefect_api():
        flow_run = schedule_campaign(spec, datetime.now(UTC).replace(microsecond=0), key=key)
    sent = (flow_run.parameters or {}).get("spec") or {}
    return str(flow_run.id), str(sent.get("campaign_id") or spec.campaign_id)


async def _store(file: Any, settings: WebSettings) -> str:
    """The upload checked and stored as on /api/uploads; its `source` for the SPEC."""
    if not isinstance(file, UploadFile) or not file.filename:
        raise ReimportError("BAD_SOURCE", "Chưa chọn file dòng lỗi đã sửa (.xlsx/.xls/.csv).")

    def chunks() -> Iterator[bytes]:
        file.file.seek(0)
        return iter(lambda: file.file.read(1 << 20), b"")

    try:
        stored = await run_in_threadpool(store_upload, file.filename, chunks(), settings.limits)
    except (RecipientsFileError, UploadConfigError) as exc:
        raise ReimportError(exc.code, exc.message_vi) from None
    return stored.source


async def start_reimport(campaign_id: str, form: Any, settings: WebSettings) -> tuple[str, str]:
    """Store, build the SPEC, check it, start the run and record it; ReimportError when refused."""
    await run_in_threadpool(_require_campaign, campaign_id)
    source = await _store(form.get("file"), settings)
    spec = await run_in_threadpool(_spec, campaign_id, source)
    try:
        await _check(spec, settings)
    except RecipientsFileError as exc:
        raise ReimportError(exc.code, exc.message_vi) from None
    key = reimport_key(campaign_id, str(form.get(AFTER_FIELD, "")), spec)
    try:
        run_id, run_campaign = await run_in_threadpool(_submit, spec, key)
    except DeployError as exc:
        raise ReimportError("DEPLOY_ERROR", str(exc)) from None
    await run_in_threadpool(record_run, run_campaign, run_id)  # the campaign page finds the run by this
    return run_campaign, run_id


async def _refused(request: Request, campaign_id: str, error: ReimportError) -> HTMLResponse:
    """The campaign page again with the refusal on one line (400), nothing started."""
    context = await run_in_threadpool(status_context, campaign_id, None)
    return render(request, "campaign.html", {**context, "reimport_error": error}, status_code=400)


@router.post("/campaigns/{campaign_id}/reimport")
async def reimport(request: Request, campaign_id: str) -> Response:
    """"Nhập lại các dòng đã sửa": CSRF-checked, then the run of the corrected rows; back to the campaign page."""
    settings: WebSettings = request.app.state.settings
    form = await request.form()  # its token (and size: over the limit it is refused unread) by deps.csrf_protect
    try:
        run_campaign, run_id = await start_reimport(campaign_id, form, settings)
    except ReimportError as exc:
        return await _refused(request, campaign_id, exc)
    finally:
        await form.close()
    return RedirectResponse(f"/campaigns/{quote(run_campaign)}?run={quote(run_id)}&reimported=1", status_code=303)
