"""The `zns-reconcile` flow, every 15 minutes: late statuses, late fallback SMS, fresh reports.

A campaign run waits `fallback_after` seconds for the Zalo outcome; what arrives later (eSMS
keeps statuses 7 days, callbacks are dropped after 5 tries) is fetched here through the status
APIs, campaign by campaign, and the campaign's report artifacts get a new version under the same
keys. Safe to run next to a campaign run and to repeat: the ledger claim guards every SMS.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows.postpone import postpone_late_refusals
from flows.tasks.reconcile import find_campaigns_task, pull_ratings_task, reconcile_campaign_task
from flows.tasks.report import publish_report_task
from zns.campaign.reconcile import (
    RECONCILE_DAYS,
    ReconcileSummary,
    needs_report,
    report_meta,
    store_report_stats,
)
from zns.runtime import get_ledger, report_dir, worker_identity


@flow(
    name="zns-reconcile",
    description="Đối soát trạng thái ZNS/SMS 7 ngày gần nhất, gửi SMS dự phòng còn thiếu, cập nhật báo cáo "
    "(reconcile late statuses, late fallback SMS, reports)",
    validate_parameters=True,
)
def zns_reconcile(days: int = RECONCILE_DAYS, account: str | None = None) -> list[dict[str, Any]]:
    """Reconcile every campaign with non-final messages; one summary dict per campaign."""
    logger = get_run_logger()
    ledger = get_ledger()
    claimed_by = f"reconcile:{flow_run.get_id() or worker_identity()}"
    rated = pull_ratings_task(days, account)
    if rated:
        logger.info("%d đánh giá của khách hàng (ratings) cập nhật", rated)
    found = find_campaigns_task(days)
    if not found:
        logger.info("không có tin nào cần đối soát (nothing to reconcile)")
        return []
    summaries: list[ReconcileSummary] = []
    for campaign_id in found:
        summary = reconcile_campaign_task(campaign_id, account, claimed_by)
        if (line := postpone_late_refusals(ledger, campaign_id)) is not None:
            logger.info("hoãn (postponed) %s: %s", campaign_id, line)
        row = ledger.campaign(campaign_id)
        if row is not None and needs_report(summary, row):
            out_dir = report_dir(campaign_id)
            errors = out_dir / "error-rows.xlsx"
            files = publish_report_task(report_meta(row), out_dir, errors if errors.exists() else None)
            store_report_stats(ledger, campaign_id, files.summary)
            summary.report = files.summary
        (logger.error if summary.error else logger.info)("%s", summary.log_line())
        summaries.append(summary)
    return [s.as_dict() for s in summaries]
