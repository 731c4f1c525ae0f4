"""Send: the draft becomes a CampaignSpec, is checked like the flow will check it, then becomes a run.

"Send now" and "send at" create the flow run of the `zns-campaign` deployment through
`zns.orchestration.deployments.schedule_campaign` (idempotency key: one run per submitted form); "daily" adds a
schedule to that deployment. The campaign id is set here, so the page knows it up front.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from starlette.concurrency import run_in_threadpool

from esms import EsmsError
from esms.models import ZnsTemplate
from esms.sms_templates import SmsTemplate
from zns.accounts import AccountError
from zns.campaign.templates import load_templates
from zns.orchestration import runs
from zns.orchestration.deployments import DeployError
from zns.spec import CampaignSpec
from zns.timeutil import PastTimeError, TimeFormatError, parse_vn_time, require_future
from zns.web.account import resolve_account, with_client
from zns.web.check import run_check
from zns.web.forms import Draft, FormError, build_spec, page_campaign_id, send_now_time
from zns.web.page import spec_source
from zns.web.runlog import record_run
from zns.web.settings import WebSettings

_HH_MM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class Submitted:
    """What the page opens next: the campaign (and its run), or the daily schedule."""

    campaign_id: str
    run_id: str | None = None
    schedule_id: str | None = None


def send_time(draft: Draft) -> datetime:
    """When a one-off run starts: the form's time for "send now", the chosen future time for "send at"."""
    if draft.when == "now":
        return send_now_time(draft.submission)
    if not draft.send_at:
        raise FormError("MISSING_SEND_AT", "Chưa chọn thời điểm ở ô «Gửi lúc»")
    try:
        return require_future(parse_vn_time(draft.send_at.replace("T", " ")))
    except PastTimeError:
        shown = draft.send_at.replace("T", " ")
        raise FormError("PAST_SEND_AT", f"Thời điểm ở ô «Gửi lúc» ({shown}, giờ Việt Nam) đã qua nên không gửi "
                        "tin nào; chọn một thời điểm sau bây giờ") from None
    except TimeFormatError:
        raise FormError("BAD_SEND_AT", "Không đọc được thời điểm ở ô «Gửi lúc»; chọn ngày và giờ trong ô") from None


async def _templates(spec: CampaignSpec) -> tuple[ZnsTemplate, SmsTemplate | None]:
    """ZNS and CSKH templates exactly as the flow's load-template step loads them."""
    try:
        account = await resolve_account(spec.account)
        return await with_client(account, lambda client: load_templates(client, spec))
    except (AccountError, EsmsError) as exc:
        raise FormError("CONFIG_ERROR", " ".join(str(exc).split())) from None


async def submit_campaign(draft: Draft, settings: WebSettings) -> Submitted:
    """Refuse what the run would refuse (file, mapping, templates, time); then create the run."""
    if not draft.campaign_name:
        raise FormError("MISSING_NAME", "Chưa đặt tên ở ô «Tên chiến dịch»")
    if not draft.template_id:
        raise FormError("MISSING_TEMPLATE", "Chưa chọn mẫu ở ô «Mẫu ZNS»")
    spec = build_spec(draft, source=await run_in_threadpool(spec_source, draft))  # may ask remote storage
    template, sms_template = await _templates(spec)
    await run_in_threadpool(run_check, spec, template, sms_template, limits=settings.limits)
    if draft.when == "daily":
        return await _daily(draft, spec)
    at = send_time(draft)
    spec = spec.model_copy(update={"campaign_id": page_campaign_id(spec, draft.submission)})
    try:
        run_id, campaign_id = await run_in_threadpool(runs.submit, spec, at)
    except DeployError as exc:
        raise FormError("DEPLOY_ERROR", str(exc)) from None
    await run_in_threadpool(record_run, campaign_id, run_id)  # the campaign page finds its run by this
    return Submitted(campaign_id, run_id=run_id)


async def _daily(draft: Draft, spec: CampaignSpec) -> Submitted:
    match = _HH_MM.match(draft.daily_time)
    if match is None:
        raise FormError("BAD_DAILY_TIME", "Ô «Giờ gửi hằng ngày» phải có dạng HH:MM, ví dụ 09:00")
    slug = page_campaign_id(spec, draft.submission)
    try:
        schedule_id = await run_in_threadpool(runs.schedule_daily, spec, int(match[1]), int(match[2]), slug)
    except Exception as exc:  # noqa: BLE001 - the Prefect client raises several kinds here
        detail = " ".join(str(exc).split())[:300]
        raise FormError("DEPLOY_ERROR", f"không tạo được lịch gửi hằng ngày: {detail}") from None
    return Submitted(slug, schedule_id=schedule_id)
