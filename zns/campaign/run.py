"""Today's part of a campaign run, decided outside the flow: what waits for a later run (quiet hours,
the quota split), which batches go today, the refusals for now that are due again, and the rule
that stops submitting batches early. Plain Python; the `zns-campaign` flow only sequences it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from esms.models import OaQuality
from zns.campaign.breaker import failure_rate_trip, quality_due, quality_trip
from zns.campaign.prepare import ZnsBatch, unsent_recipients, zns_batches, zns_batches_of
from zns.campaign.sending import BatchStats
from zns.campaign.waiting import batches_wait, reopen_due
from zns.campaign.window import Postponement, SendWindow, quiet_hours
from zns.ledger import Ledger
from zns.recipients import ValidationResult
from zns.spec import CampaignSpec

StopRule = Callable[[list[BatchStats]], Postponement | None]
QualityReader = Callable[[], OaQuality | None]


def todays_plan(window: SendWindow | None, split: tuple[int, Postponement] | None,
                now: datetime | None = None) -> Postponement | None:
    """What waits for a later run: everything during quiet hours, the rest beyond today's quota."""
    now = now or datetime.now(UTC)
    if window is not None and not window.contains(now):
        return quiet_hours(window, now)
    return split[1] if split is not None else None


def todays_batches(ledger: Ledger, spec: CampaignSpec, campaign_id: str, validation: ValidationResult,
                   later: Postponement | None, split: tuple[int, Postponement] | None) -> list[ZnsBatch]:
    """None during quiet hours; today's share of the unsent rows when the quota splits the
    campaign; else every valid row (the claims skip what an earlier run sent)."""
    if later is not None and later.code == "QUIET_HOURS":
        return []
    if split is not None:
        return zns_batches_of(unsent_recipients(ledger, campaign_id, validation)[: split[0]], spec.batch_size)
    return zns_batches(validation, spec.batch_size)


def resend_refused(ledger: Ledger, campaign_id: str, window: SendWindow | None,
                   now: datetime | None = None) -> tuple[int, int]:
    """ZNS Zalo refused for now in an earlier run (-133, -144) go again once due, before the preflight
    counts what is to send (zns/campaign/waiting.py): (sent again, out of resends)."""
    now = now or datetime.now(UTC)
    if window is not None and not window.contains(now):
        return 0, 0
    return reopen_due(ledger, campaign_id, window, now)


def stop_rule(spec: CampaignSpec, window: SendWindow | None, oa_quality: QualityReader) -> StopRule:
    """What ends today's sends early: the window closing, Zalo refusing for now (-133, -144), the
    circuit breaker (zns/campaign/breaker.py; `oa_quality` reads the OA's quality when it is due)."""
    breaker = spec.circuit_breaker
    checked: set[int] = set()

    def stop(results: list[BatchStats]) -> Postponement | None:
        now = datetime.now(UTC)
        if window is not None and not window.contains(now):
            return quiet_hours(window, now)
        if (refused := batches_wait(results, window, now)) is not None:
            return refused
        if breaker is None:
            return None
        if (trip := failure_rate_trip(breaker, results)) is not None:
            return trip
        if quality_due(breaker, len(results)) and len(results) not in checked:
            checked.add(len(results))
            return quality_trip(breaker, oa_quality())
        return None

    return stop
