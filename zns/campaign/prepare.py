"""Prepare a campaign run: register it in the ledger, and what preflight and the sends need.

Plain Python, called by the `zns-campaign` flow between its tasks; no Prefect here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from esms.models import ZnsTemplate
from esms.sms_templates import SmsTemplate
from zns import policy
from zns.campaign import lifecycle
from zns.campaign.context import CampaignContext
from zns.campaign.fallback import render_sms
from zns.campaign.preflight import Preflight
from zns.campaign.preview import render_zns
from zns.ledger import Ledger
from zns.outcomes import Channel
from zns.recipients import Recipient, ValidationResult
from zns.spec import CampaignSpec
from zns.timeutil import to_vn_naive

ZnsBatch = list[tuple[str, list[str]]]


@dataclass(frozen=True, slots=True)
class PreflightInput:
    """One sample to price, and how many ZNS this run still has to send (a re-run: the rest)."""

    sample: tuple[str, list[str]] | None
    sms_sample: str | None
    to_send: int


def register_campaign(ledger: Ledger, campaign_id: str, spec: CampaignSpec, *, sandbox: bool,
                      template_tag: str | None = None) -> None:
    """The campaign row keeps its first definition; `sandbox` is the effective one (account or SPEC);
    the template's tag is kept for the frequency cap of later campaigns. The run then starts:
    the campaign is running whatever its last run ended as (a re-run, a continuation)."""
    ledger.upsert_campaign(
        campaign_id,
        name=spec.campaign_name,
        oa_id=spec.oa_id,
        template_id=spec.template_id,
        message_type=spec.message_type.value,
        params={**spec.model_dump(mode="json"), "sandbox": sandbox, "template_tag": template_tag},
        fallback=spec.fallback.model_dump(mode="json") if spec.fallback else None,
    )
    lifecycle.start(ledger, campaign_id)


def preflight_input(ledger: Ledger, campaign_id: str, validation: ValidationResult,
                    sms_template: SmsTemplate | None) -> PreflightInput:
    """Only messages eSMS may not have yet count against quota and balance."""
    first = validation.valid[0] if validation.valid else None
    sms_sample = render_sms(sms_template, first.sms_values)[0] if sms_template is not None and first else None
    return PreflightInput((first.phone, list(first.params)) if first else None, sms_sample,
                          len(unsent_recipients(ledger, campaign_id, validation)))


def unsent_recipients(ledger: Ledger, campaign_id: str, validation: ValidationResult) -> list[Recipient]:
    """The valid rows whose ZNS eSMS may not have yet (a re-run or a continuation sends these)."""
    done = {m.phone for m in ledger.messages(campaign_id, Channel.ZNS) if m.state not in policy.RESENDABLE_STATES}
    return [r for r in validation.valid if r.phone not in done]


def run_context(spec: CampaignSpec, campaign_id: str, *, sandbox: bool, claimed_by: str) -> CampaignContext:
    return CampaignContext(
        campaign_id=campaign_id,
        campaign_name=spec.campaign_name,
        oa_id=spec.oa_id,
        template_id=spec.template_id,
        message_type=spec.message_type.value,
        sandbox=sandbox,
        claimed_by=claimed_by,
        brandname=spec.fallback.brandname if spec.fallback else None,
    )


def zns_batches(validation: ValidationResult, size: int) -> list[ZnsBatch]:
    return zns_batches_of(validation.valid, size)


def zns_batches_of(recipients: Sequence[Recipient], size: int) -> list[ZnsBatch]:
    valid = [(r.phone, list(r.params)) for r in recipients]
    return [valid[i : i + size] for i in range(0, len(valid), size)]


def delivery_since(ledger: Ledger, campaign_id: str, started: datetime) -> datetime:
    """Start of the status-lookup window (VN time): when the campaign was first created."""
    record = ledger.campaign(campaign_id)
    return to_vn_naive(record.created_at if record is not None else started)


def dry_run_lines(validation: ValidationResult, check: Preflight, template: ZnsTemplate,
                  pre: PreflightInput) -> list[str]:
    """A dry run reads as a check, not as a failed send: counts, limits, cost, what people read."""
    lines = [
        f"chạy thử (dry run), không gửi tin nào: {len(validation.valid)} dòng hợp lệ (valid), "
        f"{len(validation.invalid)} dòng lỗi (invalid)",
        f"quota ZNS còn lại hôm nay (quota left): {check.quota_remaining:,} / {check.quota_daily:,}; "
        f"số dư (balance): {check.balance:,.0f} VND",
        f"chi phí ước tính (estimated cost): ZNS {check.estimated_zns_cost:,.0f} VND; "
        f"SMS dự phòng tối đa (SMS fallback at most) {check.estimated_sms_cost_max:,.0f} VND",
    ]
    if pre.sample is not None:
        lines.append(f"ZNS mẫu (ZNS preview, {pre.sample[0]}): {render_zns(template, pre.sample[1])}")
    if pre.sms_sample:
        lines.append(f"SMS mẫu (SMS preview): {pre.sms_sample}")
    if not check.ok and check.problem:
        lines.append(f"sẽ dừng khi gửi thật (a real run would stop): {check.problem}")
    return lines
