"""Finalize a campaign in the ledger and build its report files and artifact payloads.

Publishing to Prefect is the caller's business (`flows/tasks/report.py`); this module only
computes, so `zns report ID` can rebuild the same report without a flow run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zns.campaign import lifecycle
from zns.ledger import CampaignRecord, Ledger
from zns.report import CampaignMeta, CampaignSummary, render_markdown, state_reason_table, write_workbook
from zns.report.days import day_progress


@dataclass(slots=True)
class ReportFiles:
    workbook: Path | None  # None: `read_report` found no workbook written yet
    markdown: str
    table: list[dict[str, Any]]
    summary: dict[str, Any]  # the CLI's one-line JSON summary
    error_workbook: Path | None = None


def _markdown(summary: CampaignSummary, preflight: dict[str, Any] | None) -> str:
    markdown = render_markdown(summary)
    if preflight:
        markdown += (
            "\n\n### Kiểm tra trước khi gửi (preflight)\n\n"
            f"- Quota ZNS còn lại / trong ngày: {preflight.get('quota_remaining')} / "
            f"{preflight.get('quota_daily')}\n"
            f"- Số dư (balance): {float(preflight.get('balance') or 0):,.0f} VND\n"
            f"- Chi phí ZNS ước tính (estimated ZNS cost): "
            f"{float(preflight.get('estimated_zns_cost') or 0):,.0f} VND\n"
            f"- Chi phí SMS dự phòng tối đa (estimated SMS fallback cost, at most): "
            f"{float(preflight.get('estimated_sms_cost_max') or 0):,.0f} VND\n"
        )
        if preflight.get("approval"):
            markdown += f"- Duyệt (approval): {preflight['approval']}\n"
        if preflight.get("problem"):
            markdown += f"- **Dừng (stopped):** {preflight['problem']}\n"
    return markdown


def _ratings(ledger: Ledger, campaign_id: str) -> str:
    count, average = ledger.rating_summary(campaign_id)
    if not count or average is None:
        return ""
    return f"\n\n### Đánh giá của khách hàng (ratings)\n\n- {count} lượt đánh giá, trung bình {average:.1f} / 5 sao\n"


def _with_days(ledger: Ledger, summary: CampaignSummary) -> CampaignSummary:
    """The summary with its per-day progress (shown when the campaign went out over several days)."""
    return replace(summary, days=day_progress(ledger.daily_progress(summary.meta.campaign_id)))


def workbook_path(out_dir: Path, campaign_id: str) -> Path:
    return out_dir / f"report-{campaign_id}.xlsx"


def build_report(
    ledger: Ledger,
    meta: CampaignMeta,
    out_dir: Path,
    error_workbook: Path | None,
    preflight: dict[str, Any] | None = None,
) -> ReportFiles:
    """Give every row its final state, then write the workbook; totals are checked to add up."""
    postponed = meta.postponed is not None
    ledger.finalize(meta.campaign_id, dry_run=meta.dry_run, postponed=postponed)
    outcomes = ledger.outcomes(meta.campaign_id, dry_run=meta.dry_run, postponed=postponed)
    summary = _with_days(ledger, CampaignSummary.from_outcomes(outcomes, meta))
    out_dir.mkdir(parents=True, exist_ok=True)
    workbook = write_workbook(summary, outcomes, workbook_path(out_dir, meta.campaign_id), preflight=preflight)
    return ReportFiles(
        workbook=workbook,
        markdown=_markdown(summary, preflight) + _ratings(ledger, meta.campaign_id),
        table=state_reason_table(summary),
        summary=summary.as_json_line_dict(workbook),
        error_workbook=error_workbook,
    )


def read_report(ledger: Ledger, meta: CampaignMeta, out_dir: Path) -> ReportFiles:
    """The same report computed from the ledger without writing anything (`zns report`)."""
    outcomes = ledger.outcomes(meta.campaign_id, dry_run=meta.dry_run, postponed=meta.postponed is not None)
    summary = _with_days(ledger, CampaignSummary.from_outcomes(outcomes, meta))
    existing = workbook_path(out_dir, meta.campaign_id)
    workbook = existing if existing.exists() else None
    return ReportFiles(workbook=workbook, markdown=_markdown(summary, None) + _ratings(ledger, meta.campaign_id),
                       table=state_reason_table(summary),
                       summary=summary.as_json_line_dict(workbook))


def stored_meta(record: CampaignRecord) -> CampaignMeta:
    """A report header from the campaign as stored (its last run's start and finish times)."""
    times = lifecycle.CampaignStats.from_json(record.stats).times()
    return CampaignMeta(record.campaign_id, record.display_name, record.template_id, record.oa_id,
                        started_at=times.get("started_at", record.created_at), finished_at=times.get("finished_at"),
                        dry_run=record.dry_run, postponed=lifecycle.postponed_line(record))
