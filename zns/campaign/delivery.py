"""Wait for the Zalo/telco outcome of accepted messages, until final or the deadline.

An eSMS 100 only means "accepted": the Zalo result (-118 no account, -114 inactive, 1001 not
online in time ...) arrives later. Per-message lookups are rate-limited by the client
(QueryZnsStatus 100/s); messages whose SMSID was lost to a 124 are found again by the
time-window lookup GetSmsSentData_V2.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from esms import EsmsClient, EsmsError
from esms.codes import ResultClass
from zns.campaign.context import CampaignContext
from zns.ledger import DeliveryUpdate, Ledger, MessageRow, MessageState
from zns.outcomes import Channel
from zns.timeutil import vn_now

SMS_TYPES = {"normal": "25", "priority": "24"}


@dataclass(slots=True)
class DeliveryStats:
    delivered: int = 0
    failed: int = 0
    fallback: int = 0  # failed for a fallback-eligible reason
    pending: int = 0  # still not final when the wait ended
    polls: int = 0


async def _bounded(calls: Sequence[Callable[[], object]], limit: int) -> list[object]:
    gate = asyncio.Semaphore(limit)

    async def run(call: Callable[[], object]) -> object:
        async with gate:
            try:
                return await call()  # type: ignore[misc]
            except EsmsError as exc:
                return exc

    return await asyncio.gather(*(run(c) for c in calls))


async def recover_sms_ids(
    client: EsmsClient,
    ledger: Ledger,
    ctx: CampaignContext,
    channel: Channel,
    missing: Sequence[MessageRow],
    since: datetime,
) -> int:
    """Find the SMSIDs of messages answered 124 (accepted by an earlier attempt) by time window."""
    if not missing:
        return 0
    wanted = {m.phone for m in missing}
    sms_type = SMS_TYPES[ctx.message_type] if channel is Channel.ZNS else "2"
    found: dict[str, str] = {}
    page, end = 1, vn_now() + timedelta(minutes=1)
    while True:
        total, rows = await client.get_sent_data(sms_type, since - timedelta(minutes=5), end, page=page)
        for row in rows:
            if row.phone in wanted and (row.campaign in (None, ctx.campaign_name)):
                found.setdefault(row.phone, row.sms_id)
        if not rows or page * 500 >= total or len(found) == len(wanted):
            break
        page += 1
    if found:
        ledger.set_sms_ids(ctx.campaign_id, channel, found)
    return len(found)


def _zns_update(message: MessageRow, status: object) -> DeliveryUpdate | None:
    if status is None or isinstance(status, EsmsError):
        return None
    if not status.final or status.error_info is None:  # type: ignore[attr-defined]
        return None
    return DeliveryUpdate.from_error_info(
        message.phone,
        status.error_info,  # type: ignore[attr-defined]
        price=status.total_price,  # type: ignore[attr-defined]
        sms_id=message.sms_id,
    )


def _sms_update(message: MessageRow, status: object) -> DeliveryUpdate | None:
    if status is None or isinstance(status, EsmsError):
        return None
    send_status = status.send_status  # type: ignore[attr-defined]
    if send_status == 5 and status.send_success:  # type: ignore[attr-defined]
        return DeliveryUpdate(message.phone, MessageState.DELIVERED, "0", ResultClass.ACCEPTED,
                              status.total_price, message.sms_id)  # type: ignore[attr-defined]
    if send_status == 4 or (send_status == 5 and status.send_failed):  # type: ignore[attr-defined]
        return DeliveryUpdate(message.phone, MessageState.FAILED, f"SendStatus{send_status}",
                              ResultClass.PERMANENT, 0.0, message.sms_id)
    return None


async def await_delivery(
    client: EsmsClient,
    ledger: Ledger,
    ctx: CampaignContext,
    channel: Channel,
    *,
    wait_seconds: float,
    since: datetime,
    poll_interval: float = 2.0,
    concurrency: int = 50,
    on_poll: Callable[[DeliveryStats], None] | None = None,
) -> DeliveryStats:
    """Poll until every accepted message of the channel is final or `wait_seconds` have passed."""
    stats = DeliveryStats()
    deadline = time.monotonic() + wait_seconds
    recovered_once = False
    while True:
        pending = ledger.pending_delivery(ctx.campaign_id, channel)
        missing = [m for m in pending if not m.sms_id]
        if missing and not recovered_once:
            await recover_sms_ids(client, ledger, ctx, channel, missing, since)
            recovered_once = True
            pending = ledger.pending_delivery(ctx.campaign_id, channel)
        queryable = [m for m in pending if m.sms_id]
        stats.pending = len(pending)
        if not pending:
            break
        stats.polls += 1
        if channel is Channel.ZNS:
            statuses = await _bounded(
                [lambda m=m: client.query_zns_status(m.sms_id, ctx.message_type) for m in queryable],
                concurrency,
            )
            updates = [_zns_update(m, s) for m, s in zip(queryable, statuses, strict=True)]
        else:
            statuses = await _bounded(
                [lambda m=m: client.get_send_status(m.sms_id) for m in queryable], concurrency
            )
            updates = [_sms_update(m, s) for m, s in zip(queryable, statuses, strict=True)]
        final = [u for u in updates if u is not None]
        if final:
            ledger.record_delivery(ctx.campaign_id, channel, final)
            for u in final:
                if u.state is MessageState.DELIVERED:
                    stats.delivered += 1
                else:
                    stats.failed += 1
                    if u.result_class is ResultClass.FALLBACK:
                        stats.fallback += 1
        stats.pending = len(pending) - len(final)
        if on_poll is not None:
            on_poll(stats)
        if stats.pending == 0 or time.monotonic() >= deadline:
            break
        missing_now = [m for m in pending if not m.sms_id]
        if missing_now and len(missing_now) == stats.pending:
            recovered_once = False  # only SMSID-less messages left: look them up again
        await asyncio.sleep(min(poll_interval, max(0.0, deadline - time.monotonic())))
    return stats
