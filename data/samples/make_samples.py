"""Rebuild data/samples/customers.xlsx deterministically: `python data/samples/make_samples.py`.

30 order-confirmation rows as a Vietnamese shop would export them (phones stored as numbers,
real date cells, amounts as numbers) with a few deliberately bad rows, each commented below.
Mapping: zns.recipients.demo (PHONE_COLUMN, ORDER_COLUMNS, ORDER_SMS_COLUMNS).
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
FIXED_TIME = datetime(2026, 1, 5, 9, 0, 0)
HEADER = ["STT", "Số điện thoại", "Tên khách hàng", "Mã đơn hàng", "Ngày đặt", "Tổng tiền",
          "Ghi chú"]

GOOD_NAMES = [
    "Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Cường", "Phạm Thu Dung", "Hoàng Minh Đức",
    "Vũ Thị Hà", "Đặng Quốc Huy", "Bùi Thị Lan", "Đỗ Văn Long", "Hồ Thị Mai",
    "Ngô Thanh Nam", "Dương Thị Ngọc", "Lý Văn Phúc", "Trịnh Thị Quỳnh", "Mai Văn Sơn",
    "Đinh Thị Thảo", "Tạ Quang Trung", "Lâm Thị Uyên", "Châu Văn Vinh", "Phan Thị Xuân",
    "Cao Minh Khoa", "La Thị Yến",
]
PHONES = [
    912345678, 987654321, "0903123456", "+84 91-234 5679", "(098) 765.4322", 84356789012,
    "0353456789", 1662345678, 9.36123456e8, "0868123456", "0777123456", "0822123456",
    "0325123456", 388123456, "0945123456", "0707123456", "0563123456", "0596123456",
    "0876123456", "0559123456", "0399123456", "0978123456",
]


def rows() -> list[list[object]]:
    """Header + data rows; bad rows are marked in the "Ghi chú" column (informational only)."""
    out: list[list[object]] = [HEADER]
    for i, (name, phone) in enumerate(zip(GOOD_NAMES, PHONES, strict=True)):
        day = datetime(2026, 12, 1 + i % 28)
        out.append([i + 1, phone, name, f"DH2026{i + 1:05d}",
                    day if i % 3 else day.strftime("%d/%m/%Y"),
                    120000.0 + 5000 * i, "khách quen" if i % 4 == 0 else None])
    bad = [
        ["", "Không Số Điện Thoại", "DH202600101", datetime(2026, 12, 2), 150000, "thiếu số"],
        ["02438261234", "Công Ty Cố Định", "DH202600102", datetime(2026, 12, 2), 90000,
         "số cố định"],
        ["0123", "Số Sai", "DH202600103", datetime(2026, 12, 3), 80000, "số sai"],
        [912345678, "Nguyễn Văn An", "DH202600104", datetime(2026, 12, 4), 50000,
         "trùng số dòng 2"],
        ["0934567890", None, "DH202600105", datetime(2026, 12, 5), 70000, "thiếu tên"],
        ["0934567891", "Trần Văn Bình", "DH202600106", "31/02/2026", 60000, "ngày không có thật"],
        ["0934567892", "Lê Thị Cúc", "DH202600107", datetime(2026, 12, 7), "12k", "tiền sai"],
        ["0934567893", "Nguyễn Ngọc Bảo Trâm Phương Thảo Anh", "DH202600108",
         datetime(2026, 12, 8), 45000, "tên quá 30 ký tự"],
    ]
    for j, row in enumerate(bad, start=len(out)):
        out.append([j, *row])
    return out


def build(path: Path) -> Path:
    """Write the workbook, then re-zip it with fixed timestamps so the bytes are reproducible."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Khách hàng"
    for row in rows():
        ws.append(row)
    for r in range(2, ws.max_row + 1):
        ws.cell(row=r, column=5).number_format = "dd/mm/yyyy"
        ws.cell(row=r, column=6).number_format = "#,##0"
    ws.cell(row=10, column=6).value = "=NA()"  # a formula error cell: #N/A, amount missing
    ws.cell(row=10, column=7).value = "tổng tiền lỗi #N/A"
    ws.column_dimensions["C"].width = 34
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    wb.save(raw)
    raw.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _fix_core_times(data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    path.write_bytes(out.getvalue())
    return path


def _fix_core_times(data: bytes) -> bytes:
    """openpyxl stamps the save time into core.xml; pin it."""
    import re

    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "customers.xlsx"
    print(build(target))
