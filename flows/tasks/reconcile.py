"""Task wrappers for the reconcile flow: each calls one `zns.campaign.reconcile` step."""

from __future__ import annotations

from datetime import timedelta

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.tasks._common import resolve_account, with_client
from zns.campaign.reconcile import (
    DEFAULT_SMS_WAIT,
    ReconcileSkipped,
    ReconcileSummary,
    campaign_account,
    campaigns_to_reconcile,
    reconcile_campaign,
)
from zns.ledger.schema import utcnow
from zns.runtime import get_ledger


@task(name="find-campaigns-to-reconcile", cache_policy=NO_CACHE)
def find_campaigns_task(days: int) -> dict[str, int]:
    """Campaign id -> number of its non-final messages claimed in the last `days` days."""
    found = campaigns_to_reconcile(get_ledger(), utcnow() - timedelta(days=days))
    return {campaign_id: len(rows) for campaign_id, rows in found.items()}


@task(name="reconcile-campaign", task_run_name="reconcile-{campaign_id}", cache_policy=NO_CACHE)
def reconcile_campaign_task(
    campaign_id: str, account_name: str | None, claimed_by: str, sms_wait: float = DEFAULT_SMS_WAIT
) -> ReconcileSummary:
    """The campaign's own account (block name in its params) first, else the flow's, else env."""
    ledger = get_ledger()
    row = ledger.campaign(campaign_id)
    if row is None:
        return ReconcileSummary(campaign_id, skipped="không có trong ledger (unknown campaign)")
    account = resolve_account(campaign_account(row) or account_name)
    try:
        return with_client(
            account,
            lambda client: reconcile_campaign(client, ledger, campaign_id, claimed_by=claimed_by, sms_wait=sms_wait),
        )
    except ReconcileSkipped as exc:
        return ReconcileSummary(campaign_id, str(row.get("name") or ""), skipped=str(exc))
