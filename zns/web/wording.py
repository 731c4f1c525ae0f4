"""What the page says, in the operator's words: Vietnamese first, the stable code last, page
controls instead of SPEC fields, amounts, counts and times as Vietnamese readers write them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from zns.report.formatting import format_int, format_vnd
from zns.timeutil import VN

# SPEC field names in shared messages (CLI and page) → the page control the operator touches.
PAGE_CONTROLS = (
    ("(header_row)", "(ô «Dòng tiêu đề»)"),
    ("(phone_column)", "(dòng «Số điện thoại» trong bảng gán cột)"),
    ("(columns / sms_columns)", "(bảng gán cột của mẫu ZNS và của SMS dự phòng)"),
    ("(source)", "(ô tải file)"),
    ("(recipients)", "(bảng nhập tay)"),
)

# Prefect's run states in Vietnamese (the page shows these, never Prefect's English names).
RUN_STATES_VI = {
    "SCHEDULED": "Đã hẹn giờ", "PENDING": "Đang chờ worker nhận", "RUNNING": "Đang gửi",
    "PAUSED": "Tạm dừng chờ duyệt", "COMPLETED": "Đã xong", "FAILED": "Lỗi", "CANCELLING": "Đang huỷ",
    "CANCELLED": "Đã huỷ", "CRASHED": "Bị gián đoạn (chạy lại chiến dịch để gửi tiếp)",
}
RUN_NAMES_VI = {"Postponed": "Hoãn, sẽ gửi tiếp", "Late": "Trễ giờ hẹn, đang chờ worker"}


def page_text(message: str) -> str:
    """A shared one-line message for the page: Vietnamese first (an "English — Vietnamese" line is
    turned round) and the page's control names in place of SPEC field names."""
    english, sep, vietnamese = message.partition(" — ")
    if sep and not vietnamese.isascii() and english.isascii():
        message = f"{vietnamese.rstrip('. ')} — {english}"
    for field, control in PAGE_CONTROLS:
        message = message.replace(field, control)
    return message


def run_state_vi(state_type: str, state_name: str = "") -> str:
    """A flow run's state as the page names it (a named state such as Postponed wins)."""
    return RUN_NAMES_VI.get(state_name) or RUN_STATES_VI.get(state_type, state_name or state_type)


def vn_time(moment: datetime | None, seconds: bool = False) -> str:
    """A stored time (UTC or naive UTC) as Vietnam wall-clock time, e.g. 04/12/2026 09:30."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def run_state(run: Any) -> str:
    """A RunView's state as the page names it (the `run_state` filter)."""
    return run_state_vi(run.state_type, run.state_name)


FILTERS = {"vnd": format_vnd, "int_vi": format_int, "vn_time": vn_time, "page_text": page_text, "run_state": run_state}
