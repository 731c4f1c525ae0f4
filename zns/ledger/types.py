"""Plain typed records the ledger accepts and returns, so callers never see SQL rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from esms.codes import ResultClass
from zns.outcomes import Channel, MessageState
from zns.policy import DeliveryUpdate

__all__ = ["CampaignRecord", "CampaignStatus", "Claim", "DeliveryUpdate", "MessageRow", "MessageState",
           "RecipientRow", "SendRecord"]


class CampaignStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CONFIG_ERROR = "config_error"
    POSTPONED = "postponed"  # the rest goes out in a run scheduled for later (quiet hours, quota)
    PENDING_APPROVAL = "pending_approval"  # paused at the approval gate, nothing sent yet
    REJECTED = "rejected"  # the approval gate said no (or nobody answered in time): nothing sent
    CANCELLED = "cancelled"  # its flow run was cancelled; running the campaign again resumes it


@dataclass(frozen=True, slots=True)
class CampaignRecord:
    """A campaign as stored: its first definition (no secrets), status and last report summary."""

    campaign_id: str
    name: str
    oa_id: str
    template_id: str
    message_type: str
    params: dict[str, Any]
    fallback: dict[str, Any] | None
    status: str
    stats: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str:
        return self.name or self.campaign_id

    @property
    def account(self) -> str | None:
        """The EsmsAccount block name the campaign ran with, if any."""
        value = self.params.get("account")
        return str(value) if value else None

    @property
    def sandbox(self) -> bool:
        """The effective sandbox flag of its sends (the account's or the SPEC's)."""
        return bool(self.params.get("sandbox"))

    @property
    def dry_run(self) -> bool:
        return bool(self.params.get("dry_run"))


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
    wait_rounds: int = 0  # resends after a "for now" refusal (zns/campaign/waiting.py)
