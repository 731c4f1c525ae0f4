"""Finalize a campaign in the ledger and build its report files and artifact payloads.

Publishing to Prefect is the caller's business (`flows/tasks/report.py`); this module only
computes, so `zns report ID` can rebuild the same report without a flow run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from zns.ledger import Ledger
from zns.report import CampaignMeta, CampaignSummary, render_markdown, state_reason_table, write_workbook


@dataclass(slots=True)
class ReportFiles:
    workbook: Path | None  # None: `read_report` found no workbook written yet
    markdown: str
    table: list[dict[str, Any]]
    summary: dict[str, Any]  # the CLI's one-line JSON summary
    error_workbook: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _meta(campaign_id: str, meta: dict[str, Any]) -> CampaignMeta:
    started = meta.get("started_at")
    finished = meta.get("finished_at")
    return CampaignMeta(
        campaign_id=campaign_id,
        campaign_name=str(meta.get("campaign_name") or campaign_id),
        template_id=str(meta.get("template_id") or ""),
        oa_id=str(meta.get("oa_id") or ""),
        started_at=started if isinstance(started, datetime) else None,
        finished_at=finished if isinstance(finished, datetime) else None,
        dry_run=bool(meta.get("dry_run")),
    )


def _dry_run(ledger: Ledger, campaign_id: str, meta: dict[str, Any]) -> bool:
    """Rebuilt later (zns report, reconcile): the stored parameters say whether it was a dry run."""
    if "dry_run" in meta:
        return bool(meta["dry_run"])
    params = (ledger.campaign(campaign_id) or {}).get("params_json") or {}
    return bool(params.get("dry_run"))


def _markdown(summary: CampaignSummary, meta: dict[str, Any]) -> str:
    markdown = render_markdown(summary)
    preflight = meta.get("preflight")
    if isinstance(preflight, dict):
        markdown += (
            "\n\n### Kiểm tra trước khi gửi (preflight)\n\n"
            f"- Quota ZNS còn lại / trong ngày: {preflight.get('quota_remaining')} / "
            f"{preflight.get('quota_daily')}\n"
            f"- Số dư (balance): {float(preflight.get('balance') or 0):,.0f} VND\n"
            f"- Chi phí ZNS ước tính (estimated ZNS cost): "
            f"{float(preflight.get('estimated_zns_cost') or 0):,.0f} VND\n"
        )
        if preflight.get("problem"):
            markdown += f"- **Dừng (stopped):** {preflight['problem']}\n"
    return markdown


def workbook_path(out_dir: Path, campaign_id: str) -> Path:
    return out_dir / f"report-{campaign_id}.xlsx"


def build_report(
    ledger: Ledger,
    campaign_id: str,
    meta: dict[str, Any],
    out_dir: Path,
    error_workbook: Path | None,
) -> ReportFiles:
    """Give every row its final state, then write the workbook; totals are checked to add up."""
    dry_run = _dry_run(ledger, campaign_id, meta)
    ledger.finalize(campaign_id, dry_run=dry_run)
    outcomes = ledger.outcomes(campaign_id, dry_run=dry_run)
    summary = CampaignSummary.from_outcomes(outcomes, _meta(campaign_id, {**meta, "dry_run": dry_run}))
    out_dir.mkdir(parents=True, exist_ok=True)
    workbook = write_workbook(summary, outcomes, workbook_path(out_dir, campaign_id))
    return ReportFiles(
        workbook=workbook,
        markdown=_markdown(summary, meta),
        table=state_reason_table(summary),
        summary=summary.as_json_line_dict(workbook),
        error_workbook=error_workbook,
    )


def read_report(ledger: Ledger, campaign_id: str, meta: dict[str, Any], out_dir: Path) -> ReportFiles:
    """The same report computed from the ledger without writing anything (`zns report`)."""
    dry_run = _dry_run(ledger, campaign_id, meta)
    outcomes = ledger.outcomes(campaign_id, dry_run=dry_run)
    summary = CampaignSummary.from_outcomes(outcomes, _meta(campaign_id, {**meta, "dry_run": dry_run}))
    existing = workbook_path(out_dir, campaign_id)
    workbook = existing if existing.exists() else None
    return ReportFiles(workbook=workbook, markdown=_markdown(summary, meta), table=state_reason_table(summary),
                       summary=summary.as_json_line_dict(workbook))
