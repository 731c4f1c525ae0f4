"""The `zns-campaign` flow: steps 2-9 of the eSMS web UI as one Prefect flow run.

Shape (docs/architecture.md §2): template → recipients → validation → preflight → ZNS batches →
delivery wait → SMS fallback subflow → report. One task run per batch of ≤ 500 recipients;
the ledger, not Prefect, guarantees each phone gets at most one message per channel.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import FlowRun, State
from prefect.runtime import flow_run
from prefect.states import Cancelled, Completed
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from esms import EsmsConfigError, EsmsError
from flows.approval import ApprovalCancelled, await_approval
from flows.fanout import send_all
from flows.postpone import continue_later
from flows.shard import run_shards
from flows.sms_fallback import sms_fallback
from flows.tasks._common import resolve_account
from flows.tasks.campaign import (
    await_delivery_task,
    ingest_task,
    load_template_task,
    oa_quality_task,
    preflight_task,
    record_recipients_task,
    recover_interrupted_task,
)
from flows.tasks.report import publish_report_task
from zns.campaign import lifecycle
from zns.campaign.errors import CampaignStopped
from zns.campaign.identity import campaign_id_for
from zns.campaign.lifecycle import CampaignStatus
from zns.campaign.prepare import (
    delivery_since,
    dry_run_lines,
    preflight_input,
    register_campaign,
    run_context,
)
from zns.campaign.run import resend_refused, stop_rule, todays_batches, todays_plan
from zns.campaign.shards import shard_count, shard_size_for
from zns.campaign.suppression import suppress_refusers
from zns.campaign.waiting import campaign_wait
from zns.campaign.window import split_for_quota, window_for
from zns.orchestration.deployments import POSTPONED_STATE
from zns.outcomes import Channel
from zns.report import CampaignMeta
from zns.runtime import get_ledger, report_dir
from zns.spec import CampaignSpec
from zns.timeutil import require_future, to_vn_naive, vn_now

MAX_PARALLEL_BATCHES = 32


def run_date() -> date:
    """The day a run is for (Vietnam): its scheduled start, so a late run still sends "today's" rows."""
    scheduled = flow_run.get_scheduled_start_time()
    return to_vn_naive(scheduled).date() if scheduled else vn_now().date()


def checked_send_at(spec: CampaignSpec) -> datetime | None:
    """"Send at" from the run form or a SPEC: refused before anything else when it has passed
    at the time the run was meant to start (a retry of the run keeps that time)."""
    if spec.send_at is None:
        return None
    scheduled = flow_run.get_scheduled_start_time()
    reference = datetime.fromisoformat(scheduled.isoformat()) if scheduled else None
    return require_future(spec.send_at, reference)


def wait_until(at: datetime | None) -> None:
    """Everything is validated first; the sends wait for the time."""
    if at is None:
        return
    delay = (at - datetime.now(UTC)).total_seconds()
    if delay > 0:
        get_run_logger().info("send_at %s: waiting %.0f s before sending", at.isoformat(), delay)
        time.sleep(delay)


def mark_cancelled(flow: Any, run: FlowRun, state: State) -> None:
    """A run cancelled mid-way (Prefect UI, the page) leaves a resumable campaign: the ledger says
    "cancelled" instead of "running"; running the campaign again sends the rest."""
    raw = (run.parameters or {}).get("spec")
    spec = raw if isinstance(raw, CampaignSpec) else CampaignSpec.model_validate(raw)
    lifecycle.cancel(get_ledger(), campaign_id_for(spec, str(run.id)), state.message or "")


@flow(
    name="zns-campaign",
    description="Gửi chiến dịch ZNS qua eSMS, tự chuyển SMS khi ZNS không tới (ZNS campaign with SMS fallback)",
    task_runner=ThreadPoolTaskRunner(max_workers=MAX_PARALLEL_BATCHES),
    validate_parameters=True,
    on_cancellation=[mark_cancelled],
)
def zns_campaign(spec: CampaignSpec) -> dict[str, Any]:
    """Run one campaign end to end and return the one-line summary (counts add up to rows)."""
    logger = get_run_logger()
    send_at = checked_send_at(spec)
    window = window_for(spec)
    ledger = get_ledger()
    campaign_id = campaign_id_for(spec, flow_run.get_id())
    out_dir = report_dir(campaign_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = CampaignMeta(campaign_id, spec.campaign_name, spec.template_id, spec.oa_id,
                        started_at=datetime.now(UTC), dry_run=spec.dry_run)
    logger.info("campaign %s (%s)", campaign_id, spec.campaign_name)

    template, sms_template = load_template_task(spec)
    sandbox = resolve_account(spec.account).sandbox_for(spec.sandbox)
    validation, error_workbook = ingest_task(
        spec, template, sms_template, out_dir / "error-rows.xlsx", run_date(), campaign_id
    )
    register_campaign(ledger, campaign_id, spec, sandbox=sandbox, template_tag=template.tag)
    record_recipients_task(campaign_id, quote(validation))
    if not spec.dry_run and (held := suppress_refusers(ledger, campaign_id, spec.oa_id,
                                                        (r.phone for r in validation.valid))):
        logger.info("%d recipients refused this OA's ZNS before: no ZNS, only the SMS fallback", held)
    if not spec.dry_run:
        reopened, ended = resend_refused(ledger, campaign_id, window)
        if reopened or ended:
            logger.info("ZNS refused for now earlier: %d sent again, %d out of resends (final)", reopened, ended)
    pre = preflight_input(ledger, campaign_id, validation, sms_template)
    check = preflight_task(spec, template, pre.sample, pre.sms_sample, pre.to_send)

    approved: str | None = None

    def finish(status: CampaignStatus, postponed: str | None = None) -> dict[str, Any]:
        done = replace(meta, finished_at=datetime.now(UTC), postponed=postponed)
        files = publish_report_task(done, out_dir, error_workbook, {**check.as_dict(), "approval": approved})
        lifecycle.finish(ledger, campaign_id, status, files.summary, started_at=meta.started_at,
                         finished_at=done.finished_at, postponed=postponed)
        return {**files.summary, **({"postponed": postponed} if postponed else {})}

    if spec.dry_run:
        for line in dry_run_lines(validation, check, template, pre):
            logger.info("%s", line)
        return finish(CampaignStatus.COMPLETED)
    split = split_for_quota(spec, check, pre.to_send, window, datetime.now(UTC))
    if not check.ok and split is None:
        finish(CampaignStatus.CONFIG_ERROR)
        raise CampaignStopped(check.problem)
    try:
        approved = await_approval(spec, ledger=ledger, campaign_id=campaign_id, meta=meta, out_dir=out_dir,
                                  error_workbook=error_workbook, validation=validation, template=template,
                                  pre=pre, check=check)
    except ApprovalCancelled as exc:  # the run stays Cancelled: nothing was sent
        return Cancelled(message=str(exc))  # type: ignore[return-value]

    wait_until(send_at)
    ctx = run_context(spec, campaign_id, sandbox=sandbox, claimed_by=flow_run.get_id() or "local")
    later = todays_plan(window, split)
    batches = todays_batches(ledger, spec, campaign_id, validation, later, split)
    since = delivery_since(ledger, campaign_id, meta.started_at)
    stop = stop_rule(spec, window, lambda: oa_quality_task(spec.account, spec.oa_id))
    try:
        recover_interrupted_task(spec.account, ctx, Channel.ZNS, since)
        shards = shard_count(len(validation.valid), shard_size_for(spec))
        if shards > 1 and later is None:
            run_shards(spec, campaign_id, shards, expected_valid=len(validation.valid), sandbox=sandbox,
                       since=since, run_date=run_date(), price=check.zns_unit_price)
        elif batches:
            _, halted = send_all(spec, ctx, batches, check.zns_unit_price, stop=stop)
            later = later or halted
    except EsmsError as exc:
        finish(CampaignStatus.CONFIG_ERROR if isinstance(exc, EsmsConfigError) else CampaignStatus.FAILED)
        raise CampaignStopped(str(exc)) from None
    except Exception:
        finish(CampaignStatus.FAILED)  # the report still accounts for every row sent so far
        raise

    if sandbox:
        logger.info("sandbox: eSMS validated the sends; no delivery to wait for")
    else:
        await_delivery_task(spec.account, ctx, Channel.ZNS, spec.fallback_after, since)
        if sms_template is not None:
            try:
                sms_fallback(spec, ctx, sms_template, since)
            except EsmsError as exc:
                finish(CampaignStatus.CONFIG_ERROR)
                raise CampaignStopped(str(exc)) from None
    later = later or campaign_wait(ledger, campaign_id, window, datetime.now(UTC))
    if later is not None:
        line = continue_later(spec, campaign_id, run_date(), later)
        logger.info("hoãn (postponed): %s", line)
        # Completed, named "Postponed" with the reason: the Prefect UI says why the rest waits
        return Completed(name=POSTPONED_STATE, message=line[:2000],  # type: ignore[return-value]
                         data=finish(CampaignStatus.POSTPONED, line))
    return finish(CampaignStatus.COMPLETED)
