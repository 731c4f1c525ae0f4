"""The recipients error-code tables: stable English codes, Vietnamese explanations for operators.

Row codes describe one problem in one row (the row is not sent); file codes stop the whole
ingest (`RecipientsFileError`) so that no campaign starts on a file we could not read in full.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CodeDoc:
    """What a code means (Vietnamese) and what the operator should do about it."""

    code: str
    meaning_vi: str
    action_vi: str


def _table(*docs: CodeDoc) -> dict[str, CodeDoc]:
    return {d.code: d for d in docs}


# Problems in one row. The full per-row sentence is built by `row_message`.
ROW_CODES: dict[str, CodeDoc] = _table(
    CodeDoc("MISSING_PHONE", "Thiếu số điện thoại",
            "Nhập số di động 10 chữ số, ví dụ 0912345678."),
    CodeDoc("BAD_PHONE", "Số điện thoại không hợp lệ",
            "Sửa thành số di động Việt Nam 10 chữ số, ví dụ 0912345678 hoặc +84912345678."),
    CodeDoc("LANDLINE", "Số cố định, không nhận được ZNS/SMS",
            "Thay bằng số di động của khách hàng."),
    CodeDoc("MISSING_PARAM", "Thiếu giá trị của biến mẫu ZNS",
            "Điền giá trị vào ô này (mẫu ZNS bắt buộc mọi biến)."),
    CodeDoc("TOO_LONG", "Giá trị dài hơn giới hạn của mẫu", "Rút gọn nội dung ô này."),
    CodeDoc("TOO_SHORT", "Giá trị ngắn hơn mức tối thiểu của mẫu", "Bổ sung nội dung ô này."),
    CodeDoc("BAD_NUMBER", "Biến kiểu số không hợp lệ",
            "Chỉ dùng chữ số 0-9, số nguyên, tối đa 12 chữ số, ví dụ 150000."),
    CodeDoc("BAD_DATE", "Ngày không hợp lệ",
            "Ngày phải có dạng dd/MM/yyyy và là ngày có thật, ví dụ 01/12/2026."),
    CodeDoc("BAD_URL", "Đường dẫn không hợp lệ",
            "Đường dẫn phải bắt đầu bằng http:// hoặc https://, ví dụ https://shop.vn/don/123."),
    CodeDoc("DUPLICATE", "Số điện thoại trùng với một dòng phía trên",
            "Chỉ dòng đầu tiên được gửi; xoá dòng trùng hoặc sửa lại số."),
    CodeDoc("BLOCKED", "Số điện thoại nằm trong danh sách chặn",
            "Không gửi cho số này; bỏ dòng khỏi danh sách."),
    CodeDoc("NO_ORIGINAL_ROW", "Thiếu số dòng gốc của chiến dịch",
            "Nhập lại bằng file dòng lỗi tải từ chiến dịch, giữ nguyên cột Dòng gốc."),
    CodeDoc("FREQUENCY_CAP", "Đã nhận đủ số tin ZNS cho phép từ OA trong kỳ",
            "Không phải lỗi dữ liệu: số này được gửi lại khi ra khỏi kỳ giới hạn."),
    CodeDoc("SMS_MISSING_PARAM", "Thiếu giá trị cho biến của tin SMS dự phòng",
            "Điền giá trị (tin SMS gửi không dấu, ô chỉ có ký tự không chuyển được sẽ bị rỗng)."),
    CodeDoc("SMS_TOO_LONG", "Tin SMS dự phòng vượt giới hạn độ dài",
            "Rút gọn giá trị cho vừa mẫu SMS đã đăng ký."),
    CodeDoc("SMS_TEMPLATE_MISMATCH", "Nội dung SMS dự phòng không khớp mẫu đã đăng ký",
            "Kiểm tra giá trị các biến SMS (không xuống dòng, đúng độ dài)."),
)

# Problems with the whole file or the mapping: nothing is sent.
FILE_CODES: dict[str, CodeDoc] = _table(
    CodeDoc("BAD_SOURCE", "Nguồn người nhận không hợp lệ",
            "Chọn đúng một nguồn: file/URL (source) hoặc danh sách nhập tay (recipients)."),
    CodeDoc("FILE_NOT_FOUND", "Không tìm thấy file", "Kiểm tra lại đường dẫn file."),
    CodeDoc("DOWNLOAD_FAILED", "Không tải được file từ URL",
            "Kiểm tra URL và quyền truy cập rồi chạy lại."),
    CodeDoc("EMPTY_FILE", "File rỗng", "Chọn file có dữ liệu."),
    CodeDoc("FILE_TOO_LARGE", "File vượt giới hạn dung lượng",
            "Chia file thành nhiều file nhỏ hơn."),
    CodeDoc("TOO_MANY_ROWS", "File vượt giới hạn số dòng", "Chia danh sách thành nhiều chiến dịch."),
    CodeDoc("NOT_SPREADSHEET", "File không phải bảng tính .xlsx/.xls/.csv",
            "Mở file bằng Excel và lưu lại dạng .xlsx hoặc CSV UTF-8."),
    CodeDoc("ENCRYPTED", "File Excel có mật khẩu",
            "Bỏ mật khẩu (File > Info > Protect Workbook) rồi lưu lại."),
    CodeDoc("ZIP_BOMB", "File .xlsx có kích thước giải nén bất thường",
            "Mở bằng Excel, lưu lại thành file mới; không dùng file không rõ nguồn gốc."),
    CodeDoc("BAD_ENCODING", "File CSV không phải mã UTF-8",
            "Trong Excel chọn Save As > 'CSV UTF-8 (Comma delimited)'."),
    CodeDoc("UNKNOWN_SHEET", "Không có sheet đã chọn", "Chọn một trong các sheet có trong file."),
    CodeDoc("NO_HEADER", "Không có dòng tiêu đề cột",
            "Dòng tiêu đề phải chứa tên cột; chọn đúng dòng tiêu đề (header_row)."),
    CodeDoc("NO_DATA", "Không có dòng dữ liệu nào", "Thêm người nhận dưới dòng tiêu đề."),
    CodeDoc("UNKNOWN_COLUMN", "Không có cột đã chọn", "Chọn một trong các cột có trong file."),
    CodeDoc("AMBIGUOUS_COLUMN", "Có nhiều cột trùng tên", "Đổi tên để mỗi cột có tên riêng."),
    CodeDoc("MISSING_COLUMN", "Biến của mẫu chưa được gán cột",
            "Gán cột cho mọi biến của mẫu (columns / sms_columns)."),
    CodeDoc("NO_PHONE_COLUMN", "Không xác định được cột số điện thoại",
            "Chỉ rõ cột số điện thoại (phone_column)."),
)


class RecipientsFileError(ValueError):
    """The recipients source cannot be used at all; carries a stable code and a Vietnamese line."""

    def __init__(self, code: str, message_vi: str) -> None:
        self.code = code
        self.message_vi = message_vi
        super().__init__(f"{code}: {message_vi}")


def file_error(code: str, detail: str = "") -> RecipientsFileError:
    """Build the file error for `code`: detail, then the table's what-to-do sentence."""
    doc = FILE_CODES[code]
    detail = " ".join(detail.splitlines())  # one line, whatever a file name or library says
    head = f"{doc.meaning_vi}: {detail}" if detail else doc.meaning_vi
    return RecipientsFileError(code, f"{head}. {doc.action_vi}")


def row_message(code: str, row: int, column: str | None, detail: str = "") -> str:
    """One operator sentence: where (column, row), what is wrong, what to do."""
    doc = ROW_CODES[code]
    where = f"Cột '{column}' dòng {row}" if column is not None else f"Dòng {row}"
    what = detail or doc.meaning_vi.lower()
    return f"{where}: {what}. {doc.action_vi}"
