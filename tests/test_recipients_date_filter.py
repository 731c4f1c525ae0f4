"""Recurring campaigns: only the rows whose date column matches the run's date are recipients."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from esms.models import ParamType, ZnsParam, ZnsTemplate
from zns.recipients import DateFilter, RecipientsFileError, load_recipients

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "birthdays.xlsx"
TEMPLATE = ZnsTemplate(
    template_id="210002",
    oa_id="4097311281936189049",
    params=(
        ZnsParam(name="customer_name", order=1, max_length=30),
        ZnsParam(name="voucher_code", order=2, max_length=20),
        ZnsParam(name="expiry_date", order=3, type=ParamType.DATE),
    ),
)
COLUMNS = {"customer_name": "Tên khách hàng", "voucher_code": "Mã quà tặng", "expiry_date": "Hạn dùng"}


def load(on: date, **kwargs: object):  # type: ignore[no-untyped-def]
    return load_recipients(TEMPLATE, source=str(SAMPLE), columns=COLUMNS,
                           row_filter=DateFilter("ngay sinh", on, **kwargs))  # type: ignore[arg-type]


def test_birthday_matches_day_and_month_of_any_year() -> None:
    result = load(date(2026, 11, 24))
    assert result.rows_read == 1 and result.filtered_rows == 365
    assert result.valid[0].params[1] == "SN0328"  # 1992-01-01 + 328 days = 24/11


def test_text_and_date_cells_both_match() -> None:
    text_row = load(date(2026, 1, 1))  # row 0 holds its birthday as text "01/01/1970"
    cell_row = load(date(2026, 1, 2))
    assert [r.params[1] for r in text_row.valid] == ["SN0000"]
    assert [r.params[1] for r in cell_row.valid] == ["SN0001"]


def test_leap_day_birthdays_are_greeted_on_28_february() -> None:
    assert [r.params[1] for r in load(date(2026, 2, 28)).valid] == ["SN0058", "SN0059"]
    assert [r.params[1] for r in load(date(2028, 2, 28)).valid] == ["SN0058"]
    assert [r.params[1] for r in load(date(2028, 2, 29)).valid] == ["SN0059"]


def test_exact_date_with_days_ahead(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["SĐT", "customer_name", "contract_no", "amount", "Ngày đến hạn"])
    ws.append([912000001, "A", "HD1", 1000, "04/12/2026"])
    ws.append([912000002, "B", "HD2", 2000, "04/12/2027"])
    ws.append([912000003, "C", "HD3", 3000, "01/12/2026"])
    wb.save(tmp_path / "due.xlsx")
    template = ZnsTemplate(template_id="210003", oa_id="x", params=(
        ZnsParam(name="customer_name", order=1), ZnsParam(name="contract_no", order=2),
        ZnsParam(name="amount", order=3, type=ParamType.NUMBER)))
    result = load_recipients(template, source=str(tmp_path / "due.xlsx"),
                             row_filter=DateFilter("Ngày đến hạn", date(2026, 12, 1), "date", days_ahead=3))
    assert [r.phone for r in result.valid] == ["0912000001"] and result.filtered_rows == 2


def test_unknown_date_column_is_a_mapping_error() -> None:
    with pytest.raises(RecipientsFileError) as err:
        load_recipients(TEMPLATE, source=str(SAMPLE), columns=COLUMNS,
                        row_filter=DateFilter("Ngày cưới", date(2026, 1, 1)))
    assert "Ngày cưới" in str(err.value) and "Ngày sinh" in str(err.value)
