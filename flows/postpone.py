"""The rest of a postponed campaign (quiet hours, today's quota spent): a run of the same
campaign scheduled on the `zns-campaign` deployment for the next opening (zns/campaign/window.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from zns.campaign import lifecycle
from zns.campaign.lifecycle import CampaignStatus
from zns.campaign.reimport_spec import stored_spec
from zns.campaign.waiting import campaign_wait
from zns.campaign.window import Postponement, window_for
from zns.ledger import Ledger
from zns.orchestration.deployments import DeployError, schedule_campaign
from zns.spec import CampaignSpec
from zns.timeutil import VN


def continuation_spec(spec: CampaignSpec, campaign_id: str, run_day: date, later: Postponement) -> CampaignSpec:
    """The same campaign, and for a recurring one the same day's rows: its date filter is moved
    back by the days the continuation runs later."""
    days = (later.until.astimezone(VN).date() - run_day).days if later.until is not None else 0
    update: dict[str, object] = {"campaign_id": campaign_id, "send_at": None}
    if spec.date_filter is not None and days:
        update["date_filter"] = spec.date_filter.model_copy(
            update={"days_ahead": spec.date_filter.days_ahead - days})
    return spec.model_copy(update=update)


def continue_later(spec: CampaignSpec, campaign_id: str, run_day: date, later: Postponement) -> str:
    """Schedule the continuation (one per campaign and time, however often asked); the line says
    when, or that the operator runs the campaign again then (no deployment to schedule it on)."""
    if later.until is None:
        return later.line()
    key = f"zns-continue-{campaign_id}-{later.until:%Y%m%dT%H%M}"
    try:
        run = schedule_campaign(continuation_spec(spec, campaign_id, run_day, later), later.until, key=key,
                                postponed=later.line())
    except DeployError as exc:
        return f"{later.line()}; chạy lại chiến dịch lúc đó (run the campaign again then: {exc})"
    return f"{later.line()}; flow run {run.id}"


def postpone_late_refusals(ledger: Ledger, campaign_id: str) -> str | None:
    """A refusal for now settled after its run ended (a late -133, -144): the continuation the run
    would have scheduled, and the campaign "postponed"; the line, or None when nothing waits."""
    row = ledger.campaign(campaign_id)
    if row is None or row.dry_run or lifecycle.status_of(row) is not CampaignStatus.COMPLETED \
            or not ledger.waiting(campaign_id):
        return None
    try:
        spec = stored_spec(ledger, campaign_id)
        later = campaign_wait(ledger, campaign_id, window_for(spec), datetime.now(UTC))
    except ValueError as exc:  # the stored SPEC no longer validates: the operator runs it again
        return f"ZNS tạm bị từ chối chờ gửi lại; chạy lại chiến dịch để gửi ({exc})"
    if later is None:
        return None
    line = continue_later(spec, campaign_id, row.created_at.astimezone(VN).date(), later)
    lifecycle.postpone(ledger, campaign_id, line)
    return line
