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
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from zns.choices import choice_value


class MessageType(StrEnum):
    NORMAL = "normal"  # "Zalo bình thường", SmsType 25
    PRIORITY = "priority"  # "Zalo ưu tiên", SmsType 24


def rows_schema(key: str, key_title: str, value: str, value_title: str) -> dict[str, Any]:
    """A mapping shown in the Prefect form as rows of two fields instead of a JSON editor."""
    return {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                key: {"type": "string", "title": key_title, "minLength": 1},
                value: {"type": "string", "title": value_title},
            },
            "required": [key, value],
            "additionalProperties": False,
        },
    }


def rows_to_dict(key: str, value: str) -> Any:
    """The form's rows (a list of {key, value}) as the mapping the product uses; a dict passes."""

    def convert(data: Any) -> Any:
        if not isinstance(data, list):
            return data
        mapping: dict[str, Any] = {}
        for row in data:
            if not isinstance(row, dict) or not str(row.get(key) or "").strip():
                raise ValueError(f"each row needs `{key}` and `{value}` — Mỗi dòng cần {key} và {value}")
            name = str(row[key]).strip()
            if name in mapping:
                raise ValueError(f"`{name}` appears in two rows — Biến {name} bị ghép hai lần")
            mapping[name] = row.get(value)
        return mapping

    return BeforeValidator(convert)


ColumnMap = Annotated[
    dict[str, str],
    rows_to_dict("variable", "column"),
    WithJsonSchema(rows_schema("variable", "Biến", "column", "Cột trong file")),
]
SmsColumnMap = Annotated[
    dict[str, str],
    rows_to_dict("variable", "column"),
    WithJsonSchema(rows_schema("variable", "Biến SMS (P1, P2, ...)", "column", "Cột trong file hoặc biến ZNS")),
]
ValueMap = Annotated[
    dict[str, str],
    rows_to_dict("variable", "value"),
    WithJsonSchema(rows_schema("variable", "Biến", "value", "Giá trị")),
]


class ManualRecipient(BaseModel):
    """Một người nhận nhập tay: số điện thoại và giá trị cho từng biến của template."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(title="Số điện thoại", description="Ví dụ 0912345678 hoặc +84912345678")
    values: ValueMap = Field(
        default_factory=dict,
        title="Giá trị các biến",
        description="Mỗi biến của template và giá trị của nó, ví dụ customer_name: Nguyễn Văn A",
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
    columns: SmsColumnMap = Field(
        default_factory=dict,
        title="Ghép biến SMS với cột",
        description="Mỗi biến của template SMS (P1, P2, ...) và cột trong file hoặc biến ZNS lấy giá trị",
    )

    @field_validator("sms_template_id", mode="before")
    @classmethod
    def _chosen_id(cls, value: Any) -> Any:
        return choice_value(str(value) if isinstance(value, int) else value)


class DateMatch(StrEnum):
    DAY_MONTH = "day_month"  # birthdays, anniversaries: same day and month, any year
    DATE = "date"  # due dates: the exact date


_HH_MM = r"^([01]\d|2[0-3]):[0-5]\d$"


class SendWindowSpec(BaseModel):
    """Giờ được gửi ZNS (giờ Việt Nam): ngoài khung này, lô chưa gửi chờ tới lần mở kế tiếp."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, title="Bật khung giờ", description="Tắt = gửi mọi lúc")
    start: str = Field(default="07:00", pattern=_HH_MM, title="Bắt đầu", description="HH:MM, ví dụ 07:00")
    end: str = Field(default="21:30", pattern=_HH_MM, title="Kết thúc", description="HH:MM, ví dụ 21:30")


class ApprovalSpec(BaseModel):
    """Chờ duyệt trước khi gửi khi chiến dịch lớn hoặc tốn kém."""

    model_config = ConfigDict(extra="forbid")

    above_recipients: int | None = Field(
        default=10_000, ge=0, title="Khi số người nhận vượt", description="Bỏ trống = không xét số người nhận"
    )
    above_cost: float | None = Field(
        default=5_000_000, ge=0, title="Khi chi phí ước tính vượt (VND)", description="ZNS + SMS dự phòng tối đa"
    )
    timeout_hours: float = Field(
        default=24, gt=0, le=168, title="Chờ duyệt tối đa (giờ)", description="Quá hạn: không gửi tin nào"
    )


class FrequencyCapSpec(BaseModel):
    """Giới hạn số tin ZNS một số điện thoại nhận từ OA trong một khoảng thời gian (mọi chiến dịch)."""

    model_config = ConfigDict(extra="forbid")

    max_messages: int = Field(default=4, ge=1, le=1000, title="Tối đa số tin", description="Tin ZNS đã tới người nhận")
    days: int = Field(default=30, ge=1, le=366, title="Trong số ngày", description="Tính lùi từ lúc chạy")
    promotional_only: bool = Field(
        default=True, title="Chỉ tin quảng cáo", description="Chỉ áp dụng và chỉ đếm mẫu ZNS loại quảng cáo (tag 3)"
    )


