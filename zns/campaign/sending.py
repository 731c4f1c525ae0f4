"""ZNS and SMS sends for one batch: claim in the ledger, send, record every answer.

The ledger claim happens before the HTTP call and the RequestId comes from the claim, so a
crash anywhere here can at worst leave a claim that a later run resends under the same
RequestId (eSMS answers 124: nothing reaches the phone twice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from esms import BulkItem, EsmsClient, EsmsConfigError, EsmsError, EsmsTransientError
from esms.codes import ResultClass, esms_code
from esms.models import SendResult
from zns.campaign.context import CampaignContext
from zns.ledger import Ledger, SendRecord
from zns.outcomes import Channel

# Per-item transient answers inside a bulk (e.g. 160) are resent this many times in the batch.
ITEM_RETRIES = 2


@dataclass(slots=True)
class BatchStats:
    """Small, serialisable summary of one batch, for progress and Prefect task results."""

    index: int = 0
    claimed: int = 0
    skipped: int = 0  # already handled by an earlier run
    accepted: int = 0
    duplicates: int = 0  # 124: an earlier attempt had already reached eSMS
    rejected: int = 0
    ambiguous: int = 0
    codes: dict[str, int] = field(default_factory=dict)

    def count(self, code: str) -> None:
        self.codes[code] = self.codes.get(code, 0) + 1


def _record(result: SendResult, price: float | None = None) -> SendRecord:
    return SendRecord(
        phone=result.phone,
        code=result.code or "NO_RESULT",
        sms_id=result.sms_id,
        price=price,
        error_message=result.error_message,
    )


def _tally(stats: BatchStats, records: Sequence[SendRecord]) -> None:
    for rec in records:
        stats.count(rec.code)
        cls = esms_code(rec.code).result_class
        if rec.code == "124":
            stats.duplicates += 1
            stats.accepted += 1
        elif cls is ResultClass.ACCEPTED:
            stats.accepted += 1
        elif cls is ResultClass.TRANSIENT or rec.code in ("TIMEOUT", "HTTP_5XX", "NO_RESULT"):
            stats.ambiguous += 1
        else:
            stats.rejected += 1


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
    claims = ledger.claim(
        ctx.campaign_id,
        list(params_of),
        Channel.ZNS,
        ctx.claimed_by,
        reclaim_ambiguous=True,
    )
    stats.claimed = len(claims)
    stats.skipped = len(params_of) - len(claims)
    pending = [BulkItem(c.phone, params_of[c.phone], c.request_id) for c in claims]
    for attempt in range(ITEM_RETRIES + 1):
        if not pending:
            break
        try:
            result = await client.send_zns_bulk(
                pending,
                oa_id=ctx.oa_id,
                template_id=ctx.template_id,
                campaign=ctx.campaign_name,
                sandbox=ctx.sandbox,
            )
        except EsmsConfigError:
            ledger.release(ctx.campaign_id, Channel.ZNS, [i.phone for i in pending])
            raise
        except EsmsTransientError:
            ledger.mark_ambiguous(ctx.campaign_id, Channel.ZNS, [i.phone for i in pending])
            raise
        except EsmsError:
            ledger.release(ctx.campaign_id, Channel.ZNS, [i.phone for i in pending])
            raise
        retry_phones = {
            r.phone
            for r in result.items
            if r.result_class is ResultClass.TRANSIENT and attempt < ITEM_RETRIES
        }
        records = [_record(r, price) for r in result.items if r.phone not in retry_phones]
        ledger.record_send_results(ctx.campaign_id, Channel.ZNS, records)
        _tally(stats, records)
        config = next((r for r in result.items if r.result_class is ResultClass.CONFIG), None)
        if config is not None:
            info = config.info
            raise EsmsConfigError(
                f"Send_zns_bulk_v4_post_json: {info.code} {config.error_message or info.en} — {info.vi}",
                endpoint="Send_zns_bulk_v4_post_json",
                info=info,
            )
        pending = [i for i in pending if i.phone in retry_phones]
        if pending:
            await asyncio.sleep(client.retry.delay(attempt))
    return stats


async def send_sms_batch(
    client: EsmsClient,
    ledger: Ledger,
    ctx: CampaignContext,
    texts: dict[str, str],
    *,
    brandname: str,
    concurrency: int = 16,
    index: int = 0,
) -> BatchStats:
    """Send CSKH SMS (one request each, bounded concurrency) to phones with their final texts."""
    stats = BatchStats(index=index)
    claims = ledger.claim(
        ctx.campaign_id,
        list(texts),
        Channel.SMS,
        ctx.claimed_by,
        texts=texts,
        reclaim_ambiguous=True,
    )
    stats.claimed = len(claims)
    stats.skipped = len(texts) - len(claims)
    gate = asyncio.Semaphore(concurrency)
    config_error: EsmsConfigError | None = None

    async def one(phone: str, request_id: str) -> SendRecord | None:
        nonlocal config_error
        if config_error is not None:
            return None
        async with gate:
            if config_error is not None:
                return None
            try:
                result = await client.send_sms(
                    phone,
                    texts[phone],
                    brandname=brandname,
                    request_id=request_id,
                    campaign=ctx.campaign_name,
                    sandbox=ctx.sandbox,
                )
            except EsmsConfigError as exc:
                config_error = exc
                return None
            except EsmsTransientError as exc:
                return SendRecord(phone=phone, code=exc.code or "TIMEOUT", error_message=str(exc))
            except EsmsError as exc:
                return SendRecord(
                    phone=phone,
                    code=exc.code or "REJECTED",
                    result_class=ResultClass.PERMANENT,
                    error_message=str(exc),
                )
            return _record(result)

    answers = await asyncio.gather(*(one(c.phone, c.request_id) for c in claims))
    records = [a for a in answers if a is not None]
    ambiguous = [r.phone for r in records if r.code in ("TIMEOUT", "HTTP_5XX")]
    done = [r for r in records if r.phone not in set(ambiguous)]
    ledger.record_send_results(ctx.campaign_id, Channel.SMS, done)
    if ambiguous:
        ledger.mark_ambiguous(ctx.campaign_id, Channel.SMS, ambiguous)
    _tally(stats, records)
    if config_error is not None:
        unanswered = [c.phone for c, a in zip(claims, answers, strict=True) if a is None]
        ledger.release(ctx.campaign_id, Channel.SMS, unanswered)
        raise config_error
    return stats
