"""The `sms-fallback` subflow: step 8 of the web UI ("chuyển hướng") for the ZNS that failed.

Only recipients whose ZNS ended in the fallback class (no Zalo account, inactive, refused,
not online in time) get an SMS; a delivered ZNS never does. Texts are ASCII and checked
against the registered CSKH template before anything is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.utilities.annotations import quote

from esms.sms_templates import SmsTemplate
from flows.tasks.campaign import await_delivery_task, send_sms_batch_task
from zns.campaign.context import CampaignContext
from zns.campaign.fallback import plan_fallback, record_unfit
from zns.outcomes import Channel
from zns.runtime import get_ledger
from zns.spec import CampaignSpec

SMS_BATCH = 500


@flow(name="sms-fallback", description="SMS Brandname CSKH cho người nhận không nhận được ZNS (SMS fallback)")
def sms_fallback(
    spec: CampaignSpec,
    ctx: CampaignContext,
    sms_template: SmsTemplate,
    since: datetime,
) -> dict[str, Any]:
    """SMS values come from the ledger (computed at validation), so the subflow's parameters stay small."""
    logger = get_run_logger()
    ledger = get_ledger()
    candidates = ledger.fallback_candidates(ctx.campaign_id)
    values_by_phone = ledger.sms_values(ctx.campaign_id, candidates)
    plan = plan_fallback(candidates, sms_template, values_by_phone)
    record_unfit(ledger, ctx.campaign_id, plan.unfit, ctx.claimed_by)
    logger.info("fallback: %d SMS to send, %d rows whose text does not fit the template",
                len(plan.texts), len(plan.unfit))
    phones = list(plan.texts)
    futures = [
        send_sms_batch_task.submit(  # type: ignore[call-overload]
            spec.account,
            ctx,
            quote({p: plan.texts[p] for p in phones[i : i + SMS_BATCH]}),
            sms_template.brandname,
            i // SMS_BATCH,
        )
        for i in range(0, len(phones), SMS_BATCH)
    ]
    sent = sum(f.result().accepted for f in futures)
    if phones:
        await_delivery_task(spec.account, ctx, Channel.SMS, spec.fallback_after, since)
    return {"candidates": len(phones) + len(plan.unfit), "sent": sent, "unfit": len(plan.unfit)}
