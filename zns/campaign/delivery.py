"""Wait for the Zalo/telco outcome of accepted messages, until final or the deadline.

An eSMS 100 only means "accepted": the Zalo result (-118 no account, -114 inactive, 1001 not
online in time ...) arrives later. Each sweep reads the campaign's messages page by page from
GetSmsSentData_V2 (500 per request, SendResult 1/0/2), which also finds SMSIDs lost to a 124;
only failures (for their exact Zalo code) and stragglers are asked one by one through
QueryZnsStatus / GetSendStatus, which the client keeps under 100 requests/s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from esms import EsmsClient, EsmsError, SentRecord
from zns import policy
from zns.campaign.context import CampaignContext
from zns.campaign.lookup import match_ours, sent_window, sms_type_of
from zns.ledger import DeliveryUpdate, Ledger, MessageRow, MessageState, SendRecord
from zns.ledger.schema import utcnow
from zns.outcomes import Channel
from zns.timeutil import to_vn_naive, vn_now

STRAGGLER_LOOKUPS = 2000  # per sweep: individual lookups for messages the window did not settle
STALE_SEND_GRACE = timedelta(minutes=30)  # a claimed message is sent (or retried) within this time


@dataclass(slots=True)
class DeliveryStats:
    delivered: int = 0
    failed: int = 0
    fallback: int = 0  # failed for a fallback-eligible reason
    pending: int = 0  # still not final when the wait ended
    polls: int = 0
    lookups: int = 0  # individual status requests


async def _bounded(calls: Sequence[Callable[[], Awaitable[Any]]], limit: int) -> list[Any]:
    """Run the lookups with at most `limit` in flight; a failed lookup settles nothing."""
    gate = asyncio.Semaphore(limit)

    async def run(call: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            try:
                return await call()
            except EsmsError:
                return None

    return await asyncio.gather(*(run(c) for c in calls))


class DeliveryWatcher:
    """One sweep = one pass over the window plus individual lookups; `run` repeats until done."""

    def __init__(self, client: EsmsClient, ledger: Ledger, ctx: CampaignContext, channel: Channel,
                 since: datetime, concurrency: int = 50, *, include_unknown: bool = False) -> None:
        self.client, self.ledger, self.ctx, self.channel = client, ledger, ctx, channel
        self.since = since - timedelta(minutes=5)
        self.concurrency = concurrency
        self.sms_type = sms_type_of(ctx, channel)
        self.include_unknown = include_unknown  # reconcile: also messages a deadline gave up on

    def _pending(self) -> list[MessageRow]:
        return self.ledger.pending_delivery(self.ctx.campaign_id, self.channel, include_unknown=self.include_unknown)

    async def sweep(self, stats: DeliveryStats) -> int:
        """Settle what can be settled now; return how many messages are still pending."""
        pending = self._pending()
        if not pending:
            return 0
        window = await sent_window(self.client, self.sms_type, self.since, vn_now() + timedelta(minutes=1))
        by_id = {r.sms_id: r for r in window}
        self._recover_ids(pending, window)
        pending = self._pending()
        updates: list[DeliveryUpdate] = []
        ask: list[MessageRow] = []
        for m in pending:
            row = by_id.get(m.sms_id or "")
            update = policy.window_update(self.channel, m.phone, m.sms_id, row)
            if update is not None:
                updates.append(update)
            elif m.sms_id and policy.needs_lookup(self.channel, row):
                ask.append(m)
        ask = ask[:STRAGGLER_LOOKUPS]
        if self.channel is Channel.ZNS:
            statuses = await _bounded(
                [lambda m=m: self.client.query_zns_status(m.sms_id, self.ctx.message_type) for m in ask],
                self.concurrency,
            )
            updates += [u for m, s in zip(ask, statuses, strict=True)
                        if (u := policy.zns_status_update(m.phone, m.sms_id, s))]
        else:
            statuses = await _bounded([lambda m=m: self.client.get_send_status(m.sms_id) for m in ask],
                                      self.concurrency)
            updates += [u for m, s in zip(ask, statuses, strict=True)
                        if (u := policy.sms_status_update(m.phone, m.sms_id, s))]
        stats.lookups += len(ask)
        if updates:
            self.ledger.record_delivery(self.ctx.campaign_id, self.channel, updates)
        for u in updates:
            if u.state is MessageState.DELIVERED:
                stats.delivered += 1
            else:
                stats.failed += 1
                stats.fallback += u.fallback
        return len(pending) - len(updates)

    def _recover_ids(self, pending: Sequence[MessageRow], window: Sequence[SentRecord]) -> None:
        """A 124 answer carries no SMSID: find the earlier send by phone and campaign name."""
        missing = {m.phone for m in pending if not m.sms_id}
        if not missing:
            return
        found = {phone: row.sms_id for phone, row in match_ours(missing, window, self.ctx.campaign_name).items()}
        if found:
            self.ledger.set_sms_ids(self.ctx.campaign_id, self.channel, found)

    async def recover_stale(self, stale_before: datetime) -> tuple[int, int]:
        """Claims a crashed run left 'claimed'/'ambiguous' before `stale_before` (aware UTC):
        those eSMS lists become accepted with their SMSID; the others stay for a campaign re-run,
        which resends them under the same RequestId. Returns (recovered, still stale)."""
        stale = self.ledger.stale_claims(self.ctx.campaign_id, self.channel, stale_before)
        if not stale:
            return 0, 0
        # Upper bound: a later campaign of the same name must not lend its message to ours.
        latest = max(m.claimed_at for m in stale if m.claimed_at is not None)
        until = min(vn_now() + timedelta(minutes=1), to_vn_naive(latest) + STALE_SEND_GRACE)
        window = await sent_window(self.client, self.sms_type, self.since, until)
        found = match_ours({m.phone for m in stale}, window, self.ctx.campaign_name)
        records = [
            SendRecord(phone, "100", sms_id=row.sms_id, price=row.price or None,
                       error_message="recovered from GetSmsSentData_V2 after an interrupted send")
            for phone, row in found.items()
        ]
        if records:
            self.ledger.record_send_results(self.ctx.campaign_id, self.channel, records)
        return len(records), len(stale) - len(records)


async def recover_interrupted(client: EsmsClient, ledger: Ledger, ctx: CampaignContext, channel: Channel,
                              since: datetime) -> tuple[int, int]:
    """Before a run resends what an earlier run left unanswered, look it up at eSMS once: what
    eSMS lists is accepted as it is, only the rest is resent (same RequestId). No HTTP call
    when nothing was left unanswered."""
    if not ledger.stale_claims(ctx.campaign_id, channel, utcnow()):
        return 0, 0
    return await DeliveryWatcher(client, ledger, ctx, channel, since).recover_stale(utcnow())


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
    include_unknown: bool = False,
) -> DeliveryStats:
    """Sweep until every accepted message of the channel is final or `wait_seconds` have passed."""
    watcher = DeliveryWatcher(client, ledger, ctx, channel, since, concurrency, include_unknown=include_unknown)
    stats = DeliveryStats()
    deadline = time.monotonic() + wait_seconds
    while True:
        stats.polls += 1
        stats.pending = await watcher.sweep(stats)
        if on_poll is not None:
            on_poll(stats)
        if stats.pending == 0 or time.monotonic() >= deadline:
            return stats
        await asyncio.sleep(min(poll_interval, max(0.0, deadline - time.monotonic())))
