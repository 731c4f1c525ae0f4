"""What an eSMS account offers a campaign: OAs, their ZNS templates, brandnames and CSKH templates.

The Prefect run form's dropdowns (zns/form_schema.py) and the campaign page read it; one read
costs 2 + OAs + brandnames requests, so callers refresh it on a schedule, not per page view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from esms import EsmsClient, EsmsError
from esms.models import ZnsTemplate
from esms.sms_templates import SmsTemplate


@dataclass(frozen=True, slots=True)
class Catalog:
    oas: dict[str, str]  # OA id → OA name
    templates: list[ZnsTemplate]  # every OA's templates (each knows its oa_id)
    brandnames: list[str]
    sms_templates: dict[str, list[SmsTemplate]] = field(default_factory=dict)  # by brandname
    problems: list[str] = field(default_factory=list)  # parts that could not be read, one line each

    def templates_of(self, oa_id: str) -> list[ZnsTemplate]:
        return [t for t in self.templates if t.oa_id == oa_id]

    def variables(self) -> list[str]:
        """Every ZNS variable name, in first-seen order (the mapping dropdown of the form)."""
        return list(dict.fromkeys(p.name for t in self.templates for p in t.params))


async def read_catalog(client: EsmsClient) -> Catalog:
    """One pass over the account; an OA or brandname whose list fails is noted, not fatal."""
    oas = await client.list_oas()
    problems: list[str] = []
    templates: list[ZnsTemplate] = []
    for oa_id in oas:
        try:
            templates.extend(await client.get_zns_templates(oa_id))
        except EsmsError as exc:
            problems.append(f"OA {oa_id}: {exc}")
    try:
        brandnames = [b.name for b in await client.list_brandnames()]
    except EsmsError as exc:
        brandnames, problems = [], [*problems, f"brandnames: {exc}"]
    sms: dict[str, list[SmsTemplate]] = {}
    for name in brandnames:
        try:
            sms[name] = await client.get_sms_templates(name)
        except EsmsError as exc:
            problems.append(f"brandname {name}: {exc}")
    return Catalog(oas, templates, brandnames, sms, problems)
