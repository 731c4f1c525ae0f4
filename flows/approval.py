"""The approval gate of the `zns-campaign` flow: pause with Prefect's input form before any send.

`await_approval` runs after preflight passed and before `send_at`. Below the SPEC's thresholds it
returns at once. Above them it publishes the summary (artifact `<campaign>-approval`), pauses the
run with `pause_flow_run(wait_for_input=ApprovalInput)` (the Prefect UI shows its resume form; the
campaign page resumes it with Prefect's client) and, when rejected or timed out, ends the campaign
with its report and ledger status before anything is sent. A blocking pause keeps the process
alive and polling, so in-process runs (`zns run`) pause the same way as a worker's.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.exceptions import FlowPauseTimeout
from prefect.input import RunInput, keyset_from_paused_state
from prefect.runtime import flow_run
from prefect.states import Paused
from prefect.utilities.engine import propose_state_sync
from pydantic import Field

from esms.models import ZnsTemplate
from flows.tasks.report import publish_report_task
from zns.campaign import lifecycle
from zns.campaign.approval import (
    PAUSE_KEY,
    approval_lines,
    approval_markdown,
    approved_text,
    cancelled_text,
    needs_approval,
    rejected_text,
    timeout_text,
)
from zns.campaign.errors import CampaignStopped
from zns.campaign.lifecycle import CampaignStatus
from zns.campaign.preflight import Preflight
from zns.campaign.prepare import PreflightInput
from zns.ledger import Ledger
from zns.links import public_url
from zns.recipients import ValidationResult
from zns.report import CampaignMeta
from zns.spec import CampaignSpec, slugify

DEFAULT_POLL_SECONDS = 5


class ApprovalInput(RunInput):
    """The resume form: Prefect renders it in its UI; the campaign page posts the same fields."""

    approve: bool = Field(default=False, title="Duyệt gửi (approve)",
                          description="Bật rồi bấm Resume để gửi; để tắt = từ chối, không gửi tin nào")
    note: str = Field(default="", max_length=500, title="Ghi chú (note)",
                      description="Ai duyệt / vì sao từ chối: hiện trong báo cáo")


class ApprovalCancelled(CampaignStopped):
    """The run was cancelled while it waited for approval: nothing was sent."""


def poll_seconds() -> int:
    """How often the paused run asks Prefect whether it was resumed ($ZNS_APPROVAL_POLL_SECONDS)."""
    raw = os.environ.get("ZNS_APPROVAL_POLL_SECONDS", "").strip()
    return max(1, int(raw)) if raw.isdigit() else DEFAULT_POLL_SECONDS


def approval_key(campaign_id: str) -> str:
    return f"{slugify(campaign_id, 50)}-approval"


def _resumed_at() -> datetime | None:
    """When the run left Paused (its Running state's time); None when Prefect cannot say."""
    run_id = flow_run.get_id()
    if not run_id:
        return None
    try:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(UUID(run_id)).state
    except Exception:  # noqa: BLE001 - only a nicety of the report line
        return None
    return state.timestamp if state is not None and state.is_running() else None


def pause_for_input(form: type[ApprovalInput], timeout: int, poll: int) -> ApprovalInput:
    """Prefect's pause-with-input (the UI's resume form), polled here so that a run cancelled while
    paused ends at the next poll; Prefect's own loop would keep its worker until the timeout."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        raise RuntimeError("the approval gate pauses a flow run: run the campaign as one")
    run_id = context.flow_run.id
    proposed = Paused(timeout_seconds=timeout, reschedule=False, pause_key=PAUSE_KEY)
    keyset = keyset_from_paused_state(proposed)
    proposed.state_details.run_input_keyset = keyset
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        state = propose_state_sync(client, proposed, flow_run_id=run_id)
        if state.is_running():  # resumed before: a retry of the same run
            return form.load(keyset)
        if not state.is_paused():
            raise RuntimeError(f"the run cannot pause for approval: Prefect answered {state.type.value}")
        form.save(keyset)
        while True:
            time.sleep(max(0.0, min(poll, deadline - time.monotonic())))
            current = client.read_flow_run(run_id).state
            if current is not None and current.is_running():
                return form.load(keyset)
            if current is None or current.is_cancelling() or current.is_final():
                raise ApprovalCancelled(cancelled_text(current.message if current else None))
            if time.monotonic() >= deadline:
                raise FlowPauseTimeout("paused for approval and never resumed")


def await_approval(spec: CampaignSpec, *, ledger: Ledger, campaign_id: str, meta: CampaignMeta, out_dir: Path,
                   error_workbook: Path | None, validation: ValidationResult, template: ZnsTemplate,
                   pre: PreflightInput, check: Preflight) -> str | None:
    """Return when the run may send (no gate: None; approved: the decision's line for the report);
    raise CampaignStopped when it may not."""
    reason = needs_approval(spec.approval, pre.to_send, check)
    if reason is None or spec.approval is None:
        return None
    logger = get_run_logger()
    hours = spec.approval.timeout_hours
    markdown = approval_markdown(spec.campaign_name, campaign_id,
                                 approval_lines(reason, validation, check, template, pre, hours))
    key = approval_key(campaign_id)
    create_markdown_artifact(markdown, key=key, description="Chờ duyệt trước khi gửi (approval gate)")
    page = f"{public_url()}/campaigns/{quote(campaign_id)}?run={flow_run.get_id() or ''}"
    logger.info("chờ duyệt (APPROVAL_REQUIRED): %s; duyệt trên %s hoặc Resume trong Prefect UI, tối đa %g giờ",
                reason.text, page, hours)

    def stop(line: str, status: CampaignStatus = CampaignStatus.REJECTED) -> NoReturn:
        """End the campaign as preflight does, with the decision as the report's "stopped" line.

        The report is built inline (`.fn`): after a timeout Prefect may already have failed the run,
        and it refuses new task runs of a run that is not Running."""
        create_markdown_artifact(f"{markdown}\n**{line}**\n", key=key, description="Kết quả duyệt (approval)")
        done = replace(meta, finished_at=datetime.now(UTC))
        files = publish_report_task.fn(done, out_dir, error_workbook, {**check.as_dict(), "ok": False, "problem": line})
        lifecycle.finish(ledger, campaign_id, status, files.summary, started_at=meta.started_at,
                         finished_at=done.finished_at)
        logger.info("%s", line)
        raise (ApprovalCancelled if status is CampaignStatus.CANCELLED else CampaignStopped)(line)

    form = ApprovalInput.with_initial_data(description=markdown)  # no values: they would drop the titles
    lifecycle.await_approval(ledger, campaign_id)
    try:
        answer = pause_for_input(form, math.ceil(hours * 3600), poll_seconds())
    except FlowPauseTimeout:
        stop(timeout_text(hours))
    except ApprovalCancelled as exc:
        stop(str(exc), CampaignStatus.CANCELLED)
    if not answer.approve:
        stop(rejected_text(answer.note))
    lifecycle.approve(ledger, campaign_id)
    line = approved_text(answer.note, _resumed_at())
    create_markdown_artifact(f"{markdown}\n**{line}**\n", key=key, description="Kết quả duyệt (approval)")
    logger.info("%s", line)
    return line
