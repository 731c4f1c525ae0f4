"""Step 5 and 8 of the web UI: the ZNS template and the fallback brandname/SMS template."""

from __future__ import annotations

from esms import EsmsClient, EsmsConfigError, esms_code
from esms.models import ZnsTemplate
from esms.sms_templates import SmsTemplate
from zns.spec import CampaignSpec


async def load_templates(client: EsmsClient, spec: CampaignSpec) -> tuple[ZnsTemplate, SmsTemplate | None]:
    """Fetch what validation needs; a missing template or brandname is a config error (no send)."""
    template = await client.get_template(spec.oa_id, spec.template_id, spec.message_type.value)
    if spec.fallback is None:
        return template, None
    chosen = await load_sms_template(client, spec.fallback.brandname, spec.fallback.sms_template_id)
    return template, chosen


async def load_sms_template(client: EsmsClient, brandname: str, sms_template_id: str | None) -> SmsTemplate:
    """The registered CSKH template for the fallback; shared by the campaign and the reconcile flow."""
    names = {b.name for b in await client.list_brandnames()}
    if brandname not in names:
        raise EsmsConfigError(
            f"brandname {brandname!r} is not registered on this eSMS account (104); available: "
            f"{', '.join(sorted(names)) or 'none'} — Brandname chưa đăng ký",
            endpoint="GetListBrandname",
            info=esms_code("104"),
        )
    templates = await client.get_sms_templates(brandname)
    wanted = sms_template_id
    if wanted:
        chosen = next((t for t in templates if t.has_id(str(wanted))), None)
    else:
        chosen = templates[0] if len(templates) == 1 else None
    if chosen is None:
        listing = "; ".join(f"{'/'.join(t.ids or (t.template_id,))}: {t.content}" for t in templates) or "none"
        raise EsmsConfigError(
            f"CSKH template {wanted or '(not given)'} not found for brandname {brandname!r}; "
            f"set fallback.sms_template_id to one of: {listing} — Không tìm thấy template SMS",
            endpoint="GetTemplate",
            info=esms_code("146"),
        )
    return chosen


def sms_columns(spec: CampaignSpec) -> dict[str, str]:
    """SMS variable → source column; a ZNS param name is translated through `spec.columns`."""
    if spec.fallback is None:
        return {}
    return {var: spec.columns.get(col, col) for var, col in spec.fallback.columns.items()}
