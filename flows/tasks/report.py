"""Publish the campaign report as Prefect artifacts (markdown, table, link to the workbook)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from zns.campaign.reporting import ReportFiles, build_report
from zns.links import report_url
from zns.report import CampaignMeta
from zns.runtime import get_ledger
from zns.spec import slugify


@task(name="publish-report", cache_policy=NO_CACHE)
def publish_report_task(
    meta: CampaignMeta, out_dir: Path, error_workbook: Path | None, preflight: dict[str, Any] | None = None
) -> ReportFiles:
    """Keyed artifacts so data teams can follow a recurring campaign's reports over time."""
    campaign_id = meta.campaign_id
    files = build_report(get_ledger(), meta, out_dir, error_workbook, preflight)
    assert files.workbook is not None  # build_report always writes it
    key = slugify(campaign_id, 50)
    create_markdown_artifact(files.markdown, key=f"{key}-report", description="Báo cáo chiến dịch (campaign report)")
    create_table_artifact(
        files.table, key=f"{key}-states", description="Trạng thái cuối × lý do (final state × reason)"
    )
    create_link_artifact(
        report_url(files.workbook),
        link_text=f"Báo cáo Excel (workbook): {files.workbook.name}",
        key=f"{key}-workbook",
        description="Tổng quan, Người nhận, Lỗi (Summary, Recipients, Errors)",
    )
    if files.error_workbook is not None:
        create_link_artifact(
            report_url(files.error_workbook),
            link_text="Dòng lỗi để sửa và nhập lại (error rows to fix and re-import)",
            key=f"{key}-error-rows",
        )
    return files