class BreakerSpec(BaseModel):
    """Dừng gửi ZNS khi tỉ lệ lỗi cao hoặc chất lượng OA xuống LOW; phần còn lại gửi khi chạy lại."""

    model_config = ConfigDict(extra="forbid")

    max_failure_rate: float = Field(
        default=0.3, gt=0, le=1, title="Tỉ lệ lỗi tối đa", description="Tin bị từ chối khi gửi / tin đã gửi, "
        "trên các lô gần nhất"
    )
    last_batches: int = Field(default=3, ge=1, le=100, title="Số lô gần nhất")
    min_messages: int = Field(default=100, ge=1, title="Tối thiểu số tin", description="Chưa xét khi gửi ít hơn")
    stop_on_low_quality: bool = Field(
        default=True, title="Dừng khi chất lượng OA LOW", description="ZNS/GetQuality (48 giờ gần nhất)"
    )
    quality_every: int = Field(default=10, ge=1, title="Kiểm tra chất lượng sau mỗi số lô")


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
    columns: ColumnMap = Field(
        default_factory=dict,
        title="Ghép biến ZNS với cột",
        description="Mỗi biến của template và cột trong file; bỏ trống nếu cột trùng tên biến",
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
    send_window: SendWindowSpec | None = Field(
        default=None,
        title="Khung giờ gửi ZNS (giờ Việt Nam)",
        description="Ngoài khung giờ, phần chưa gửi hoãn tới lần mở kế tiếp; bỏ trống = theo cài đặt "
        "ZNS_SEND_WINDOW (ví dụ 07:00-21:30; mặc định gửi mọi lúc)",
    )
    continue_next_day: bool = Field(
        default=False, title="Hết quota thì gửi tiếp ngày sau",
        description="Gửi tới hết quota ZNS hôm nay (trừ phần giữ lại), phần còn lại gửi tiếp ngày mai; "
        "tắt = dừng trước khi gửi nếu quota không đủ",
    )
    quota_reserve: int = Field(
        default=0, ge=0, title="Giữ lại quota ZNS", description="Số tin quota mỗi ngày để dành cho việc khác"
    )
    circuit_breaker: BreakerSpec | None = Field(
        default=None, title="Ngắt khi chất lượng xấu", description="Bỏ trống = không xét"
    )
    frequency_cap: FrequencyCapSpec | None = Field(
        default=None, title="Giới hạn tần suất", description="Bỏ trống = không giới hạn"
    )
    approval: ApprovalSpec | None = Field(
        default=None, title="Duyệt trước khi gửi", description="Bỏ trống = không cần duyệt"
    )
    shard_size: int | None = Field(
        default=None,
        ge=1,
        title="Số người nhận mỗi phần (nhiều worker)",
        description="Chiến dịch lớn hơn số này được chia thành nhiều phần gửi song song trên các worker; "
        "bỏ trống = không chia (hoặc ZNS_SHARD_SIZE)",
    )
    campaign_id: str | None = Field(
        default=None,
        title="Mã chiến dịch",
        description="Bỏ trống để tự sinh; chạy lại cùng mã sẽ chỉ gửi phần chưa gửi",
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    )
    reimport: bool = Field(
        default=False, title="Nhập lại dòng lỗi đã sửa",
        description="File là file dòng lỗi của chiến dịch (cột Dòng gốc) đã sửa; cần Mã chiến dịch",
    )
    blocklist: str | None = Field(
        default=None, title="File danh sách chặn", description="File một cột số điện thoại không được gửi"
    )
    date_filter: DateFilterSpec | None = Field(
        default=None,
        title="Lọc theo ngày (chiến dịch định kỳ)",
        description="Chỉ gửi cho dòng có ngày trùng ngày chạy, theo giờ Việt Nam",
    )
    # SPEC files and `zns run --at` only: the Prefect form says "send at" with its own
    # "Start: Later", so the field is left out of the form (one way to say it there).
    send_at: SkipJsonSchema[datetime | None] = Field(
        default=None,
        title="Hẹn giờ gửi (giờ Việt Nam)",
        description="Bỏ trống để gửi ngay",
    )

    @field_validator("template_id", "oa_id", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        """An id typed in a SPEC (maybe a YAML number) or picked in the form ("name (id)")."""
        return choice_value(str(value) if isinstance(value, int) else value)

    @model_validator(mode="after")
    def _reimport_names_its_campaign(self) -> CampaignSpec:
        if self.reimport and not self.campaign_id:
            raise ValueError("`reimport` adds corrected rows to a campaign: give its `campaign_id`")
        return self

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
        """Stable hash of what would be sent, so running the same SPEC again is the same campaign;
        how and when it is sent (HOW_FIELDS) is not part of it."""
        data = self.model_dump(mode="json", exclude=set(HOW_FIELDS))
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


HOW_FIELDS = ("dry_run", "campaign_id", "account", "concurrency", "send_at", "shard_size", "send_window",
              "continue_next_day", "quota_reserve", "approval", "frequency_cap", "circuit_breaker", "reimport")


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
