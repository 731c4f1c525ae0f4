"""Ratings: what recipients answered a campaign's ZNS (ZNS/GetRating), pulled into the ledger.

The reconcile flow pulls them for every campaign of the last days, one OA and template at a time
(50 per request, as documented), and matches each to our message by its trackingId, which is
the RequestId we sent. The report and the campaign page show the count and the average stars.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from esms import EsmsClient
from zns.ledger import Ledger
from zns.timeutil import to_vn_naive

PAGE = 50


async def pull_ratings(client: EsmsClient, ledger: Ledger, since: datetime, now: datetime) -> int:
    """Store the ratings given since `since` (aware UTC) to the ZNS of campaigns created since then."""
    windows: dict[tuple[str, str], datetime] = {}
    for _, oa_id, template_id, created in ledger.zns_campaigns_since(since):
        if oa_id and template_id:
            key = (oa_id, template_id)
            windows[key] = min(windows.get(key, created), created)
    matched = 0
    for (oa_id, template_id), start in windows.items():
        offset, total = 0, 1
        while offset < total:
            total, page = await client.get_ratings(oa_id, template_id, to_vn_naive(start) - timedelta(minutes=1),
                                                   to_vn_naive(now), offset=offset, limit=PAGE)
            if not page:
                break
            matched += ledger.record_ratings([r.model_dump() for r in page])
            offset += len(page)
    return matched
