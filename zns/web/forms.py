"""The page's form as a plain draft, and the CampaignSpec it becomes (the flow's one input model).

Field names: `map:<variable>` ZNS variable → column, `sms:<Pn>` SMS variable → column or ZNS
variable, `grid:<i>:phone` / `grid:<i>:<variable>` typed-in rows. No campaign rule lives here:
the spec model, the ingest and the time rules decide.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from zns.spec import CampaignSpec, slugify

PAGE_FIELDS = {  # SPEC field → the page control that sets it (for one-line errors)
    "campaign_name": "Tên chiến dịch", "oa_id": "Zalo OA", "template_id": "Mẫu ZNS", "message_type": "Loại tin",
    "recipients": "Nhập tay", "source": "File người nhận", "sheet": "Sheet", "header_row": "Dòng tiêu đề",
    "phone_column": "Số điện thoại", "columns": "Cột trong file", "fallback": "SMS dự phòng",
    "brandname": "Brandname", "sms_template_id": "Mẫu SMS", "fallback_after": "Chờ ZNS tối đa (giây)",
    "send_window": "Khung giờ gửi ZNS", "quota_reserve": "giữ lại quota", "approval": "Chờ duyệt khi vượt",
    "frequency_cap": "Giới hạn tần suất", "date_filter": "Lọc theo cột ngày",
}
CHECK_NAME = "(chưa đặt tên)"  # a name for checking a draft before the operator typed one
_GRID = re.compile(r"^grid:(\d+):(.+)$")
MAX_GRID_ROWS = 200
NOW_WINDOW_S = 1800  # "send now" keeps the form's time for this long (one run per submitted form)


class FormError(ValueError):
    """A form that cannot become a campaign; `code` is stable English, the message Vietnamese."""

    def __init__(self, code: str, message_vi: str) -> None:
        self.code, self.message_vi = code, message_vi
        super().__init__(f"{code}: {message_vi}")


@dataclass(slots=True)
class Draft:
    """Everything the operator chose so far; empty strings mean "not chosen"."""

    account: str = ""
    campaign_name: str = ""
    oa_id: str = ""
    message_type: str = "normal"
    template_id: str = ""
    source_mode: str = "file"
    upload_id: str = ""
    upload_name: str = ""
    sheet: str = ""
    header_row: int = 0  # 0-based, as the SPEC takes it; the page shows it + 1
    phone_column: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    mapping_for: str = ""
    grid: list[dict[str, str]] = field(default_factory=list)
    fallback_on: bool = False
    brandname: str = ""
    sms_template_id: str = ""
    sms_columns: dict[str, str] = field(default_factory=dict)
    when: str = "now"
    send_at: str = ""
    daily_time: str = ""
    date_column: str = ""
    date_match: str = "day_month"
    days_ahead: int = 0
    fallback_after: int = 600
    sandbox: bool = False
    window_start: str = ""  # both empty: the installation's send window
    window_end: str = ""
    continue_next_day: bool = False
    quota_reserve: int = 0
    approval_on: bool = False
    approval_recipients: str = ""
    approval_cost: str = ""
    cap_messages: int = 0  # 0: no frequency cap
    cap_days: int = 30
    breaker_on: bool = False
    submission: str = ""

    @property
    def advanced(self) -> bool:
        """Whether the advanced options hold anything but their defaults (the section opens)."""
        return (self.fallback_after != 600 or self.sandbox or self.continue_next_day or self.approval_on
                or self.breaker_on or self.cap_messages > 0 or bool(self.window_start or self.window_end))

    def options(self) -> dict[str, Any]:
        """The SPEC's campaign controls (issue 12) from the advanced options; the SPEC checks them."""
        data: dict[str, Any] = {"continue_next_day": self.continue_next_day, "quota_reserve": self.quota_reserve}
        if self.window_start or self.window_end:
            data["send_window"] = {"start": self.window_start, "end": self.window_end}
        if self.approval_on:
            data["approval"] = {"above_recipients": _number(self.approval_recipients),
                                "above_cost": _number(self.approval_cost)}
        if self.cap_messages > 0:
            data["frequency_cap"] = {"max_messages": self.cap_messages, "days": self.cap_days}
        if self.breaker_on:
            data["circuit_breaker"] = {}
        return data

    def mapping_key(self) -> str:
        """What the mapping was pre-filled for: a new file, sheet, header row or template pre-fills again."""
        raw = "|".join((self.source_mode, self.upload_id, self.sheet, str(self.header_row), self.template_id))
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def grid_rows(self) -> list[dict[str, Any]]:
        """Typed-in rows as ManualRecipient dicts; fully empty rows are left out."""
        out = []
        for row in self.grid:
            values = {k: v for k, v in row.items() if k != "phone"}
            if row.get("phone", "").strip() or any(v.strip() for v in values.values()):
                out.append({"phone": row.get("phone", ""), "values": values})
        return out


def _number(value: str) -> int | None:
    """A threshold typed with or without thousands separators; empty: not this threshold."""
    digits = re.sub(r"[\s.,]", "", value)
    return int(digits) if digits.isdigit() else None


def _int(value: str, default: int) -> int:
    value = value.strip()
    return int(value) if re.fullmatch(r"-?\d{1,6}", value) else default


