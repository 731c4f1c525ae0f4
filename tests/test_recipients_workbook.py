"""The error-rows workbook: contents, formula neutralisation, re-import round trip; samples."""

from __future__ import annotations

import runpy
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from tests.test_recipients_support import (
    FALLBACK,
    HEADER,
    MAPPING,
    TEMPLATE,
    good_row,
    write_xlsx,
)
from zns.recipients import (
    REASON_COLUMNS,
    ValidationResult,
    load_recipients,
    write_error_workbook,
)
from zns.recipients.demo import (
    ORDER_COLUMNS,
    ORDER_SMS_COLUMNS,
    PHONE_COLUMN,
    order_confirmation_sms,
    order_confirmation_template,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "customers.xlsx"


def load(path: Path, **kw: Any) -> ValidationResult:
    return load_recipients(TEMPLATE, source=str(path), **{**MAPPING, **FALLBACK, **kw})


def _source(tmp_path: Path) -> Path:
    rows = [
        good_row(0),
        ["+84 98 111 2233", "-Chị Lan-", "DH2", None, 5000.0, "=HYPERLINK(\"http://x\")"],
        [912345601.0, "@Anh", "DH3", datetime(2026, 12, 3), "12k", "+ghi chú"],
        ["0123", "Bình", "DH4", datetime(2026, 12, 4), 1000, None],
        good_row(5),
    ]
    path = write_xlsx(tmp_path / "k.xlsx", rows, sheet="Đơn T12")
    wb = load_workbook(path)
    wb.active["F3"].data_type = "s"  # typed text starting with "=", not a formula
    wb.save(path)
    return path


def test_error_workbook_contents(tmp_path: Path) -> None:
    result = load(_source(tmp_path))
    assert [r.row for r in result.invalid] == [3, 4, 5]
    out = write_error_workbook(result, tmp_path / "out" / "loi.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["Đơn T12", "Giải thích mã lỗi"]
    ws = wb["Đơn T12"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER + list(REASON_COLUMNS)
    assert len(rows) == 1 + len(result.invalid)
    phone, name, code, when, amount, note, row, codes, reason = rows[1]
    assert (phone, name, note) == ("'+84 98 111 2233", "'-Chị Lan-", "'=HYPERLINK(\"http://x\")")
    assert ws.cell(row=2, column=6).data_type == "s"  # text, never a formula
    assert (row, codes) == (3, "MISSING_PARAM")
    assert "Cột 'Ngày đặt' dòng 3" in reason
    r2 = rows[2]
    assert r2[0] == 912345601 and isinstance(r2[0], int)  # the phone stays a number
    assert r2[1] == "'@Anh" and r2[3] == datetime(2026, 12, 3) and r2[5] == "'+ghi chú"
    assert ws.cell(row=3, column=4).number_format == "dd/mm/yyyy"
    assert rows[3][6:8] == (5, "BAD_PHONE")
    codes_sheet = list(wb["Giải thích mã lỗi"].iter_rows(values_only=True))
    assert ("DUPLICATE" in {c[0] for c in codes_sheet}) and len(codes_sheet) > 14


def test_fixed_error_workbook_reimports_with_same_mapping(tmp_path: Path) -> None:
    result = load(_source(tmp_path))
    out = write_error_workbook(result, tmp_path / "loi.xlsx")
    wb = load_workbook(out)
    ws = wb.active
    ws.cell(row=2, column=4).value = datetime(2026, 12, 2)  # the operator fills the date
    ws.cell(row=3, column=5).value = 12000  # fixes the amount
    ws.cell(row=4, column=1).value = "0912 000 111"  # and the phone
    wb.save(out)
    again = load(out, sheet="Đơn T12")  # same mapping, same sheet name, header on row 1
    assert again.invalid == []
    assert [(r.row, r.phone, r.params) for r in again.valid] == [
        (2, "0981112233", ["-Chị Lan-", "DH2", "02/12/2026", "5000"]),
        (3, "0912345601", ["@Anh", "DH3", "03/12/2026", "12000"]),
        (4, "0912000111", ["Bình", "DH4", "04/12/2026", "1000"]),
    ]
    assert again.valid[0].source_values["Dòng gốc"] == 3  # where it came from


def test_unfixed_error_workbook_gives_same_errors(tmp_path: Path) -> None:
    result = load(_source(tmp_path))
    again = load(write_error_workbook(result, tmp_path / "loi.xlsx"))
    assert [r.codes for r in again.invalid] == [r.codes for r in result.invalid]
    assert [r.phone for r in again.invalid] == ["0981112233", "0912345601", "0123"]
    assert again.invalid[0].source_values["Ghi chú"] == "'=HYPERLINK(\"http://x\")"  # as read
    # a second error workbook from the re-imported one does not stack reason columns
    second = write_error_workbook(again, tmp_path / "loi2.xlsx")
    rows = list(load_workbook(second).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER + list(REASON_COLUMNS)
    assert [r[6] for r in rows[1:]] == [2, 3, 4]  # rows of the file it was read from
    assert rows[1][5] == "'=HYPERLINK(\"http://x\")"  # neutralised once, not twice


def test_sample_sheet_loads_with_demo_mapping() -> None:
    result = load_recipients(
        order_confirmation_template(), source=SAMPLE, phone_column=PHONE_COLUMN,
        columns=ORDER_COLUMNS, sms_template=order_confirmation_sms(),
        sms_columns=ORDER_SMS_COLUMNS,
    )
    assert result.rows_read == 30 and len(result.valid) == 21
    assert sorted(c for r in result.invalid for c in r.codes) == sorted([
        "MISSING_PARAM", "MISSING_PHONE", "LANDLINE", "BAD_PHONE", "DUPLICATE",
        "MISSING_PARAM", "BAD_DATE", "BAD_NUMBER", "TOO_LONG"])
    assert all(r.sms_values and r.sms_values["P1"].isascii() for r in result.valid)


def test_sample_generator_is_deterministic(tmp_path: Path) -> None:
    module = runpy.run_path(str(ROOT / "data" / "samples" / "make_samples.py"))
    built = module["build"](tmp_path / "customers.xlsx")
    assert built.read_bytes() == SAMPLE.read_bytes()


def test_error_rows_read_as_typed_phones_as_digits_and_columns_wide_enough(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An operator opening error-rows.xlsx sees 936123456, not 9.36E+08, and no ### dates."""
    from datetime import date

    import openpyxl

    from zns.recipients.errors_workbook import write_error_workbook
    from zns.recipients.models import InvalidRow, Issue, ValidationResult

    cells = (936123456, "Nguyễn Văn A", date(2026, 12, 1))
    row = InvalidRow(2, "936123456", [Issue("BAD_PHONE", "Số điện thoại", "Cột 'Số điện thoại' dòng 2: sai")],
                     cells, ("Số điện thoại", "Tên khách hàng", "Ngày đặt"))
    result = ValidationResult(valid=[], invalid=[row], rows_read=1, columns=["Số điện thoại", "Tên khách hàng",
                                                                              "Ngày đặt"])
    path = write_error_workbook(result, tmp_path / "error-rows.xlsx")
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws["A2"].value == 936123456 and ws["A2"].number_format == "0"
    assert ws["C2"].number_format == "dd/mm/yyyy"
    assert all((ws.column_dimensions[c].width or 0) >= 12 for c in "ABC")
