"""The one rule turning a row's messages into exactly one final state (design.md §3)."""

from __future__ import annotations

from dataclasses import dataclass

from esms.codes import ResultClass, esms_code, zalo_code
from zns.ledger.types import MessageRow, MessageState
from zns.outcomes import Channel, FinalState


@dataclass(frozen=True, slots=True)
class Verdict:
    state: FinalState
    reason_code: str | None = None
    reason_vi: str | None = None
    channel: Channel | None = None


def _failure_reason(msg: MessageRow) -> tuple[str, str]:
    """Stable code and Vietnamese label of why a message did not arrive."""
    if msg.error_info not in (None, "", "0"):
        info = zalo_code(msg.error_info or "")
        return info.code, info.vi
    info = esms_code(msg.code)
    return info.code, info.vi


def _unknown(msg: MessageRow) -> Verdict:
    """What was tried, for rows without a final answer."""
    label = "ZNS" if msg.channel is Channel.ZNS else "SMS"
    if msg.state in (MessageState.ACCEPTED, MessageState.UNKNOWN):
        vi = f"{label} đã được eSMS tiếp nhận ({msg.code}), chưa có trạng thái cuối"
        return Verdict(FinalState.UNKNOWN, "NO_FINAL_STATUS", vi, msg.channel)
    if msg.state is MessageState.AMBIGUOUS:
        code = msg.code or "AMBIGUOUS"
        vi = f"Đã gửi {label} nhưng không rõ eSMS đã nhận hay chưa ({code})"
        return Verdict(FinalState.UNKNOWN, code, vi, msg.channel)
    vi = f"{label} đã được giữ chỗ để gửi nhưng chưa ghi nhận kết quả gửi"
    return Verdict(FinalState.UNKNOWN, "CLAIMED", vi, msg.channel)


def decide(
    valid: bool,
    invalid_code: str | None,
    invalid_reason_vi: str | None,
    zns: MessageRow | None,
    sms: MessageRow | None,
    dry_run: bool = False,
) -> Verdict:
    """Invalid, delivered (ZNS first), failed with the last reason, or unknown with what was tried.

    A valid row of a dry run was never meant to be sent: unknown "DRY_RUN", not failed."""
    if not valid:
        return Verdict(FinalState.INVALID, invalid_code, invalid_reason_vi)
    if zns is not None and zns.state is MessageState.DELIVERED:
        return Verdict(FinalState.ZNS_DELIVERED, channel=Channel.ZNS)
    if sms is not None:
        if sms.state is MessageState.DELIVERED:
            code, vi = _failure_reason(zns) if zns is not None else (None, None)
            return Verdict(FinalState.SMS_DELIVERED, code, vi, Channel.SMS)
        return _from_last(sms)
    if zns is None and dry_run:
        return Verdict(FinalState.UNKNOWN, "DRY_RUN", "Chạy thử: hợp lệ, không gửi tin (dry run)")
    if zns is None:
        return Verdict(FinalState.FAILED, "NOT_SENT", "Chưa gửi tin")
    verdict = _from_last(zns)
    if verdict.state is FinalState.FAILED and zns.result_class is ResultClass.FALLBACK:
        vi = f"{verdict.reason_vi}; không gửi SMS dự phòng"
        return Verdict(verdict.state, verdict.reason_code, vi, verdict.channel)
    return verdict


def _from_last(msg: MessageRow) -> Verdict:
    if msg.state in (MessageState.REJECTED, MessageState.FAILED, MessageState.RELEASED):
        code, vi = _failure_reason(msg)
        return Verdict(FinalState.FAILED, code, vi, msg.channel)
    return _unknown(msg)
