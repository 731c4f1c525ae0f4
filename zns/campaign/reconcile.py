"""Bring every non-final message of the last days to its final state (the `zns-reconcile` flow).

A campaign run stops waiting after `fallback_after`; eSMS keeps statuses 7 days and drops
callbacks after 5 tries, so a scheduled pass asks the status APIs again, starts the SMS fallback
for late ZNS failures and lets the caller republish the report. Every step goes through the
ledger (sweeps only move non-final rows, SMS sends claim first), so passes may overlap with each
other or with a campaign run and may be repeated: nothing is ever sent twice.

Interrupted sends ('claimed'/'ambiguous' older than `STALE_AFTER`) are looked up in
GetSmsSentData_V2 by phone and campaign name: found ones become accepted with their SMSID and
are then settled like any other; the others are left as they are: reconcile never sends a ZNS,
a re-run of the campaign reclaims them under the same RequestId (eSMS answers 124 if the first
attempt did arrive), and until then the report shows them as unknown with what was tried.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from esms import EsmsClient, EsmsError
from zns.accounts import AccountError
from zns.campaign import lifecycle
from zns.campaign.context import CampaignContext
from zns.campaign.delivery import DeliveryStats, DeliveryWatcher, await_delivery
from zns.campaign.fallback import prepare_fallback, sms_batches
from zns.campaign.sending import send_sms_batch
from zns.campaign.templates import load_sms_template
from zns.ledger import CampaignRecord, Ledger, MessageRow
from zns.ledger.schema import utcnow
from zns.outcomes import Channel
from zns.report import CampaignMeta
from zns.timeutil import to_vn_naive

RECONCILE_DAYS = 7  # eSMS answers status lookups for 7 days only
STALE_AFTER = timedelta(minutes=10)  # a claim this old without an answer belongs to a crashed run
DEFAULT_SMS_WAIT = 20.0  # seconds to wait for the delivery of fallback SMS sent in this pass

ClientFactory = Callable[[str | None], AbstractAsyncContextManager[EsmsClient]]


class ReconcileSkipped(ValueError):
    """The campaign cannot be reconciled (unknown row, sandbox); the message says why."""


@dataclass(slots=True)
class ReconcileSummary:
    """What one pass did for one campaign; small and JSON-friendly (flow result, logs)."""

    campaign_id: str
    campaign_name: str = ""
    settled: int = 0  # messages that reached delivered/failed in this pass
    delivered: int = 0
    failed: int = 0
    recovered: int = 0  # interrupted sends found at eSMS, now accepted
    fallback_sent: int = 0  # fallback SMS accepted by eSMS in this pass
    fallback_unfit: int = 0  # fallback rows whose SMS text does not fit the template (not sent)
    pending: int = 0  # messages still not final after the pass
    skipped: str | None = None  # why nothing was done (sandbox, unknown campaign)
    error: str | None = None  # eSMS / account problem that stopped this campaign's pass
    report: dict[str, Any] | None = None  # the republished report's one-line summary, if any

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def log_line(self) -> str:
        """One line per campaign for the flow log (English codes, Vietnamese labels)."""
        if self.skipped:
            return f"{self.campaign_id}: bỏ qua (skipped) — {self.skipped}"
        text = (
            f"{self.campaign_id}: {self.settled} tin có kết quả cuối (settled: {self.delivered} delivered, "
            f"{self.failed} failed), {self.recovered} tin gửi dở được tìm lại (recovered), "
            f"{self.fallback_sent} SMS dự phòng đã gửi (fallback_sent), {self.fallback_unfit} không vừa mẫu "
            f"(unfit), {self.pending} tin chưa có kết quả (pending)"
        )
        return text + (f" — lỗi (error): {self.error}" if self.error else "")


def campaigns_to_reconcile(ledger: Ledger, since: datetime) -> dict[str, list[MessageRow]]:
    """Campaign id -> its non-final messages claimed since `since`; campaigns whose fallback
    SMS were never claimed (a run crashed after the ZNS outcome) are included with no rows."""
    found: dict[str, list[MessageRow]] = {}
    for m in ledger.non_final_messages(since):
        found.setdefault(m.campaign_id, []).append(m)
    for campaign_id in ledger.campaigns_with_fallback_candidates(since):
        found.setdefault(campaign_id, [])
    return dict(sorted(found.items()))


def campaign_since(row: CampaignRecord) -> datetime:
    """Start of the campaign's GetSmsSentData_V2 window: its creation, as VN wall-clock time."""
    return to_vn_naive(row.created_at)


def context_for(row: CampaignRecord, claimed_by: str) -> CampaignContext:
    """The campaign's context rebuilt from its stored row; secrets were never stored there."""
    if row.message_type not in ("normal", "priority"):
        raise ReconcileSkipped(f"message_type {row.message_type!r} không hợp lệ (invalid)")
    return CampaignContext(
        campaign_id=row.campaign_id,
        campaign_name=row.display_name,
        oa_id=row.oa_id,
        template_id=row.template_id,
        message_type=row.message_type,  # type: ignore[arg-type]
        sandbox=row.sandbox,
        claimed_by=claimed_by,
        brandname=(row.fallback or {}).get("brandname") or None,
    )


