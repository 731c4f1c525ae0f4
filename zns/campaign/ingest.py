"""Step 5 of the web UI: a campaign's recipients read and validated exactly as a run reads them.

One definition for the flow's `ingest-and-validate` task and the campaign page's check, so the
page counts what the run will count (date filter, both blocklists, the SMS fit).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from esms.models import ZnsTemplate
from esms.sms_templates import SmsTemplate
from zns.campaign.frequency import capped_phones
from zns.campaign.reimport import renumber
from zns.campaign.templates import sms_columns
from zns.ledger import Ledger
from zns.recipients import DateFilter, Limits, ValidationResult, load_blocklist, load_recipients
from zns.spec import CampaignSpec
from zns.timeutil import vn_now


def date_filter_for(spec: CampaignSpec, run_date: date | None) -> DateFilter | None:
    """The recurring campaign's "rows due on the run's day" filter (Vietnam date)."""
    if spec.date_filter is None:
        return None
    return DateFilter(
        column=spec.date_filter.column,
        on=run_date or vn_now().date(),
        match=spec.date_filter.match.value,
        days_ahead=spec.date_filter.days_ahead,
    )


def ingest(spec: CampaignSpec, template: ZnsTemplate, sms_template: SmsTemplate | None, ledger: Ledger, *,
           run_date: date | None = None, limits: Limits | None = None,
           campaign_id: str | None = None) -> ValidationResult:
    """Every row of the SPEC's source (or typed-in list) checked against the templates; the
    blocklists and the frequency cap (counting other campaigns than `campaign_id`) refuse rows."""
    blocked = ledger.blocklist()
    if spec.blocklist:
        blocked |= set(load_blocklist(spec.blocklist))
    capped = capped_phones(ledger, spec, campaign_id or "", template.tag, datetime.now(UTC))
    refused = {**capped, **dict.fromkeys(blocked, "BLOCKED")}
    result = load_recipients(
        template,
        source=spec.source,
        sheet=spec.sheet_ref,
        header_row=spec.header_row,
        phone_column=spec.phone_column,
        columns=spec.columns or None,
        recipients=[r.model_dump() for r in spec.recipients] or None,
        sms_template=sms_template,
        sms_columns=sms_columns(spec) or None,
        blocklist=refused,
        row_filter=date_filter_for(spec, run_date),
        limits=limits,
    )
    if spec.reimport and campaign_id:
        return renumber(result, ledger.valid_phones(campaign_id), result.phone_column)
    return result
