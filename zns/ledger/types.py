"""Plain typed records the ledger accepts and returns, so callers never see SQL rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from esms.codes import ResultClass, zalo_code
from zns.outcomes import Channel


class MessageState(StrEnum):
    """Life of one (campaign, phone, channel) message; see the module docs of `repository`."""

    CLAIMED = "claimed"  # reserved by a sender, HTTP call may or may not have happened
    ACCEPTED = "accepted"  # eSMS 100 (or 124: accepted earlier), waiting for delivery
    REJECTED = "rejected"  # permanent/fallback code at send time: final, not delivered
    AMBIGUOUS = "ambiguous"  # timeout, transient failure or crash after claim: never resent blindly
    RELEASED = "released"  # config error: nothing sent, the next claim may take it again
    DELIVERED = "delivered"
    FAILED = "failed"  # delivery failed (Zalo/eSMS delivery code)
    UNKNOWN = "unknown"  # no final status before the deadline; a late status may still come


FINAL_MESSAGE_STATES = frozenset({MessageState.REJECTED, MessageState.DELIVERED, MessageState.FAILED})
NON_FINAL_MESSAGE_STATES = frozenset(
    {MessageState.CLAIMED, MessageState.ACCEPTED, MessageState.AMBIGUOUS, MessageState.UNKNOWN}
)


class CampaignStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CONFIG_ERROR = "config_error"


@dataclass(slots=True)
class RecipientRow:
    """One input row: valid (normalised phone) or invalid (raw phone and the reason)."""

    row_no: int
    phone: str
    valid: bool = True
    invalid_code: str | None = None
    invalid_reason_vi: str | None = None
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Claim:
    """Permission to send one message now, with the RequestId to send it under."""

    phone: str
    channel: Channel
    request_id: str
    attempts: int  # 1 for a first claim; more means a reclaim (resend with the same RequestId)
    text: str | None = None

    @property
    def reclaimed(self) -> bool:
        return self.attempts > 1


@dataclass(frozen=True, slots=True)
class SendRecord:
    """The gateway's answer to one send; `code` is the eSMS CodeResult or TIMEOUT/HTTP_5XX."""

    phone: str
    code: str
    sms_id: str | None = None
    price: float | None = None
    result_class: ResultClass | None = None  # None: taken from esms.codes
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryUpdate:
    """A final (or deadline) delivery status for one accepted message."""

    phone: str
    state: MessageState  # DELIVERED, FAILED or UNKNOWN
    error_info: str | None = None  # Zalo error (e.g. -118) or eSMS 1001; "0" when delivered
    result_class: ResultClass | None = None  # None: taken from zalo_code(error_info)
    price: float | None = None
    sms_id: str | None = None

    @classmethod
    def from_error_info(
        cls, phone: str, error_info: str | int, price: float | None = None, sms_id: str | None = None
    ) -> DeliveryUpdate:
        """Build from a ZNS ErrorInfo: "0" is delivered, anything else failed with its class."""
        text = str(error_info).strip()
        info = zalo_code(text)
        state = MessageState.DELIVERED if text == "0" else MessageState.FAILED
        return cls(phone, state, text, info.result_class, price, sms_id)


@dataclass(frozen=True, slots=True)
class MessageRow:
    """A message as stored, for delivery polling and reconciliation."""

    campaign_id: str
    phone: str
    channel: Channel
    request_id: str
    state: MessageState
    code: str | None
    error_info: str | None
    result_class: ResultClass | None
    sms_id: str | None
    text: str | None
    price: float | None
    attempts: int
    duplicate: bool
    claimed_by: str | None
    claimed_at: datetime | None
    sent_at: datetime | None
    final_at: datetime | None
