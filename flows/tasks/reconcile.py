"""Task wrappers for the reconcile flow: each calls one `zns.campaign.reconcile` step."""

from __future__ import annotations

from datetime import timedelta

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from esms import EsmsError
from flows.tasks._common import client_for, resolve_account, run_sync, with_client
from zns.accounts import AccountError
from zns.campaign.ratings import pull_ratings
from zns.campaign.reconcile import DEFAULT_SMS_WAIT, ReconcileSummary, campaigns_to_reconcile, reconcile_one
from zns.ledger.schema import utcnow
from zns.runtime import get_ledger


@task(name="find-campaigns-to-reconcile", cache_policy=NO_CACHE)
def find_campaigns_task(days: int) -> list[str]:
    """The campaigns with something left to settle in the last `days` days."""
    return list(campaigns_to_reconcile(get_ledger(), utcnow() - timedelta(days=days)))


@task(name="pull-ratings", cache_policy=NO_CACHE)
def pull_ratings_task(days: int, account_name: str | None) -> int:
    """Ratings given to the last `days` days' campaigns; a failed lookup is logged and decides nothing."""
    since, now = utcnow() - timedelta(days=days), utcnow()
    try:
        return with_client(resolve_account(account_name), lambda client: pull_ratings(client, get_ledger(), since, now))
    except (EsmsError, AccountError) as exc:
        get_run_logger().warning("ZNS/GetRating failed (%s); ratings are pulled again next time", exc)
        return 0


@task(name="reconcile-campaign", task_run_name="reconcile-{campaign_id}", cache_policy=NO_CACHE)
def reconcile_campaign_task(
    campaign_id: str, account_name: str | None, claimed_by: str, sms_wait: float = DEFAULT_SMS_WAIT
) -> ReconcileSummary:
    """The campaign's own account (block name in its params) first, else the flow's, else env."""
    return run_sync(lambda: reconcile_one(get_ledger(), client_for, campaign_id, claimed_by=claimed_by,
                                          default_account=account_name, sms_wait=sms_wait))
