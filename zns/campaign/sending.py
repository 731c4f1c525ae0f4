"""ZNS and SMS sends for one batch: claim in the ledger, send, record every answer.

The ledger claim happens before the HTTP call and the RequestId comes from the claim, so a
crash anywhere here can at worst leave a claim that a later run resends under the same
RequestId (eSMS answers 124: nothing reaches the phone twice). What each answer means is
`zns.policy`'s decision; a recipient a bulk answer left out is looked up at eSMS, and only
what eSMS does not know is resent, under the same RequestId.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from esms import BulkItem, EsmsClient, EsmsConfigError, EsmsError, EsmsTransientError
from esms.models import SendResult
from zns import policy
from zns.campaign.context import CampaignContext
from zns.campaign.lookup import find_sent
from zns.ledger import Claim, Ledger, SendRecord
from zns.outcomes import Channel
from zns.timeutil import vn_now

# Per-item answers without evidence (160 in a bulk, left out of `detail`) are resent this many
# times in the batch, under the same RequestId.
ITEM_RETRIES = 2
BULK_OP = "Send_zns_bulk_v4_post_json"

log = logging.getLogger("zns.sending")


@dataclass(slots=True)
class BatchStats:
    """Small, serialisable summary of one batch, for progress and Prefect task results."""

    index: int = 0
    claimed: int = 0
    skipped: int = 0  # already handled by an earlier run
    accepted: int = 0
    duplicates: int = 0  # 124: an earlier attempt had already reached eSMS
    rejected: int = 0
    ambiguous: int = 0  # still without evidence when the batch ended: a re-run resends them
    found: int = 0  # left out of a bulk answer, then found at eSMS by GetSmsSentData_V2
    waiting: int = 0  # refused for now (-133 night, -144/-147 quota): resent at the next opening
    codes: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: policy.SendOutcome) -> None:
        self.codes[outcome.code] = self.codes.get(outcome.code, 0) + 1
        if outcome.accepted:
            self.accepted += 1
            self.duplicates += outcome.duplicate
        elif outcome.unanswered:
            self.ambiguous += 1
        elif outcome.waiting:
            self.waiting += 1
        else:
            self.rejected += 1


def _record(result: SendResult, price: float | None = None) -> SendRecord:
    return SendRecord(result.phone, result.code or policy.NO_ANSWER, sms_id=result.sms_id, price=price,
                      error_message=result.error_message)


def _record_all(ledger: Ledger, ctx: CampaignContext, channel: Channel, records: Sequence[SendRecord],
                stats: BatchStats) -> None:
    ledger.record_send_results(ctx.campaign_id, channel, records)
    for rec in records:
        stats.add(policy.send_outcome(rec.code, rec.result_class))


async def _found_at_esms(client: EsmsClient, ctx: CampaignContext, phones: Iterable[str], since: datetime,
                         price: float | None) -> list[SendRecord]:
    """Unanswered recipients that eSMS did take: accepted with their SMSID (no resend needed)."""
    try:
        found = await find_sent(client, ctx, Channel.ZNS, phones, since, vn_now())
    except EsmsError as exc:  # the resend under the same RequestId is safe anyway
        log.warning("lookup of unanswered recipients failed (%s); resending them", exc)
        return []
    return [
        SendRecord(phone, "100", sms_id=row.sms_id, price=row.price or price,
                   error_message="found in GetSmsSentData_V2: the bulk answer left it out")
        for phone, row in found.items()
    ]


def _config_stop(results: Sequence[SendResult]) -> EsmsConfigError | None:
    for r in results:
        outcome = policy.send_outcome(r.code)
        if outcome.stops_campaign:
            info = outcome.info
            return EsmsConfigError(f"{BULK_OP}: {info.code} {r.error_message or info.en} — {info.vi}",
                                   endpoint=BULK_OP, info=info)
    return None


async def _bulk(client: EsmsClient, ledger: Ledger, ctx: CampaignContext, items: list[BulkItem]) -> list[SendResult]:
    """One bulk request; a whole-request failure leaves the claims in the state the policy says."""
    phones = [i.phone for i in items]
    try:
        result = await client.send_zns_bulk(items, oa_id=ctx.oa_id, template_id=ctx.template_id,
                                            campaign=ctx.campaign_name, sandbox=ctx.sandbox)
    except EsmsTransientError:
        ledger.mark_ambiguous(ctx.campaign_id, Channel.ZNS, phones)  # it may have been processed
        raise
    except EsmsError:
        ledger.release(ctx.campaign_id, Channel.ZNS, phones)  # refused as a whole: nothing sent
        raise
    return result.items


async def send_zns_batch(
    client: EsmsClient,
    ledger: Ledger,
    ctx: CampaignContext,
    recipients: Sequence[tuple[str, Sequence[str]]],
    *,
    index: int = 0,
    price: float | None = None,
) -> BatchStats:
    """Send one batch (≤ 500 phones with their positional params) through the bulk endpoint.

    Raises EsmsConfigError (campaign must stop) after recording what was answered; raises
    EsmsTransientError when the gateway kept failing (claims are left ambiguous for a retry).
    """
    stats = BatchStats(index=index)
    params_of = dict(recipients)
    since = vn_now()
    claims = ledger.claim(ctx.campaign_id, list(params_of), Channel.ZNS, ctx.claimed_by, reclaim_ambiguous=True)
    stats.claimed, stats.skipped = len(claims), len(params_of) - len(claims)
    pending = [BulkItem(c.phone, params_of[c.phone], c.request_id) for c in claims]
    for attempt in range(ITEM_RETRIES + 1):
        if not pending:
            break
        results = await _bulk(client, ledger, ctx, pending)
        last = attempt == ITEM_RETRIES
        retry = {r.phone for r in results if policy.send_outcome(r.code or policy.NO_ANSWER).unanswered and not last}
        missing = [r.phone for r in results if r.phone in retry and not r.code]
        found = await _found_at_esms(client, ctx, missing, since, price) if missing else []
        stats.found += len(found)
        retry -= {f.phone for f in found}
        records = [_record(r, price) for r in results if r.phone not in retry]
        done = {f.phone for f in found}
        _record_all(ledger, ctx, Channel.ZNS, [r for r in records if r.phone not in done] + found, stats)
        stop = _config_stop(results)
        if stop is not None:
            raise stop
        pending = [i for i in pending if i.phone in retry]
        if pending:
            await asyncio.sleep(client.retry.delay(attempt))
    return stats


async def _one_sms(client: EsmsClient, claim: Claim, text: str, ctx: CampaignContext,
                   brandname: str) -> SendRecord:
    try:
        result = await client.send_sms(claim.phone, text, brandname=brandname, request_id=claim.request_id,
                                       campaign=ctx.campaign_name, sandbox=ctx.sandbox)
    except EsmsError as exc:
        outcome = policy.error_outcome(exc)
        return SendRecord(claim.phone, outcome.code, result_class=outcome.result_class, error_message=str(exc))
    return _record(result)


async def send_sms_batch(
    client: EsmsClient,
    ledger: Ledger,
    ctx: CampaignContext,
    texts: dict[str, str],
    *,
    brandname: str,
    concurrency: int = 16,
    index: int = 0,
    stale_before: datetime | None = None,
) -> BatchStats:
    """Send CSKH SMS (one request each, bounded concurrency) to phones with their final texts.

    A claim left by a crashed run is taken again and resent under its RequestId: eSMS answers
    124 for the ones that went out, whose SMSID the delivery sweep then recovers. Only claims
    made before `stale_before` are taken over (default now: a campaign re-run takes every
    unanswered claim; reconcile passes an older time so a live run keeps its fresh claims).
    An answer-less send is resent in the batch, under the same RequestId, ITEM_RETRIES times."""
    stats = BatchStats(index=index)
    claims = ledger.claim(ctx.campaign_id, list(texts), Channel.SMS, ctx.claimed_by, texts=texts,
                          reclaim_ambiguous=True, stale_before=stale_before)
    stats.claimed, stats.skipped = len(claims), len(texts) - len(claims)
    gate = asyncio.Semaphore(concurrency)
    stop: list[EsmsConfigError] = []

    async def one(claim: Claim) -> SendRecord | None:
        async with gate:
            if stop:
                return None  # the campaign is stopping: this claim is released, never sent
            record = await _one_sms(client, claim, texts[claim.phone], ctx, brandname)
            if policy.send_outcome(record.code, record.result_class).stops_campaign:
                stop.append(EsmsConfigError(record.error_message or record.code, endpoint="SendMultipleMessage_V4",
                                            info=policy.code_info(record.code)))
            return record

    pending = list(claims)
    for attempt in range(ITEM_RETRIES + 1):
        answers = await asyncio.gather(*(one(c) for c in pending))
        last = attempt == ITEM_RETRIES or bool(stop)
        retry = [c for c, a in zip(pending, answers, strict=True) if a is not None and not last
                 and policy.send_outcome(a.code, a.result_class).unanswered]
        again = {c.phone for c in retry}
        _record_all(ledger, ctx, Channel.SMS, [a for a in answers if a is not None and a.phone not in again], stats)
        if stop:
            unsent = [c.phone for c, a in zip(pending, answers, strict=True) if a is None]
            ledger.release(ctx.campaign_id, Channel.SMS, unsent)
            raise stop[0]
        if not retry:
            break
        pending = retry  # no answer (160, 5xx, timeout): resent under the same RequestId
        await asyncio.sleep(client.retry.delay(attempt))
    return stats
