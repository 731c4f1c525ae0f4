"""Final states of a recipient (docs/architecture.md §5 "No silent loss") and the per-row outcome record.

Ledger, report and CLI summary all speak this vocabulary; labels are Vietnamese with the
stable English code beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class FinalState(StrEnum):
    INVALID = "invalid"  # rejected by validation, never sent
    ZNS_DELIVERED = "zns_delivered"
    SMS_DELIVERED = "sms_delivered"
    FAILED = "failed"  # with a reason: permanent error, fallback not configured or failed
    UNKNOWN = "unknown"  # with what was tried: no final status before the deadline


STATE_LABELS_VI: dict[FinalState, str] = {
    FinalState.INVALID: "Không hợp lệ",
    FinalState.ZNS_DELIVERED: "Đã nhận qua ZNS",
    FinalState.SMS_DELIVERED: "Đã nhận qua SMS",
    FinalState.FAILED: "Thất bại",
    FinalState.UNKNOWN: "Chưa rõ kết quả",
}


class Channel(StrEnum):
    ZNS = "zns"
    SMS = "sms"


class MessageState(StrEnum):
    """Life of one (campaign, phone, channel) message; transitions are decided in `zns.policy`."""

    CLAIMED = "claimed"  # reserved by a sender, HTTP call may or may not have happened
    ACCEPTED = "accepted"  # eSMS 100 (or 124: accepted earlier), waiting for delivery
    REJECTED = "rejected"  # permanent/fallback code at send time: final, not delivered
    AMBIGUOUS = "ambiguous"  # no answer (timeout, lost, left out of a bulk answer): never final
    RELEASED = "released"  # config error: nothing sent, the next claim may take it again
    DELIVERED = "delivered"
    FAILED = "failed"  # delivery failed (Zalo/eSMS delivery code)
    UNKNOWN = "unknown"  # no final status before the deadline; a late status may still come


@dataclass(slots=True)
class RecipientOutcome:
    """One input row's end of the story, as the report and the ledger export show it."""

    row: int  # spreadsheet row number the user sees (1-based, header included), or list index + 1
    phone: str  # normalised phone, or the raw value for invalid rows
    state: FinalState
    reason_code: str | None = None  # stable English code: BAD_PHONE, -118, 1001, 146, ...
    reason_vi: str | None = None
    channel: Channel | None = None  # channel that delivered (or was last tried)
    zns_code: str | None = None  # eSMS CodeResult of the ZNS send
    zns_sms_id: str | None = None
    zns_error: str | None = None  # Zalo ErrorInfo (e.g. -118, 1001)
    sms_code: str | None = None
    sms_sms_id: str | None = None
    sms_text: str | None = None
    cost: float = 0.0
    sms_cost: float = 0.0  # the part of `cost` the SMS fallback cost (the rest is the ZNS)
    sent_at: datetime | None = None
    final_at: datetime | None = None
    values: dict[str, str] = field(default_factory=dict)
