"""Campaigns as the ledger knows them (from the page, the CLI or a schedule), for the list and detail pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zns.campaign.lifecycle import CampaignStatus, is_final, postponed_line
from zns.ledger import CampaignRecord
from zns.outcomes import STATE_LABELS_VI, FinalState
from zns.runtime import get_ledger, report_dir

STATUS_VI = {
    CampaignStatus.RUNNING: "Đang chạy", CampaignStatus.COMPLETED: "Hoàn tất", CampaignStatus.FAILED: "Lỗi",
    CampaignStatus.CONFIG_ERROR: "Lỗi cấu hình", CampaignStatus.POSTPONED: "Hoãn, gửi tiếp sau",
    CampaignStatus.PENDING_APPROVAL: "Chờ duyệt", CampaignStatus.REJECTED: "Không được duyệt, không gửi",
    CampaignStatus.CANCELLED: "Đã huỷ",
}
NOT_STARTED = "unknown"  # no ledger row yet (a run that has not started)
COUNT_LABELS = (  # ledger summary key → Vietnamese column title
    ("rows", "Số dòng"), ("invalid", "Dòng lỗi"), ("zns_delivered", "ZNS tới"),
    ("sms_delivered", "SMS tới"), ("failed", "Thất bại"), ("unknown", "Chưa rõ"), ("pending", "Đang chờ"),
)
LIST_LIMIT = 500
ERROR_ROWS_FILE = "error-rows.xlsx"  # the workbook the operator corrects and re-imports


@dataclass(frozen=True, slots=True)
class CampaignView:
    """One campaign row with its counts and report files."""

    campaign_id: str
    record: CampaignRecord | None
    counts: dict[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    ratings: tuple[int, float | None] = (0, None)  # count and average stars (ZNS/GetRating)
    reasons: tuple[tuple[str, str, str, int], ...] = ()  # (state label, code, reason, rows), largest first

    @property
    def status(self) -> str:
        return self.record.status if self.record is not None else NOT_STARTED

    @property
    def status_vi(self) -> str:
        return STATUS_VI[CampaignStatus(self.status)] if self.record is not None else "Chưa bắt đầu"

    @property
    def final(self) -> bool:
        """Its last run ended (the page stops polling when no flow run says otherwise)."""
        return is_final(self.record)

    @property
    def name(self) -> str:
        return self.record.display_name if self.record is not None else self.campaign_id

    @property
    def postponed(self) -> str | None:
        """Why the rest of a postponed campaign waits, and until when (the run's own line)."""
        return postponed_line(self.record)

    @property
    def has_error_rows(self) -> bool:
        """Invalid rows or their workbook: the page then offers "Nhập lại các dòng đã sửa"."""
        return self.record is not None and (bool(self.counts.get("invalid")) or ERROR_ROWS_FILE in self.files)


def _files(campaign_id: str) -> tuple[str, ...]:
    folder: Path = report_dir(campaign_id)
    return tuple(sorted(p.name for p in folder.glob("*.xlsx"))) if folder.is_dir() else ()


def campaign_view(campaign_id: str) -> CampaignView:
    """The ledger's record, counts and the report files of one campaign (empty before it starts)."""
    ledger = get_ledger()
    record = ledger.campaign(campaign_id)
    counts = ledger.summary(campaign_id) if record is not None else {}
    if record is None:
        return CampaignView(campaign_id, record, counts, _files(campaign_id))
    reasons = tuple((STATE_LABELS_VI.get(FinalState(state), state), code, label, n)
                    for state, code, label, n in ledger.top_reasons(campaign_id))
    return CampaignView(campaign_id, record, counts, _files(campaign_id), ledger.rating_summary(campaign_id), reasons)


def list_campaigns(limit: int = LIST_LIMIT) -> list[CampaignView]:
    """Every campaign of the ledger, newest first."""
    return [campaign_view(cid) for cid in get_ledger().recent_campaign_ids(limit)]
