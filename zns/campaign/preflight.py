"""Before any send: OA quota, balance and a cost estimate; stop early when they cannot cover it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from esms import EsmsClient, EsmsError
from esms.sms_templates import sms_parts

# Fallback prices used for the estimate when eSMS cannot price a sample (VND, typical 2026 list).
DEFAULT_ZNS_PRICE = 300.0
DEFAULT_SMS_PRICE = 850.0


@dataclass(slots=True)
class Preflight:
    recipients: int
    quota_daily: int
    quota_remaining: int
    balance: float
    zns_unit_price: float
    estimated_zns_cost: float
    estimated_sms_cost_max: float  # if every recipient fell back to SMS
    ok: bool
    problem: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


async def run_preflight(
    client: EsmsClient,
    *,
    oa_id: str,
    template_id: str,
    sample_phone: str | None,
    sample_params: list[str] | None,
    recipients: int,
    sms_sample_text: str | None = None,
    brandname: str | None = None,
    template_price: float | None = None,
) -> Preflight:
    """Numbers for the report and the go/no-go: quota must cover every valid recipient."""
    quota = await client.get_quota(oa_id)
    balance = await client.get_balance()
    unit = template_price or DEFAULT_ZNS_PRICE
    if sample_phone and sample_params is not None:
        try:
            unit = await client.estimate_zns(
                sample_phone, oa_id=oa_id, template_id=template_id, params=sample_params
            ) or unit
        except EsmsError:
            pass
    sms_unit = 0.0
    if sms_sample_text and brandname and sample_phone:
        try:
            sms_unit = await client.estimate_sms(sample_phone, sms_sample_text, brandname=brandname)
        except EsmsError:
            sms_unit = DEFAULT_SMS_PRICE * max(1, sms_parts(sms_sample_text))
    result = Preflight(
        recipients=recipients,
        quota_daily=quota.daily,
        quota_remaining=quota.remaining,
        balance=balance,
        zns_unit_price=unit,
        estimated_zns_cost=unit * recipients,
        estimated_sms_cost_max=sms_unit * recipients,
        ok=True,
    )
    if recipients > quota.remaining:
        result.ok = False
        result.problem = (
            f"OA {oa_id} has {quota.remaining} ZNS left today (daily quota {quota.daily}) but the "
            f"campaign has {recipients} valid recipients — Quota ZNS còn lại không đủ; "
            f"chia nhỏ danh sách hoặc gửi vào ngày mai"
        )
    elif balance < result.estimated_zns_cost:
        result.ok = False
        result.problem = (
            f"balance {balance:,.0f} VND is below the estimated ZNS cost "
            f"{result.estimated_zns_cost:,.0f} VND — Số dư không đủ; nạp thêm tiền vào tài khoản eSMS"
        )
    return result
