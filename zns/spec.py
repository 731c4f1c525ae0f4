"""Campaign parameters: the Prefect run form and the CLI's SPEC file are this one model.

Titles and help texts are Vietnamese (operators read them in the Prefect UI); field names are
stable English identifiers used in SPEC files.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class MessageType(StrEnum):
    NORMAL = "normal"  # "Zalo bình thường", SmsType 25
    PRIORITY = "priority"  # "Zalo ưu tiên", SmsType 24


class ManualRecipient(BaseModel):
    """Một người nhận nhập tay: số điện thoại và giá trị cho từng biến của template."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(title="Số điện thoại", description="Ví dụ 0912345678 hoặc +84912345678")
    values: dict[str, str] = Field(
        default_factory=dict,
        title="Giá trị các biến",
        description="Tên biến của template → giá trị, ví dụ customer_name → Nguyễn Văn A",
    )


class FallbackSpec(BaseModel):
    """Gửi SMS Brandname CSKH khi ZNS không tới được người nhận (không có Zalo, chặn, từ chối)."""

    model_config = ConfigDict(extra="forbid")

    brandname: str = Field(title="Brandname", description="Brandname CSKH đã đăng ký với eSMS")
    sms_template_id: str | None = Field(
        default=None,
        title="Mã template SMS",
        description="TempId của template CSKH; bỏ trống nếu brandname chỉ có một template",
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        title="Ghép biến SMS với cột",
        description="Biến của template SMS (P1, P2, ...) → tên cột trong file hoặc tên biến ZNS",
    )


class DateMatch(StrEnum):
    DAY_MONTH = "day_month"  # birthdays, anniversaries: same day and month, any year
    DATE = "date"  # due dates: the exact date


