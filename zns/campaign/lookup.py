"""Find our messages at eSMS again: GetSmsSentData_V2 lists them by time window, not RequestId.

Used after a send whose answer is missing (a bulk answer that left recipients out, a crash
between the claim and the answer) and after a 124, which carries no SMSID.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from esms import EsmsClient, SentRecord
from zns.campaign.context import CampaignContext
from zns.outcomes import Channel

PAGE = 500
SMS_TYPES = {"normal": "25", "priority": "24"}
WINDOW_MARGIN = timedelta(minutes=1)  # clock skew between us and eSMS, both in Vietnam time


def sms_type_of(ctx: CampaignContext, channel: Channel) -> str:
    """The SmsType eSMS files a campaign's messages under: 24/25 for ZNS, 2 for CSKH SMS."""
    return SMS_TYPES[ctx.message_type] if channel is Channel.ZNS else "2"


async def sent_window(client: EsmsClient, sms_type: str, since: datetime, until: datetime) -> list[SentRecord]:
    """Every message of the account created in the window (all pages)."""
    rows: list[SentRecord] = []
    page = 1
    while True:
        total, batch = await client.get_sent_data(sms_type, since, until, page=page, page_size=PAGE)
        rows.extend(batch)
        if not batch or page * PAGE >= total:
            return rows
        page += 1


def match_ours(phones: Iterable[str], window: Sequence[SentRecord], campaign_name: str) -> dict[str, SentRecord]:
    """eSMS lists no RequestId: the earliest message of the window to the phone under this
    campaign name is ours (one message per phone, channel and campaign)."""
    wanted = set(phones)
    found: dict[str, SentRecord] = {}
    for row in window:
        if row.phone in wanted and row.sms_id and row.campaign in (None, campaign_name[:254]):
            found.setdefault(row.phone, row)
    return found


async def find_sent(
    client: EsmsClient, ctx: CampaignContext, channel: Channel, phones: Iterable[str],
    since: datetime, until: datetime,
) -> dict[str, SentRecord]:
    """The messages eSMS holds for these phones, created between `since` and `until` (VN time)."""
    wanted = list(phones)
    if not wanted:
        return {}
    window = await sent_window(client, sms_type_of(ctx, channel), since - WINDOW_MARGIN, until + WINDOW_MARGIN)
    return match_ours(wanted, window, ctx.campaign_name)
