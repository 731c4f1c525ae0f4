"""Campaign report domain (pure Python, no Prefect): totals, artifact payloads, workbook.

The flow's publish step calls ``CampaignSummary.from_outcomes`` once, then hands
``render_markdown`` / ``state_reason_table`` to Prefect artifacts and ``write_workbook`` to
the link artifact; ``as_json_line_dict`` is the CLI's ``--json`` line.
"""

from zns.report.markdown import progress_markdown, render_markdown, state_reason_table
from zns.report.summary import (
    JSON_LINE_KEYS,
    CampaignMeta,
    CampaignSummary,
    ReasonCount,
    ReportInvariantError,
    reason_label,
)
from zns.report.workbook import (
    SHEET_ERRORS,
    SHEET_RECIPIENTS,
    SHEET_SUMMARY,
    write_workbook,
)

__all__ = [
    "JSON_LINE_KEYS",
    "SHEET_ERRORS",
    "SHEET_RECIPIENTS",
    "SHEET_SUMMARY",
    "CampaignMeta",
    "CampaignSummary",
    "ReasonCount",
    "ReportInvariantError",
    "progress_markdown",
    "reason_label",
    "render_markdown",
    "state_reason_table",
    "write_workbook",
]