class DateFilterSpec(BaseModel):
    """Chỉ gửi cho các dòng có ngày trùng với ngày chạy (sinh nhật, ngày đến hạn)."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field(title="Cột ngày", description="Ví dụ: Ngày sinh, Ngày đến hạn")
    match: DateMatch = Field(
        default=DateMatch.DAY_MONTH,
        title="So khớp",
        description="day_month = cùng ngày và tháng (sinh nhật); date = đúng ngày (đến hạn)",
    )
    days_ahead: int = Field(
        default=0, ge=-366, le=366, title="Trước bao nhiêu ngày", description="3 = gửi trước ngày đó 3 ngày"
    )


class CampaignSpec(BaseModel):
    """Chiến dịch ZNS: template, danh sách người nhận và (tuỳ chọn) SMS dự phòng."""

    model_config = ConfigDict(extra="forbid")

    campaign_name: str = Field(
        title="Tên chiến dịch",
        description="Hiện trong báo cáo eSMS (campaignid)",
        min_length=1,
        max_length=254,
    )
    oa_id: str = Field(title="Zalo OA ID", description="OA đã liên kết với tài khoản eSMS")
    template_id: str = Field(title="Mã template ZNS", description="TempID của template ZNS đã duyệt")
    message_type: MessageType = Field(
        default=MessageType.NORMAL,
        title="Loại tin",
        description="normal = Zalo thường (25), priority = Zalo ưu tiên (24)",
    )
    source: str | None = Field(
        default=None,
        title="File người nhận",
        description="Đường dẫn hoặc URL tới file .xlsx/.xls/.csv; bỏ trống nếu nhập tay",
    )
    sheet: str | None = Field(
        default=None, title="Sheet", description="Tên sheet hoặc số thứ tự (0 = sheet đầu); mặc định sheet đầu"
    )
    header_row: int = Field(default=0, ge=0, title="Dòng tiêu đề", description="0 = dòng đầu tiên")
    phone_column: str | None = Field(
        default=None, title="Cột số điện thoại", description="Bỏ trống để tự nhận cột (sdt, phone, ...)"
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        title="Ghép biến ZNS với cột",
        description="Tên biến template → tên cột; bỏ trống nếu cột trùng tên biến",
    )
    recipients: list[ManualRecipient] = Field(
        default_factory=list, title="Người nhận nhập tay", description="Dùng khi không có file"
    )
    fallback: FallbackSpec | None = Field(default=None, title="SMS dự phòng (chuyển hướng)")
    sandbox: bool = Field(default=False, title="Chạy thử (sandbox)", description="eSMS kiểm tra nhưng không gửi")
    dry_run: bool = Field(
        default=False, title="Chỉ kiểm tra", description="Kiểm tra dữ liệu, quota và chi phí; không gửi tin nào"
    )
    account: str | None = Field(
        default=None,
        title="Tài khoản eSMS (block)",
        description="Tên block EsmsAccount; bỏ trống để dùng ESMS_API_KEY / ESMS_SECRET_KEY",
    )
    fallback_after: int = Field(
        default=600,
        ge=0,
        le=86400,
        title="Chờ ZNS tối đa (giây)",
        description="Sau thời gian này, ZNS chưa có kết quả được ghi là chưa rõ",
    )
    batch_size: int = Field(default=500, ge=1, le=500, title="Số người nhận mỗi lô", description="Tối đa 500")
    concurrency: int = Field(default=4, ge=1, le=32, title="Số lô gửi song song")
    campaign_id: str | None = Field(
        default=None,
        title="Mã chiến dịch",
        description="Bỏ trống để tự sinh; chạy lại cùng mã sẽ chỉ gửi phần chưa gửi",
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    )
    blocklist: str | None = Field(
        default=None, title="File danh sách chặn", description="File một cột số điện thoại không được gửi"
    )
    date_filter: DateFilterSpec | None = Field(
        default=None,
        title="Lọc theo ngày (chiến dịch định kỳ)",
        description="Chỉ gửi cho dòng có ngày trùng ngày chạy, theo giờ Việt Nam",
    )
    send_at: datetime | None = Field(
        default=None,
        title="Hẹn giờ gửi (giờ Việt Nam)",
        description="Bỏ trống để gửi ngay; trong giao diện Prefect dùng 'Start: Later'",
    )

    @field_validator("template_id", "oa_id", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _one_source(self) -> CampaignSpec:
        if self.source and self.recipients:
            raise ValueError("give either `source` (a file) or `recipients` (a manual list), not both")
        if not self.source and not self.recipients:
            raise ValueError("give `source` (a .xlsx/.xls/.csv path or URL) or `recipients` (a manual list)")
        return self

    @property
    def sheet_ref(self) -> str | int | None:
        if self.sheet is not None and self.sheet.strip().isdigit():
            return int(self.sheet.strip())
        return self.sheet

    def fingerprint(self) -> str:
        """Stable hash of what would be sent, so running the same SPEC again is the same campaign."""
        data = self.model_dump(
            mode="json", exclude={"dry_run", "campaign_id", "account", "concurrency", "send_at"}
        )
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def slugify(text: str, limit: int = 40) -> str:
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:limit].strip("-") or "campaign"


class SpecError(ValueError):
    """A SPEC file that cannot become a campaign; the message is one line for the operator."""


def load_spec(path: str | Path) -> CampaignSpec:
    """Read a YAML/JSON SPEC; relative `source`/`blocklist` paths resolve against the SPEC's folder."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"SPEC file not found: {file} — Không tìm thấy file SPEC") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"SPEC {file} is not valid YAML/JSON: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise SpecError(f"SPEC {file} must be a mapping of the flow's parameters")
    if isinstance(data.get("spec"), dict):  # the flow's parameter name, as the UI stores it
        data = data["spec"]
    for key in ("source", "blocklist"):
        value = data.get(key)
        if isinstance(value, str) and "://" not in value and not Path(value).is_absolute():
            data[key] = str((file.parent / value).resolve())
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "spec"
        raise SpecError(f"SPEC {file}: field `{where}`: {first['msg']}") from None
