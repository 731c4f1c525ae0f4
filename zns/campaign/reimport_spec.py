"""A campaign's SPEC again from the ledger: for a re-import (on the corrected file) and for a
continuation the reconcile flow schedules."""

from __future__ import annotations

from pydantic import ValidationError

from zns.ledger import Ledger
from zns.spec import CampaignSpec


def stored_spec(ledger: Ledger, campaign_id: str, **update: object) -> CampaignSpec:
    """The campaign's SPEC as the ledger stored it (no secrets), with `update` applied; ValueError
    (one line) when the campaign is unknown or the stored SPEC no longer validates."""
    record = ledger.campaign(campaign_id)
    if record is None:
        raise ValueError(f"no campaign {campaign_id!r} in the ledger — Không có chiến dịch này; kiểm tra mã chiến dịch")
    stored = {k: v for k, v in record.params.items() if k in CampaignSpec.model_fields}
    stored.update(campaign_id=campaign_id, send_at=None, dry_run=False, **update)
    try:
        return CampaignSpec.model_validate(stored)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"campaign {campaign_id}'s stored SPEC: `{'.'.join(map(str, first['loc']))}`: "
                         f"{first['msg']}") from None


def reimport_spec(ledger: Ledger, campaign_id: str, source: str) -> CampaignSpec:
    """The campaign's own SPEC on the corrected error-rows file (rows keep their "Dòng gốc")."""
    return stored_spec(ledger, campaign_id, source=source, recipients=[], sheet=None, header_row=0, reimport=True,
                       date_filter=None)
