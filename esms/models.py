"""Typed views of eSMS payloads that the rest of the product passes around."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ParamType(StrEnum):
    """ZNS variable value rules (docs/esms-api.md §3.1)."""

    TEXT = "text"
    NUMBER = "number"  # digits only, at most 12
    DATE = "date"  # dd/MM/yyyy
    URL = "url"


class ZnsParam(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    order: int = Field(description="ParamLevel: position in the positional Params list")
    type: ParamType = ParamType.TEXT
    max_length: int | None = None
    min_length: int = 0
    required: bool = True
    accept_null: bool = False


class ZnsTemplate(BaseModel):
    """A registered ZNS template with the variables that drive recipient validation."""

    model_config = ConfigDict(frozen=True)

    template_id: str
    oa_id: str
    name: str = ""
    content: str = ""
    status: str = "ENABLE"
    tag: str | None = None
    price: float | None = None
    params: tuple[ZnsParam, ...] = ()

    @property
    def param_names(self) -> list[str]:
        return [p.name for p in sorted(self.params, key=lambda p: p.order)]


class Brandname(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    type: int = 2


class SendResult(BaseModel):
    """One recipient's answer to a send (single or one item of a bulk)."""

    model_config = ConfigDict(frozen=True)

    phone: str
    code: str
    sms_id: str | None = None
    error_message: str | None = None
    request_id: str | None = None


class BulkResult(BaseModel):
    code: str
    total_success: int = 0
    total_fail: int = 0
    items: list[SendResult] = Field(default_factory=list)


class ZnsStatus(BaseModel):
    """QueryZnsStatus Data (docs/esms-api.md §4.1)."""

    sms_id: str
    final: bool
    error_info: str | None = None  # "0" ok, "1001", a Zalo code, None = not yet sent
    send_status: int | None = None
    send_success: int = 0
    send_failed: int = 0
    total_price: float = 0.0
    zalo_msg_id: str | None = None


class SendStatus(BaseModel):
    """GetSendStatus (docs/esms-api.md §4.2)."""

    sms_id: str
    send_status: int
    send_success: int = 0
    send_failed: int = 0
    total_price: float = 0.0


class Rating(BaseModel):
    """One recipient's rating of a ZNS (ZNS/GetRating); `tracking_id` is the send's RequestId."""

    msg_id: str
    rate: int
    note: str = ""
    feedbacks: tuple[str, ...] = ()
    submitted_at: datetime  # aware UTC
    tracking_id: str = ""


class OaQuality(BaseModel):
    """ZNS/GetQuality: HIGH, MEDIUM, LOW or UNDEFINED (no ZNS sent in the period)."""

    current: str  # last 48 hours (OaCurrentQuality)
    seven_day: str  # last 7 days (Oa7dayQuality)


class Quota(BaseModel):
    daily: int
    remaining: int
    daily_promotion: int = 0
    remaining_promotion: int = 0


class CallbackEvent(BaseModel):
    """A delivery callback (GET query parameters, docs/esms-api.md §4.5), parsed."""

    sms_id: str
    send_status: int
    send_success: int
    send_failed: int
    type_id: int
    phone: str
    request_id: str | None = None
    total_price: float = 0.0
    zalo_error: int | None = None
    zalo_message: str | None = None
    zalo_msg_id: str | None = None