def parse_form(form: Mapping[str, str]) -> Draft:
    """Read a submitted form; unknown fields are ignored, malformed numbers take their default.
    The page counts the header row like Excel (1 = first row); the draft keeps the SPEC's 0-based."""
    get = lambda name, default="": str(form.get(name, default)).strip()  # noqa: E731
    draft = Draft(
        account=get("account"), campaign_name=get("campaign_name"), oa_id=get("oa_id"),
        message_type=get("message_type", "normal") or "normal", template_id=get("template_id"),
        source_mode="grid" if get("source_mode") == "grid" else "file", upload_id=get("upload_id"),
        upload_name=get("upload_name"), sheet=get("sheet"), header_row=max(0, _int(get("header_row"), 1) - 1),
        phone_column=get("phone_column"), mapping_for=get("mapping_for"),
        fallback_on=get("fallback_on") in ("1", "on", "true"), brandname=get("brandname"),
        sms_template_id=get("sms_template_id"), when=get("when", "now") or "now", send_at=get("send_at"),
        daily_time=get("daily_time"), date_column=get("date_column"),
        date_match=get("date_match", "day_month") or "day_month", days_ahead=_int(get("days_ahead"), 0),
        fallback_after=_int(get("fallback_after"), 600), sandbox=get("sandbox") in ("1", "on", "true"),
        window_start=get("window_start"), window_end=get("window_end"),
        continue_next_day=get("continue_next_day") in ("1", "on", "true"),
        quota_reserve=max(0, _int(get("quota_reserve"), 0)), approval_on=get("approval_on") in ("1", "on", "true"),
        approval_recipients=get("approval_recipients"), approval_cost=get("approval_cost"),
        cap_messages=max(0, _int(get("cap_messages"), 0)), cap_days=max(1, _int(get("cap_days"), 30)),
        breaker_on=get("breaker_on") in ("1", "on", "true"),
        submission=get("submission"),
    )
    grid: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        if key.startswith("map:"):
            draft.columns[key[4:]] = str(value).strip()
        elif key.startswith("sms:"):
            draft.sms_columns[key[4:]] = str(value).strip()
        elif (m := _GRID.match(key)) and int(m.group(1)) < MAX_GRID_ROWS:
            grid.setdefault(int(m.group(1)), {})[m.group(2)] = str(value)
    draft.grid = [grid[i] for i in sorted(grid)]
    return draft


def _spec_error(exc: ValidationError) -> FormError:
    """The first problem, named by the page control it comes from (not the SPEC field)."""
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    control = next((PAGE_FIELDS[p] for p in loc if p in PAGE_FIELDS), None)
    where = f"ô «{control}»" if control else "biểu mẫu"
    detail = str(first["msg"]).removeprefix("Value error, ")
    return FormError("BAD_FORM", f"Giá trị ở {where} không dùng được: {detail}")


def build_spec(draft: Draft, *, source: str | None, campaign_id: str | None = None,
               for_check: bool = False) -> CampaignSpec:
    """The CampaignSpec of a draft; a check may run before the campaign has a name."""
    data: dict[str, Any] = {
        "campaign_name": draft.campaign_name or (CHECK_NAME if for_check else ""),
        "oa_id": draft.oa_id, "template_id": draft.template_id, "message_type": draft.message_type,
        "account": draft.account or None, "fallback_after": draft.fallback_after, "sandbox": draft.sandbox,
        "campaign_id": campaign_id, **draft.options(),
    }
    if draft.source_mode == "grid":
        data["recipients"] = draft.grid_rows()
    else:
        data.update(source=source, sheet=draft.sheet or None, header_row=draft.header_row,
                    phone_column=draft.phone_column or None,
                    columns={k: v for k, v in draft.columns.items() if v})
    if draft.fallback_on:
        data["fallback"] = {"brandname": draft.brandname, "sms_template_id": draft.sms_template_id or None,
                            "columns": {k: v for k, v in draft.sms_columns.items() if v}}
    if draft.when == "daily" and draft.date_column:
        data["date_filter"] = {"column": draft.date_column, "match": draft.date_match,
                               "days_ahead": draft.days_ahead}
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as exc:
        raise _spec_error(exc) from None


def new_submission() -> str:
    """The hidden id of one rendered form: its issue time and a random part."""
    import secrets

    return f"{int(time.time())}-{secrets.token_hex(6)}"


def send_now_time(submission: str, now: datetime | None = None) -> datetime:
    """"Send now" as the form's issue time, so a double submit is the same run (same idempotency key)."""
    now = now or datetime.now(UTC)
    head = submission.split("-", 1)[0]
    if head.isdigit():
        issued = datetime.fromtimestamp(int(head), UTC)
        if timedelta_ok(now, issued):
            return issued
    return now.replace(microsecond=0)


def timedelta_ok(now: datetime, issued: datetime) -> bool:
    return 0 <= (now - issued).total_seconds() <= NOW_WINDOW_S


def page_campaign_id(spec: CampaignSpec, submission: str) -> str:
    """The id the page gives a campaign up front: readable name plus a hash of what and which form."""
    digest = hashlib.sha256(f"{spec.fingerprint()}|{submission}".encode()).hexdigest()[:12]
    return f"{slugify(spec.campaign_name, 40)}-{digest}"
