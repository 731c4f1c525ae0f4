"""The one SMS fallback path, for the campaign flow and for reconcile alike.

Candidates are ZNS that ended for a fallback-class reason and whose SMS was never sent (no
SMS row yet, or one a crashed run left unanswered: it is resent under the same RequestId).
Texts are ASCII and checked against the registered template before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from esms.sms_templates import SmsTemplate
from zns.campaign.context import CampaignContext
from zns.ledger import Ledger, SendRecord
from zns.outcomes import Channel
from zns.recipients.sms_fit import MISMATCH, render_sms

SMS_BATCH = 500


@dataclass(slots=True)
class FallbackPlan:
    texts: dict[str, str] = field(default_factory=dict)  # phone -> ASCII text to send
    unfit: dict[str, str] = field(default_factory=dict)  # phone -> reason code it cannot be sent


def plan_fallback(
    candidates: Sequence[str],
    template: SmsTemplate,
    values_by_phone: Mapping[str, Mapping[str, str]],
) -> FallbackPlan:
    """Texts for the fallback candidates; rows whose text cannot be rendered go to `unfit`."""
    plan = FallbackPlan()
    for phone in candidates:
        text, problem = render_sms(template, values_by_phone.get(phone, {}))
        if text is None:
            plan.unfit[phone] = problem or MISMATCH
        else:
            plan.texts[phone] = text
    return plan


def record_unfit(ledger: Ledger, campaign_id: str, unfit: Mapping[str, str], claimed_by: str) -> None:
    """An SMS that cannot fit its template is never sent; its row ends failed with the reason."""
    if not unfit:
        return
    claims = ledger.claim(campaign_id, list(unfit), Channel.SMS, claimed_by, reclaim_ambiguous=True)
    ledger.record_send_results(
        campaign_id,
        Channel.SMS,
        [SendRecord(phone=c.phone, code=unfit[c.phone], error_message="not sent: text does not fit the template")
         for c in claims],
    )


def prepare_fallback(ledger: Ledger, ctx: CampaignContext, template: SmsTemplate) -> FallbackPlan:
    """Plan the campaign's fallback SMS now; rows whose text cannot fit end failed at once."""
    candidates = ledger.fallback_candidates(ctx.campaign_id)
    plan = plan_fallback(candidates, template, ledger.sms_values(ctx.campaign_id, candidates))
    record_unfit(ledger, ctx.campaign_id, plan.unfit, ctx.claimed_by)
    return plan


def sms_batches(plan: FallbackPlan, size: int = SMS_BATCH) -> list[dict[str, str]]:
    """phone -> text, in batches of `size` (one task run each in the flow)."""
    phones = list(plan.texts)
    return [{p: plan.texts[p] for p in phones[i : i + size]} for i in range(0, len(phones), size)]
