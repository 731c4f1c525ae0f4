"""Rebuild data/samples/birthdays.xlsx deterministically: `python data/samples/make_birthdays.py`.

366 customers, one birthday for each day of the year (29/02 included), so the recurring
`birthday-greetings` deployment finds someone to greet whatever day it runs.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADER = ["Số điện thoại", "Tên khách hàng", "Ngày sinh", "Mã quà tặng", "Hạn dùng"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Minh", "Nga", "Phong", "Quân", "Thảo"]


def build(path: Path = HERE / "birthdays.xlsx") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Khach hang"
    ws.append(HEADER)
    day = date(1992, 1, 1)  # a leap year: every calendar day once
    for i in range(366):
        born = day + timedelta(days=i)
        year = 1992 if (born.month, born.day) == (2, 29) else 1970 + i % 35
        birthday: object = datetime(year, born.month, born.day)
        if i % 7 == 0:  # some sheets hold dates as text: both must match
            birthday = f"{born.day:02d}/{born.month:02d}/{year}"
        ws.append([
            912300000 + i,  # stored as a number, as Excel does
            f"{FAMILY[i % len(FAMILY)]} {GIVEN[i % len(GIVEN)]} {i}",
            birthday,
            f"SN{i:04d}",
            datetime(2027, 12, 31),
        ])
    wb.properties.created = wb.properties.modified = datetime(2026, 1, 5, 9, 0, 0)
    wb.save(path)
    return path


if __name__ == "__main__":
    print(build())
