"""The frequency cap: Zalo limits how many promotional ZNS one user gets from an OA in a period.

A campaign with `frequency_cap` refuses the rows whose phone already received `max_messages`
ZNS from the same OA in the last `days` (delivered, across every campaign in the ledger); they
are reported under FREQUENCY_CAP and sent nothing. With `promotional_only` (the default) only
promotional templates are capped and only their messages count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from zns.ledger import Ledger
from zns.outcomes import Channel
from zns.spec import CampaignSpec

PROMOTIONAL_TAGS = frozenset({"PROMOTION", "3"})  # GetZnsTemplateInfo TemplateTag, new and numeric


def is_promotional(tag: object) -> bool:
    return str(tag or "").strip().upper() in PROMOTIONAL_TAGS


def capped_phones(ledger: Ledger, spec: CampaignSpec, campaign_id: str, template_tag: str | None,
                  now: datetime) -> dict[str, str]:
    """Phone → FREQUENCY_CAP for every phone at its cap (the ingest refuses those rows)."""
    cap = spec.frequency_cap
    if cap is None or (cap.promotional_only and not is_promotional(template_tag)):
        return {}
    counted = [cid for cid, params in ledger.oa_campaign_params(spec.oa_id).items()
               if cid != campaign_id and (not cap.promotional_only or is_promotional(params.get("template_tag")))]
    counts = ledger.delivered_counts(counted, Channel.ZNS, now - timedelta(days=cap.days)) if counted else {}
    return {phone: "FREQUENCY_CAP" for phone, n in counts.items() if n >= cap.max_messages}