def report_meta(row: CampaignRecord) -> CampaignMeta:
    """Report header for a republished report: the campaign as stored, "finished" = now."""
    return CampaignMeta(row.campaign_id, row.display_name, row.template_id, row.oa_id,
                        started_at=row.created_at, finished_at=utcnow(), dry_run=row.dry_run,
                        postponed=lifecycle.postponed_line(row))


def needs_report(summary: ReconcileSummary, row: CampaignRecord | None) -> bool:
    """Republish only when the pass changed the ledger (or no report was ever stored), so a
    campaign stuck on an unanswerable message does not get a new report every 15 minutes."""
    if summary.skipped or row is None:
        return False
    changed = summary.settled + summary.recovered + summary.fallback_sent + summary.fallback_unfit
    return changed > 0 or not row.stats


def store_report_stats(ledger: Ledger, campaign_id: str, stats: dict[str, Any]) -> None:
    """Keep the stored one-line summary (`zns report`, demo) in step; the status is re-read
    just before so a campaign run finishing meanwhile keeps its own status."""
    lifecycle.republish(ledger, campaign_id, stats)


def _add(summary: ReconcileSummary, stats: DeliveryStats) -> None:
    summary.delivered += stats.delivered
    summary.failed += stats.failed
    summary.settled = summary.delivered + summary.failed


async def reconcile_campaign(
    client: EsmsClient,
    ledger: Ledger,
    campaign_id: str,
    *,
    claimed_by: str,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    sms_wait: float = DEFAULT_SMS_WAIT,
    poll_interval: float = 2.0,
) -> ReconcileSummary:
    """One pass for one campaign: recover interrupted sends, one ZNS sweep, the fallback SMS for
    new candidates, then the SMS sweep (waiting up to `sms_wait` s when SMS were just sent).

    Raises ReconcileSkipped (unknown campaign, sandbox) and EsmsError (keys, brandname, network);
    what was recorded before the error stays recorded.
    """
    row = ledger.campaign(campaign_id)
    if row is None:
        raise ReconcileSkipped("không có trong ledger (unknown campaign)")
    ctx = context_for(row, claimed_by)
    summary = ReconcileSummary(campaign_id, ctx.campaign_name)
    if ctx.sandbox:
        raise ReconcileSkipped("chạy thử sandbox: eSMS không lưu trạng thái (sandbox)")
    since = campaign_since(row)
    stale_before = (now or utcnow()) - stale_after

    zns = DeliveryWatcher(client, ledger, ctx, Channel.ZNS, since, include_unknown=True)
    sms = DeliveryWatcher(client, ledger, ctx, Channel.SMS, since, include_unknown=True)
    for watcher in (zns, sms):
        recovered, _ = await watcher.recover_stale(stale_before)
        summary.recovered += recovered
    stats = DeliveryStats()
    await zns.sweep(stats)
    _add(summary, stats)

    fallback = row.fallback or {}
    sent_any = False
    if fallback.get("brandname") and ledger.fallback_candidates(campaign_id):
        template = await load_sms_template(client, str(fallback["brandname"]), fallback.get("sms_template_id"))
        plan = prepare_fallback(ledger, ctx, template)
        summary.fallback_unfit = len(plan.unfit)
        for i, batch in enumerate(sms_batches(plan)):
            result = await send_sms_batch(client, ledger, ctx, batch, brandname=template.brandname, index=i,
                                          stale_before=stale_before)
            summary.fallback_sent += result.accepted
            sent_any = sent_any or result.claimed > 0

    stats = DeliveryStats()
    if sent_any and sms_wait > 0:
        stats = await await_delivery(client, ledger, ctx, Channel.SMS, wait_seconds=sms_wait, since=since,
                                     poll_interval=poll_interval, include_unknown=True)
    else:
        await sms.sweep(stats)
    _add(summary, stats)
    summary.pending = ledger.pending_count(campaign_id)
    return summary


async def reconcile_one(
    ledger: Ledger,
    client_factory: ClientFactory,
    campaign_id: str,
    *,
    claimed_by: str,
    default_account: str | None = None,
    now: datetime | None = None,
    sms_wait: float = DEFAULT_SMS_WAIT,
) -> ReconcileSummary:
    """One campaign with its own account (block name in its params), else the default; an eSMS
    or account error is recorded in the summary, never raised, so a pass goes on."""
    row = ledger.campaign(campaign_id)
    name = row.display_name if row is not None else ""
    try:
        async with client_factory((row.account if row is not None else None) or default_account) as client:
            return await reconcile_campaign(client, ledger, campaign_id, claimed_by=claimed_by, now=now,
                                            sms_wait=sms_wait)
    except ReconcileSkipped as exc:
        return ReconcileSummary(campaign_id, name, skipped=str(exc))
    except (EsmsError, AccountError) as exc:
        return ReconcileSummary(campaign_id, name, error=str(exc), pending=ledger.pending_count(campaign_id))
