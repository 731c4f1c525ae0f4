"""The approval gate: when a campaign must wait for a person, and what that person reads.

Plain Python (no Prefect): `flows/approval.py` pauses the flow run with these texts, the campaign
page shows them. Texts are Vietnamese with a stable English code beside every reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from esms.models import ZnsTemplate
from zns.campaign.preflight import Preflight
from zns.campaign.prepare import PreflightInput, dry_run_lines
from zns.recipients import ValidationResult
from zns.spec import ApprovalSpec
from zns.timeutil import VN

APPROVAL_REQUIRED = "APPROVAL_REQUIRED"
ABOVE_RECIPIENTS = "ABOVE_RECIPIENTS"
ABOVE_COST = "ABOVE_COST"
APPROVED = "APPROVED"
REJECTED = "REJECTED"
APPROVAL_TIMEOUT = "APPROVAL_TIMEOUT"
APPROVAL_CANCELLED = "APPROVAL_CANCELLED"
PAUSE_KEY = "approval"  # the run's one pause: a retry of the run finds the same decision
INPUT_PREFIX = f"paused-{PAUSE_KEY}"  # Prefect keys the pause's inputs "<state name>-<pause key>-…"


@dataclass(frozen=True, slots=True)
class ApprovalReason:
    """Why a run waits: the codes of every threshold it crossed and one line saying so."""

    codes: tuple[str, ...]
    text: str

    def __str__(self) -> str:
        return self.text


def total_cost(check: Preflight) -> float:
    """The most the run can cost: every ZNS plus an SMS fallback for every recipient."""
    return check.estimated_zns_cost + check.estimated_sms_cost_max


def needs_approval(approval: ApprovalSpec | None, recipients: int, check: Preflight) -> ApprovalReason | None:
    """None when the run may send at once; else the thresholds crossed ("above" is strictly greater)."""
    if approval is None:
        return None
    codes: list[str] = []
    parts: list[str] = []
    if approval.above_recipients is not None and recipients > approval.above_recipients:
        codes.append(ABOVE_RECIPIENTS)
        parts.append(f"{recipients:,} người nhận vượt ngưỡng {approval.above_recipients:,} ({ABOVE_RECIPIENTS})")
    cost = total_cost(check)
    if approval.above_cost is not None and cost > approval.above_cost:
        codes.append(ABOVE_COST)
        parts.append(f"chi phí tối đa {cost:,.0f} VND vượt ngưỡng {approval.above_cost:,.0f} VND ({ABOVE_COST})")
    if not codes:
        return None
    return ApprovalReason(tuple(codes), "; ".join(parts))


def approval_lines(reason: ApprovalReason, validation: ValidationResult, check: Preflight, template: ZnsTemplate,
                   pre: PreflightInput, timeout_hours: float) -> list[str]:
    """What the approver reads: why, counts, cost per channel, quota, balance, one ZNS and one SMS."""
    lines = [
        f"Lý do chờ duyệt ({APPROVAL_REQUIRED}): {reason.text}",
        f"Số dòng (rows): {len(validation.valid) + len(validation.invalid):,}; hợp lệ (valid): "
        f"{len(validation.valid):,}; lỗi (invalid): {len(validation.invalid):,}; "
        f"sẽ gửi ZNS (to send): {pre.to_send:,}",
        f"Chi phí tối đa (cost at most): {total_cost(check):,.0f} VND",
    ]
    # the dry run's own lines for quota, balance, cost per channel and the previews (not its header)
    lines += dry_run_lines(validation, check, template, pre)[1:]
    lines.append(f"Chờ duyệt tối đa (timeout): {timeout_hours:g} giờ; quá hạn thì không gửi tin nào "
                 f"({APPROVAL_TIMEOUT})")
    return lines


def approval_markdown(campaign_name: str, campaign_id: str, lines: list[str]) -> str:
    """The summary as markdown: the approval artifact and the text above Prefect's resume form."""
    body = "\n".join(f"- {line}" for line in lines)
    return (f"## Chờ duyệt ({APPROVAL_REQUIRED}): {campaign_name}\n\n"
            f"Mã chiến dịch (campaign id): `{campaign_id}`\n\n{body}\n")


def summary_items(markdown: str) -> list[str]:
    """The bullet lines of `approval_markdown` back as plain lines (what the campaign page lists)."""
    return [line[2:] for line in markdown.splitlines() if line.startswith("- ")]


def _note(note: str) -> str:
    return note.strip() or "không có ghi chú"


def rejected_text(note: str) -> str:
    return f"Bị từ chối ({REJECTED}): {_note(note)}; không gửi tin nào"


def timeout_text(timeout_hours: float | None = None) -> str:
    within = f" trong {timeout_hours:g} giờ" if timeout_hours is not None else " kịp hạn"
    return f"Hết hạn duyệt ({APPROVAL_TIMEOUT}): không ai duyệt{within}; không gửi tin nào"


def cancelled_text(message: str | None) -> str:
    """The run was cancelled (Prefect UI, the page's cancel) while it waited for approval."""
    why = f" ({' '.join(message.split())})" if message and message.strip() else ""
    return f"Đã huỷ khi chờ duyệt ({APPROVAL_CANCELLED}){why}; không gửi tin nào"


def approved_text(note: str, at: datetime | None) -> str:
    """Prefect records no approver, so the note says who; the time is when the run resumed."""
    when = f" lúc {at.astimezone(VN):%Y-%m-%d %H:%M:%S} (giờ Việt Nam)" if at is not None else ""
    return f"Đã duyệt ({APPROVED}){when}: {_note(note)}"
