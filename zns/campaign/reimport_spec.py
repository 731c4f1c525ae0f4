"""The SPEC of a re-import: the campaign's own, stored in the ledger, on the corrected file."""

from __future__ import annotations

from pydantic import ValidationError

from zns.ledger import Ledger
from zns.spec import CampaignSpec


def reimport_spec(ledger: Ledger, campaign_id: str, source: str) -> CampaignSpec:
    """ValueError (one line) when the campaign is unknown or its stored SPEC cannot be reused."""
    record = ledger.campaign(campaign_id)
    if record is None:
        raise ValueError(f"no campaign {campaign_id!r} in the ledger — Không có chiến dịch này; kiểm tra mã chiến dịch")
    stored = {k: v for k, v in record.params.items() if k in CampaignSpec.model_fields}
    stored.update(source=source, recipients=[], sheet=None, header_row=0, campaign_id=campaign_id, reimport=True,
                  date_filter=None, send_at=None, dry_run=False)
    try:
        return CampaignSpec.model_validate(stored)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"campaign {campaign_id}'s stored SPEC: `{'.'.join(map(str, first['loc']))}`: "
                         f"{first['msg']}") from None
