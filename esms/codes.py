"""The one result-code table: every eSMS and Zalo code mapped to a class (docs/architecture.md §5 "Error classes").

Sources: the provider tables summarised in docs/esms-api.md §5 (eSMS CodeResult, 1001, Zalo codes).
Everything else in the product (client retries, simulator messages, ledger states, reports)
reads this table instead of keeping its own list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ResultClass(StrEnum):
    """What the campaign does with a provider result (docs/architecture.md §5)."""

    ACCEPTED = "accepted"
    PERMANENT = "permanent"
    FALLBACK = "fallback"
    TRANSIENT = "transient"
    CONFIG = "config"
    WAIT = "wait"  # refused for now (night hours, today's quota): send again at the next opening


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    result_class: ResultClass
    en: str
    vi: str

    @property
    def label(self) -> str:
        """Operator-facing text: Vietnamese meaning with the stable code beside it."""
        return f"{self.vi} ({self.code})"


A, P, F, T, C, W = (
    ResultClass.ACCEPTED,
    ResultClass.PERMANENT,
    ResultClass.FALLBACK,
    ResultClass.TRANSIENT,
    ResultClass.CONFIG,
    ResultClass.WAIT,
)

# eSMS CodeResult / CodeResponse / Code (§9.1) and the eSMS-side delivery code 1001 (§9.2).
_ESMS: list[tuple[str, ResultClass, str, str]] = [
    ("99", P, "phone number blocked on the eSMS system", "Số điện thoại bị chặn trên hệ thống eSMS"),
    ("100", A, "accepted by eSMS", "eSMS đã tiếp nhận"),
    ("101", C, "wrong ApiKey/SecretKey", "Sai ApiKey/SecretKey"),
    ("102", C, "no price list for this account or route", "Tài khoản chưa có bảng giá"),
    ("103", C, "insufficient balance", "Tài khoản không đủ số dư"),
    ("104", C, "brandname does not exist or is not active", "Brandname không tồn tại hoặc chưa kích hoạt"),
    ("105", T, "message id not found or too new to query", "Chưa tìm thấy tin nhắn (có thể quá mới)"),
    ("106", P, "recording file missing", "Thiếu file ghi âm"),
    ("107", P, "advertising needs at least 30 unique numbers", "Tin quảng cáo cần ít nhất 30 số"),
    ("108", P, "bad phone number format", "Số điện thoại không hợp lệ"),
    ("110", P, "request data invalid", "Dữ liệu yêu cầu không hợp lệ"),
    ("115", P, "bad hashphone", "HashPhone không hợp lệ"),
    ("117", P, "OTP code invalid, used or expired", "Mã OTP không hợp lệ hoặc đã hết hạn"),
    ("118", C, "message type not supported", "Loại tin không được hỗ trợ"),
    ("120", P, "too many numbers", "Quá nhiều số điện thoại"),
    # The product's RequestIds are deterministic, so a duplicate means an earlier attempt reached
    # eSMS: accepted (zns.policy records it as an accepted duplicate and recovers its SMSID).
    ("124", A, "duplicate RequestId within 24 h (accepted earlier)", "RequestId đã tồn tại (đã gửi trước đó)"),
    ("140", C, "caller IP not whitelisted", "IP chưa được cho phép"),
    ("143", C, "account not activated or locked", "Tài khoản chưa kích hoạt hoặc bị khóa"),
    ("146", P, "content does not match a registered CSKH template", "Nội dung không khớp template CSKH đã đăng ký"),
    ("160", T, "TPS limit exceeded", "Vượt giới hạn số yêu cầu mỗi giây"),
    ("163", P, "more than one phone per request", "Nhiều hơn 1 số điện thoại mỗi yêu cầu"),
    ("171", P, "code used, expired or not for this phone", "Mã đã dùng, hết hạn hoặc không đúng số"),
    ("177", C, "telco not registered for this brandname/template", "Nhà mạng chưa đăng ký brandname/template"),
    ("199", T, "same request already in progress", "Yêu cầu giống hệt đang được xử lý"),
    ("201", P, "content contains a blocked keyword", "Nội dung chứa từ khóa bị chặn"),
    ("204", C, "OAID not on the system", "OAID không có trên hệ thống"),
    ("210", P, "payload not in the required format", "Dữ liệu không đúng định dạng"),
    ("300", P, "missing message type", "Thiếu loại tin"),
    ("301", P, "service type code not supported", "Mã loại dịch vụ không được hỗ trợ"),
    ("687", P, "more than 500 items in one request", "Quá 500 phần tử trong một yêu cầu"),
    ("788", C, "OAID not active", "OAID chưa kích hoạt"),
    ("789", C, "template not configured for this OA", "Template chưa được cấu hình cho OA"),
    ("790", C, "data does not fit the ZNS template", "Dữ liệu không khớp template ZNS"),
    ("791", P, "missing OAID or TempID", "Thiếu OAID hoặc TempID"),
    ("799", C, "OAID inactive, wrong or not linked to the account", "OAID không hoạt động hoặc chưa liên kết"),
    ("801", P, "SendingMode 3 cannot be scheduled", "SendingMode 3 không được hẹn giờ"),
    ("802", C, "OA not allowed to use SendingMode 3", "OA không được dùng SendingMode 3"),
    ("851", P, "missing MessageId or SMSID", "Thiếu MessageId hoặc SMSID"),
    ("852", P, "ZaloUid invalid", "ZaloUid không hợp lệ"),
    ("853", P, "missing ZaloUid", "Thiếu ZaloUid"),
    ("854", T, "no status data yet", "Chưa có dữ liệu trạng thái"),
    ("1001", F, "user did not come online in time", "Người nhận không online trong thời gian cho phép"),
]

# Zalo ZNS `error` values as they arrive in error_info / ErrorInfo (§10.6).
_ZALO: list[tuple[int, ResultClass, str, str]] = [
    (0, A, "delivered", "Đã gửi thành công"),
    (-100, T, "unknown Zalo error", "Lỗi Zalo không xác định"),
    (-101, C, "application invalid", "Ứng dụng Zalo không hợp lệ"),
    (-102, C, "application does not exist", "Ứng dụng Zalo không tồn tại"),
    (-103, C, "application not activated", "Ứng dụng Zalo chưa kích hoạt"),
    (-104, C, "app secret key invalid", "Secret key ứng dụng không hợp lệ"),
    (-105, C, "application not linked to any OA", "Ứng dụng chưa liên kết OA"),
    (-106, P, "method unsupported", "Phương thức không được hỗ trợ"),
    (-107, P, "message id invalid", "Message ID không hợp lệ"),
    (-108, P, "phone number invalid", "Số điện thoại không hợp lệ"),
    (-109, P, "template id invalid", "Template ID không hợp lệ"),
    (-110, F, "Zalo version unsupported", "Phiên bản Zalo không hỗ trợ"),
    (-111, P, "template data empty", "Dữ liệu template rỗng"),
    (-112, P, "template data invalid", "Dữ liệu template không hợp lệ"),
    (-113, P, "button or QR code invalid", "Nút bấm hoặc mã QR không hợp lệ"),
    (-114, F, "user inactive, refused or outdated Zalo", "Người dùng không hoạt động hoặc từ chối nhận tin"),
    (-115, T, "out of ZNS quota or balance", "Hết quota hoặc số dư ZNS"),
    (-116, P, "text invalid", "Nội dung không hợp lệ"),
    (-117, C, "OA/app has no permission for this template", "OA không có quyền dùng template này"),
    (-118, F, "Zalo account does not exist", "Số điện thoại chưa có tài khoản Zalo"),
    (-119, F, "account cannot receive messages", "Tài khoản không thể nhận tin"),
    (-120, C, "OA has no permission for this feature", "OA không có quyền dùng tính năng này"),
    (-121, P, "body data empty", "Dữ liệu gửi rỗng"),
    (-123, T, "create OTP failed", "Tạo OTP thất bại"),
    (-124, T, "access token invalid", "Access token không hợp lệ"),
    (-125, C, "OA id invalid", "OA ID không hợp lệ"),
    (-131, C, "template not approved", "Template chưa được duyệt"),
    (-133, W, "ZNS not allowed at this time of day", "Không được gửi ZNS vào giờ này"),
    (-134, F, "user has not answered the OA consent request", "Người dùng chưa đồng ý nhận tin từ OA"),
    (-135, C, "OA not allowed to send ZNS", "OA không được phép gửi ZNS"),
    (-137, T, "ZCA payment failed", "Thanh toán ZCA thất bại"),
    (-138, C, "app lacks permission for this API", "Ứng dụng không có quyền dùng API này"),
    (-139, F, "user refused this ZNS type", "Người dùng từ chối nhận loại tin này"),
    (-140, F, "OA may not send promotion ZNS to this user", "OA không được gửi tin hậu mãi cho người dùng này"),
    (-141, F, "user does not receive ZNS from this OA", "Người dùng không nhận ZNS từ OA này"),
    (-144, W, "OA exceeded its daily quota", "OA vượt quota trong ngày"),
    (-145, C, "OA not allowed to send this content type", "OA không được gửi loại nội dung này"),
    (-146, C, "template disabled for low quality", "Template bị vô hiệu do chất lượng thấp"),
    (-147, W, "template exceeded its daily quota", "Template vượt quota trong ngày"),
    (-148, P, "journey token not found", "Không tìm thấy journey token"),
    (-149, P, "journey token invalid", "Journey token không hợp lệ"),
    (-150, P, "journey token expired", "Journey token hết hạn"),
    (-151, P, "not a journey template", "Không phải template hành trình"),
    (-152, P, "journey token problem", "Lỗi journey token"),
    (-153, P, "data invalid", "Dữ liệu không hợp lệ"),
]

ESMS_CODES: dict[str, CodeInfo] = {c: CodeInfo(c, k, en, vi) for c, k, en, vi in _ESMS}
ZALO_CODES: dict[int, CodeInfo] = {c: CodeInfo(str(c), k, en, vi) for c, k, en, vi in _ZALO}

# Transport-level outcomes that are not provider codes but need a class all the same.
HTTP_ERROR = CodeInfo("HTTP_5XX", T, "gateway returned an HTTP server error", "Cổng eSMS trả lỗi máy chủ")
TIMEOUT = CodeInfo("TIMEOUT", T, "no answer from the gateway in time", "Cổng eSMS không phản hồi kịp")
INVALID_REQUEST = CodeInfo(
    "INVALID_REQUEST", P, "gateway answered {'error': 'Invalid request'}", "Yêu cầu không hợp lệ"
)


def esms_code(code: str | int | None) -> CodeInfo:
    """Class of an eSMS code (a relayed Zalo code, negative, by the Zalo table); an unknown code
    is permanent, so it is never retried blindly."""
    key = str(code).strip() if code is not None else ""
    info = ESMS_CODES.get(key)
    if info is not None:
        return info
    if key.startswith("-") and key[1:].isdigit() and int(key) in ZALO_CODES:
        return ZALO_CODES[int(key)]
    return CodeInfo(key or "UNKNOWN", P, f"unknown eSMS code {key}", f"Mã eSMS không xác định {key}")


def zalo_code(code: int | str) -> CodeInfo:
    """Class of a Zalo (or eSMS 1001) delivery code as it appears in ErrorInfo / error_info."""
    text = str(code).strip()
    if text in ESMS_CODES:  # 1001 and friends arrive in the same field
        return ESMS_CODES[text]
    try:
        value = int(text)
    except ValueError:
        return CodeInfo(text, P, f"unreadable Zalo code {text!r}", f"Mã Zalo không đọc được {text!r}")
    info = ZALO_CODES.get(value)
    if info is not None:
        return info
    return CodeInfo(text, P, f"unknown Zalo code {text}", f"Mã Zalo không xác định {text}")

