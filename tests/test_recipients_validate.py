"""Validation against the order-confirmation ZNS template and its CSKH fallback: every code."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from esms.models import ParamType, ZnsParam, ZnsTemplate
from esms.sms_templates import SmsTemplate
from tests.test_recipients_support import (
    FALLBACK,
    HEADER,
    MAPPING,
    SMS,
    TEMPLATE,
    add_cached_errors,
    good_row,
    write_xlsx,
)
from zns.recipients import (
    InvalidRow,
    RecipientsFileError,
    ValidationResult,
    iter_validated,
    load_recipients,
)


def load(path: Path, **kw: Any) -> ValidationResult:
    return load_recipients(TEMPLATE, source=str(path), **{**MAPPING, **FALLBACK, **kw})


def by_row(result: ValidationResult) -> dict[int, InvalidRow]:
    return {r.row: r for r in result.invalid}


def test_excel_cells_become_template_strings(tmp_path: Path) -> None:
    rows = [
        [912345678, "  Nguyễn Văn An ", "DH00001", datetime(2026, 12, 1), 12000.0, "x"],
        ["+84 98-765 4321", "Trần Thị Bích", 100234.0, "2026-12-01", "1.500.000", None],
        [9.36123456e8, "Lê Cường", "DH00003", "1/12/2026", 46357, None],
        ["(035) 345.6789", "Phạm Dung", "DH00004", 46357, 250000, None],
    ]
    result = load(write_xlsx(tmp_path / "k.xlsx", rows))
    assert result.invalid == []
    assert result.rows_read == 4 and result.columns == HEADER
    a, b, c, d = result.valid
    assert (a.row, a.phone, a.params) == (2, "0912345678",
                                          ["Nguyễn Văn An", "DH00001", "01/12/2026", "12000"])
    assert a.sms_values == {"P1": "Nguyen Van An", "P2": "DH00001", "P3": "12000"}
    assert a.source_values[HEADER[0]] == 912345678  # original cell kept for the report
    assert (b.phone, b.params[1:]) == ("0987654321", ["100234", "01/12/2026", "1500000"])
    assert (c.phone, c.params[2:]) == ("0936123456", ["01/12/2026", "46357"])
    assert (d.phone, d.params[2]) == ("0353456789", "01/12/2026")  # Excel serial in a date param


def test_every_row_code(tmp_path: Path) -> None:
    d = datetime(2026, 12, 1)
    rows = [
        good_row(0),                                                   # 2 valid
        [None, "Không Số", "DH1", d, 1000, "ghi chú"],                 # 3 MISSING_PHONE
        ["0123", "Số Sai", "DH2", d, 1000, None],                      # 4 BAD_PHONE
        ["02438261234", "Cố Định", "DH3", d, 1000, None],              # 5 LANDLINE
        [912345601, "", "DH4", d, 1000, None],                         # 6 MISSING_PARAM
        [912345602, "A" * 31, "DH5", d, 1000, None],                   # 7 TOO_LONG
        [912345603, "Bình", "DH6", "31/02/2026", 1000, None],          # 8 BAD_DATE
        [912345604, "Cúc", "DH7", d, "12k", None],                     # 9 BAD_NUMBER
        [912345605, "Dung", "DH8", d, 1234567890123, None],            # 10 BAD_NUMBER (13 d.)
        [912345606, "Dung", "DH9", d, 12000.5, None],                  # 11 BAD_NUMBER fraction
        ["+84912345600", "Lặp", "DH10", d, 1000, None],                # 12 DUPLICATE of row 2
        ["0987000111", "Chặn", "DH11", d, 1000, None],                 # 13 BLOCKED
        [912345607, "漢字", "DH12", d, 1000, None],                     # 14 SMS_MISSING_PARAM
        [912345608, "Ém", "DH-2026-00000000000013", d, 1000, None],      # 15 SMS_TOO_LONG (P2 20)
        [912345609, "#N/A", "DH14", d, 1000, None],                    # 16 MISSING_PARAM (#N/A)
    ]
    result = load(write_xlsx(tmp_path / "k.xlsx", rows), blocklist={"+84 98 700 0111"})
    assert result.rows_read == len(rows) == len(result.valid) + len(result.invalid)
    assert [r.row for r in result.valid] == [2]
    got = {r.row: r.codes for r in result.invalid}
    assert got == {
        3: ["MISSING_PHONE"], 4: ["BAD_PHONE"], 5: ["LANDLINE"], 6: ["MISSING_PARAM"],
        7: ["TOO_LONG"], 8: ["BAD_DATE"], 9: ["BAD_NUMBER"], 10: ["BAD_NUMBER"],
        11: ["BAD_NUMBER"], 12: ["DUPLICATE"], 13: ["BLOCKED"], 14: ["SMS_MISSING_PARAM"],
        15: ["SMS_TOO_LONG"], 16: ["MISSING_PARAM"],
    }
    rows_by = by_row(result)
    assert rows_by[8].issues[0].message_vi.startswith("Cột 'Ngày đặt' dòng 8: '31/02/2026'")
    assert "dd/MM/yyyy" in rows_by[8].message_vi and "01/12/2026" in rows_by[8].message_vi
    assert "dòng 2" in rows_by[12].message_vi and rows_by[12].phone == "0912345600"
    assert rows_by[12].column == "Số điện thoại"
    assert rows_by[7].column == "Tên khách hàng" and "31" in rows_by[7].message_vi
    assert rows_by[15].column == "Mã đơn hàng" and "20" in rows_by[15].message_vi
    assert rows_by[4].phone == "0123"  # raw text kept for an unusable phone
    assert rows_by[3].source_values["Ghi chú"] == "ghi chú"


def test_too_short_and_bad_url_and_accept_null() -> None:
    template = ZnsTemplate(template_id="1", oa_id="1", params=(
        ZnsParam(name="code", order=1, min_length=4, max_length=8),
        ZnsParam(name="link", order=2, type=ParamType.URL),
        ZnsParam(name="note", order=3, accept_null=True),
    ))
    people: list[dict[str, Any]] = [
        {"phone": "0912345678", "values": {"code": "AB12", "link": "https://a.vn/x", "note": ""}},
        {"phone": "0912345679", "values": {"code": "AB", "link": "a.vn/x", "note": None}},
    ]
    result = load_recipients(template, recipients=people)
    assert [r.params for r in result.valid] == [["AB12", "https://a.vn/x", ""]]
    assert result.invalid[0].row == 2
    assert result.invalid[0].codes == ["TOO_SHORT", "BAD_URL"]


def test_whole_sms_too_long_and_template_mismatch() -> None:
    long_sms = SmsTemplate("1", "ZNSDEMO", "x" * 450 + " {P1,30}")
    people: list[dict[str, Any]] = [{"phone": "0912345678", "values": {
        "customer_name": "Nguyễn Văn An", "order_code": "A1", "order_date": "01/12/2026",
        "amount": 1000}}]
    result = load_recipients(TEMPLATE, recipients=people, sms_template=long_sms,
                             sms_columns={"P1": "customer_name"})
    assert result.invalid[0].codes == ["SMS_TOO_LONG"]
    assert result.invalid[0].column is None and "ký tự" in result.invalid[0].message_vi

    class LettersOnly(SmsTemplate):
        """A gateway whose template check refuses digits in P1."""

        def pattern(self) -> re.Pattern[str]:
            return re.compile(super().pattern().pattern.replace("(.{1,30})", "([A-Za-z ]{1,30})",
                                                                1), re.DOTALL)

    strict = LettersOnly(SMS.template_id, SMS.brandname, SMS.content)
    people.append({"phone": "0912345679", "values": {**people[0]["values"],
                                                    "customer_name": "Khách 2"}})
    result = load_recipients(TEMPLATE, recipients=people, sms_template=strict,
                             sms_columns={"P1": "customer_name", "P2": "order_code",
                                          "P3": "amount"})
    assert [r.row for r in result.valid] == [1]
    assert result.invalid[0].codes == ["SMS_TEMPLATE_MISMATCH"]
    assert "ZNSDEMO" in result.invalid[0].message_vi


def test_a_row_lists_all_its_problems(tmp_path: Path) -> None:
    rows = [["0123", "", "DH1", "hôm qua", -5, None]]
    result = load(write_xlsx(tmp_path / "k.xlsx", rows))
    bad = result.invalid[0]
    assert bad.codes == ["BAD_PHONE", "MISSING_PARAM", "BAD_DATE", "BAD_NUMBER"]
    assert [i.column for i in bad.issues] == ["Số điện thoại", "Tên khách hàng", "Ngày đặt",
                                              "Tổng tiền"]
    assert all("dòng 2" in i.message_vi for i in bad.issues)


def test_first_valid_row_wins_duplicates() -> None:
    values = {"customer_name": "An", "order_code": "A", "order_date": "01/12/2026",
              "amount": 1}
    people: list[dict[str, Any]] = [
        {"phone": "0912345678", "values": {**values, "customer_name": ""}},  # invalid
        {"phone": "912345678", "values": values},  # first valid one: sent
        {"phone": "+84912345678", "values": values},  # duplicate of row 2
    ]
    result = load_recipients(TEMPLATE, recipients=people)
    assert [r.row for r in result.valid] == [2]
    assert {r.row: r.codes for r in result.invalid} == {1: ["MISSING_PARAM"], 3: ["DUPLICATE"]}
    assert "dòng 2" in result.invalid[1].message_vi


def test_blank_rows_skipped_and_counted(tmp_path: Path) -> None:
    rows = [good_row(0), [None] * 6, ["", "  ", None, "", None, "#N/A"], good_row(1),
            [None, None, None, None, None, "chỉ có ghi chú"], [None] * 6, [None] * 6]
    result = load(write_xlsx(tmp_path / "k.xlsx", rows))
    assert [r.row for r in result.valid] == [2, 5]
    assert [r.row for r in result.invalid] == [6]  # a note alone is a row with no phone
    assert result.invalid[0].codes[0] == "MISSING_PHONE"
    assert result.rows_read == 3 and result.blank_rows == 2  # trailing empties are not cells
    assert result.totals_ok


def test_header_row_and_row_numbers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "k.xlsx", [good_row(0), ["bad"] + good_row(1)[1:]],
                      before=[["DANH SÁCH KHÁCH HÀNG THÁNG 12"], []])
    result = load(path, header_row=2)
    assert [r.row for r in result.valid] == [4]
    assert [r.row for r in result.invalid] == [5]


def test_default_mapping_by_param_names_and_guessed_phone(tmp_path: Path) -> None:
    header = ["STT", "SĐT", "Customer_Name", "order code", "ORDER_DATE", " amount "]
    path = write_xlsx(tmp_path / "k.xlsx", [[1, *good_row(0)[:5]]], header=header)
    result = load_recipients(TEMPLATE, source=path)
    assert result.phone_column == "SĐT"
    assert result.column_map == {"customer_name": "Customer_Name", "order_code": "order code",
                                 "order_date": "ORDER_DATE", "amount": "amount"}
    assert result.valid[0].params == ["Khách 0 Nguyễn", "DH00000", "01/12/2026", "150000"]
    assert result.valid[0].sms_values == {}


def test_mapping_matches_without_diacritics(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "k.xlsx", [good_row(0)])
    loose = {k: v.upper().replace("Ạ", "A") for k, v in MAPPING["columns"].items()}
    result = load_recipients(TEMPLATE, source=path, phone_column="so dien thoai",
                             columns={k: "  " + v.lower() for k, v in loose.items()})
    assert len(result.valid) == 1


@pytest.mark.parametrize(
    ("kw", "code", "needle"),
    [
        ({"phone_column": "Điện thoại KH"}, "UNKNOWN_COLUMN", "'Tên khách hàng'"),
        ({"columns": {"customer_name": "Họ tên"}}, "UNKNOWN_COLUMN", "'Mã đơn hàng'"),
        ({"columns": {"coupon": "Tên khách hàng"}}, "UNKNOWN_COLUMN", "customer_name"),
        ({"columns": {}}, "MISSING_COLUMN", "customer_name"),
        ({"sms_template": SMS, "sms_columns": {"P1": "Tên khách hàng"}}, "MISSING_COLUMN", "P2"),
        ({"sms_columns": {"P1": "Tên khách hàng"}}, "BAD_SOURCE", "SMS"),
    ],
)
def test_mapping_errors_before_any_row(tmp_path: Path, kw: dict[str, Any], code: str,
                                       needle: str) -> None:
    path = write_xlsx(tmp_path / "k.xlsx", [good_row(0)])
    args = {**MAPPING, **kw}
    with pytest.raises(RecipientsFileError) as exc:
        iter_validated(TEMPLATE, source=path, **args)  # raised on the call, not on iteration
    assert exc.value.code == code
    assert needle in exc.value.message_vi


def test_no_phone_column(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "k.xlsx", [[1, "An"]], header=["STT", "customer_name"])
    with pytest.raises(RecipientsFileError) as exc:
        load_recipients(TEMPLATE, source=path)
    assert exc.value.code == "NO_PHONE_COLUMN" and "'STT'" in exc.value.message_vi


def test_manual_list() -> None:
    people: list[dict[str, Any]] = [
        {"phone": 912345678, "values": {"customer_name": "Nguyễn An", "order_code": "A1",
                                        "order_date": "2026-12-01", "amount": "150000"}},
        {"phone": "0987654321", "values": {"customer_name": "Bình", "order_code": "A2",
                                           "order_date": "01/12/2026"}},
        {"phone": "0912345679", "customer_name": "Flat", "order_code": "A3",
         "order_date": "01/12/2026", "amount": 5},
    ]
    result = load_recipients(TEMPLATE, recipients=people, sms_template=SMS,
                             sms_columns={"P1": "customer_name", "P2": "order_code",
                                          "P3": "amount"})
    assert result.columns == ["phone", "customer_name", "order_code", "order_date", "amount"]
    assert [(r.row, r.phone, r.params) for r in result.valid] == [
        (1, "0912345678", ["Nguyễn An", "A1", "01/12/2026", "150000"]),
        (3, "0912345679", ["Flat", "A3", "01/12/2026", "5"]),
    ]
    assert result.valid[0].sms_values["P1"] == "Nguyen An"
    assert result.invalid[0].row == 2 and result.invalid[0].codes == ["MISSING_PARAM"]
    assert "'amount'" in result.invalid[0].message_vi


@pytest.mark.parametrize("people", [[], ["0912345678"], [{"phone": "1", "values": [1]}]])
def test_bad_manual_lists(people: list[Any]) -> None:
    with pytest.raises(RecipientsFileError) as exc:
        load_recipients(TEMPLATE, recipients=people)
    assert exc.value.code in {"NO_DATA", "BAD_SOURCE"}


def test_streaming_chunks_dedupe_across_chunks(tmp_path: Path) -> None:
    rows = [good_row(i) for i in range(23)] + [good_row(3)]
    path = write_xlsx(tmp_path / "k.xlsx", rows)
    stream = iter_validated(TEMPLATE, source=path, chunk_size=5, **MAPPING, **FALLBACK)
    chunks = list(stream)
    assert [c.rows_read for c in chunks] == [5, 5, 5, 5, 4]
    assert chunks[-1].invalid[0].codes == ["DUPLICATE"] and chunks[-1].invalid[0].row == 25
    assert stream.rows_read == 24 and len(stream.validator.first_row) == 23


def test_formula_error_cells_are_missing(tmp_path: Path) -> None:
    rows = [good_row(0), good_row(1)]
    rows[0][4] = "=1/0"
    rows[1][1] = "=NA()"
    path = add_cached_errors(write_xlsx(tmp_path / "k.xlsx", rows), {"E2": "#DIV/0!",
                                                                     "B3": "#N/A"})
    result = load(path)
    assert {r.row: r.codes for r in result.invalid} == {2: ["MISSING_PARAM"],
                                                       3: ["MISSING_PARAM"]}


def test_empty_rows_above_the_header_keep_excel_numbers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "k.xlsx", [good_row(0), ["x", *good_row(1)[1:]]],
                      before=[[None], [None]])
    result = load(path)  # header_row=0 points at an empty row: the first non-empty row is used
    assert [r.row for r in result.valid] == [4] and [r.row for r in result.invalid] == [5]
    assert "dòng 5" in result.invalid[0].message_vi
