"""The `sms-fallback` subflow: step 8 of the web UI ("chuyển hướng") for the ZNS that failed.

Only recipients whose ZNS ended in the fallback class (no Zalo account, inactive, refused,
not online in time) get an SMS; a delivered ZNS never does. Texts are ASCII and checked
against the registered CSKH template before anything is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.futures import as_completed
from prefect.utilities.annotations import quote

from esms.sms_templates import SmsTemplate
from flows.tasks.campaign import await_delivery_task, recover_interrupted_task, send_sms_batch_task
from zns.campaign.context import CampaignContext
from zns.campaign.fallback import prepare_fallback, sms_batches
from zns.outcomes import Channel
from zns.progress import progress
from zns.runtime import get_ledger
from zns.spec import CampaignSpec


@flow(name="sms-fallback", description="SMS Brandname CSKH cho người nhận không nhận được ZNS (SMS fallback)")
def sms_fallback(
    spec: CampaignSpec,
    ctx: CampaignContext,
    sms_template: SmsTemplate,
    since: datetime,
) -> dict[str, Any]:
    """SMS values come from the ledger (computed at validation), so the subflow's parameters stay small."""
    logger = get_run_logger()
    recover_interrupted_task(spec.account, ctx, Channel.SMS, since)
    plan = prepare_fallback(get_ledger(), ctx, sms_template)
    logger.info("fallback: %d SMS to send, %d rows whose text does not fit the template",
                len(plan.texts), len(plan.unfit))
    futures = [
        send_sms_batch_task.submit(spec.account, ctx, quote(batch), sms_template.brandname, i)  # type: ignore[call-overload]
        for i, batch in enumerate(sms_batches(plan))
    ]
    sent = done = 0
    for future in as_completed(futures):
        stats = future.result()
        sent, done = sent + stats.accepted, done + stats.accepted + stats.rejected + stats.skipped
        progress("sms", done, len(plan.texts))
    if plan.texts:
        await_delivery_task(spec.account, ctx, Channel.SMS, spec.fallback_after, since)
    return {"candidates": len(plan.texts) + len(plan.unfit), "sent": sent, "unfit": len(plan.unfit)}
