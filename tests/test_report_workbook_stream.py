"""The streamed report workbook (zns/report/xlsx.py): what the rewrite from openpyxl could break.

Formula-safe text, dates that stay dates, XML escaping, widths/panes/filters/styles, the row
limit, the atomic write, and well-formed sheet XML.
"""

from __future__ import annotations

import dataclasses
import math
import os
import stat
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import overload
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.worksheet import Worksheet

from tests.test_report import META, make_outcomes
from zns.outcomes import Channel, FinalState, RecipientOutcome
from zns.report import SHEET_ERRORS, SHEET_RECIPIENTS, SHEET_SUMMARY, CampaignSummary, write_workbook
from zns.report import workbook as workbook_module
from zns.report.summary import ReasonCount
from zns.report.workbook import (
    DATETIME_FORMAT,
    ERROR_COLUMNS,
    EXCEL_MAX_ROWS,
    MONEY_FORMAT,
    PLAIN_DATE_FORMAT,
    PLAIN_DATETIME_FORMAT,
    RECIPIENT_COLUMNS,
    REPORT_FILE_MODE,
    VALUE_COLUMN_WIDTH,
)
from zns.report.xlsx import excel_serial, sheet_parts

T0 = datetime(2024, 5, 1, 2, 0, 0, tzinfo=UTC)


def _write(tmp_path: Path, outcomes: list[RecipientOutcome], **kw: object) -> Path:
    summary = CampaignSummary.from_outcomes(outcomes, META)
    return write_workbook(summary, outcomes, tmp_path / "r.xlsx", **kw)  # type: ignore[arg-type]


def _sheet_xml(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(sheet_parts(z)[sheet]).decode("utf-8")


def test_formula_bait_stays_text_everywhere(tmp_path: Path) -> None:
    bait = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "=HYPERLINK(\"http://x\")", "\t=x"]
    outcomes = [
        RecipientOutcome(2 + i, "0912345678" if i else "=cmd()", FinalState.FAILED if i else FinalState.INVALID,
                         reason_code="108" if i else "BAD_PHONE", channel=Channel.ZNS if i else None,
                         zns_code="108" if i else None, values={"ten": b, "link": "http://example.com"})
        for i, b in enumerate(bait)
    ]
    path = _write(tmp_path, outcomes, invalid_extra={2: {"ghi_chu": "=evil()"}})
    for sheet in (SHEET_SUMMARY, SHEET_RECIPIENTS, SHEET_ERRORS):
        assert "<f>" not in _sheet_xml(path, sheet)  # no formula element at all
    wb = load_workbook(path)
    rec = wb[SHEET_RECIPIENTS]
    names = [rec.cell(row=r, column=17).value for r in range(2, 2 + len(bait))]
    assert names == ["'" + b for b in bait]
    assert all(rec.cell(row=r, column=17).data_type == "s" for r in range(2, 2 + len(bait)))
    assert rec.cell(row=3, column=18).value == "http://example.com"
    assert rec.cell(row=3, column=18).hyperlink is None  # a URL is text, never a link
    assert rec.cell(row=2, column=2).value == "'=cmd()"
    err = wb[SHEET_ERRORS]
    assert [c.value for c in err[2]] == [2, "'=cmd()", "BAD_PHONE", "Số điện thoại không hợp lệ. Sửa thành số di "
                                         "động Việt Nam 10 chữ số, ví dụ 0912345678 hoặc +84912345678.",
                                         "'=1+1", "http://example.com", "'=evil()"]


def test_codes_and_phones_stay_text(tmp_path: Path) -> None:
    outcomes = [RecipientOutcome(2, "+84901234567", FinalState.FAILED, reason_code="-118", channel=Channel.ZNS,
                                 zns_code="100", zns_sms_id="00123", zns_error="-118", values={"so": "0012"})]
    rec = load_workbook(_write(tmp_path, outcomes))[SHEET_RECIPIENTS]
    row = {c.column: c for c in rec[2]}
    for col, value in ((2, "+84901234567"), (6, "-118"), (8, "100"), (9, "00123"), (10, "-118"), (17, "0012")):
        assert (row[col].value, row[col].data_type) == (value, "s")


def test_dates_stay_dates(tmp_path: Path) -> None:
    sent = T0 + timedelta(minutes=1, microseconds=500_000)
    outcomes = [
        RecipientOutcome(2, "0912345678", FinalState.ZNS_DELIVERED, channel=Channel.ZNS, zns_code="100",
                         cost=300.0, sent_at=sent, final_at=sent.replace(tzinfo=None)),  # naive is UTC
        RecipientOutcome(3, "12", FinalState.INVALID, reason_code="BAD_PHONE"),
    ]
    extra = {3: {"ngay_sinh": date(1990, 2, 28), "luc": datetime(2026, 12, 1, 8, 30), "gio": 1.5, "vip": True}}
    wb = load_workbook(_write(tmp_path, outcomes, invalid_extra=extra))
    rec = wb[SHEET_RECIPIENTS]
    for col in (15, 16):
        cell = rec.cell(row=2, column=col)
        assert cell.is_date and cell.number_format == DATETIME_FORMAT
        assert cell.value == datetime(2024, 5, 1, 9, 1, 0, 500_000)  # Vietnam wall-clock, naive
    assert rec.cell(row=2, column=14).value == 300 and rec.cell(row=2, column=14).data_type == "n"
    err = wb[SHEET_ERRORS]
    header = [c.value for c in err[1]]
    cells = dict(zip(header, err[2], strict=True))
    assert cells["ngay_sinh"].is_date and cells["ngay_sinh"].number_format == PLAIN_DATE_FORMAT
    assert cells["ngay_sinh"].value == datetime(1990, 2, 28)
    assert cells["luc"].is_date and cells["luc"].number_format == PLAIN_DATETIME_FORMAT
    assert cells["luc"].value == datetime(2026, 12, 1, 15, 30)  # naive is UTC, shown in VN time (safe_value)
    assert cells["gio"].value == 1.5
    assert cells["vip"].value is True and cells["vip"].data_type == "b"


def test_excel_serial_matches_openpyxl() -> None:
    for dt in (datetime(1900, 3, 1), datetime(2024, 5, 1, 9, 1, 0, 500_000), datetime(2099, 12, 31, 23, 59, 59)):
        assert excel_serial(dt) == pytest.approx(to_excel(dt), abs=1e-9)
    assert excel_serial(date(2024, 5, 1)) == to_excel(date(2024, 5, 1))


def test_text_is_escaped_and_round_trips(tmp_path: Path) -> None:
    texts = ["a & b < c > d \"q\" 'p'", "  lead", "trail  ", "tab\tin", "line\nbreak", "Nguyễn Thị Ánh 😀",
             "x" * 32_767, "]]><![CDATA["]
    outcomes = [RecipientOutcome(2 + i, "0912345678", FinalState.FAILED, reason_code="108", channel=Channel.ZNS,
                                 zns_code="108", values={"t": t}) for i, t in enumerate(texts)]
    path = _write(tmp_path, outcomes)
    for sheet in (SHEET_SUMMARY, SHEET_RECIPIENTS, SHEET_ERRORS):
        ElementTree.fromstring(_sheet_xml(path, sheet))  # well-formed
    rec = load_workbook(path)[SHEET_RECIPIENTS]
    assert [rec.cell(row=2 + i, column=17).value for i in range(len(texts))] == texts


def test_repeated_texts_are_escaped_once_and_reused(tmp_path: Path) -> None:
    outcomes = [RecipientOutcome(2 + i, "0912345678", FinalState.FAILED, reason_code=" R&D<1> ",
                                 reason_vi="lý do & <x>", channel=Channel.ZNS, zns_code="108") for i in range(3)]
    rec = load_workbook(_write(tmp_path, outcomes))[SHEET_RECIPIENTS]
    for r in range(2, 5):  # the cached cell body is right for every row, not only the first
        assert (rec.cell(row=r, column=6).value, rec.cell(row=r, column=7).value) == (" R&D<1> ", "lý do & <x>")


def test_control_characters_and_literal_escapes(tmp_path: Path) -> None:
    outcomes = [RecipientOutcome(2, "0912345678", FinalState.FAILED, reason_code="108", channel=Channel.ZNS,
                                 zns_code="108", values={"t": "a\x00b\x1fc\rd", "u": "_x0041_", "v": "bad\udc80byte"})]
    path = _write(tmp_path, outcomes)
    xml = _sheet_xml(path, SHEET_RECIPIENTS)
    ElementTree.fromstring(xml)
    # \x00 and \x1f are dropped by safe_text; \r and a literal _xHHHH_ take Excel's escapes, so
    # Excel shows "abc\rd" and "_x0041_" (not "A")
    assert "<t>abc_x000D_d</t>" in xml
    assert "<t>_x005F_x0041_</t>" in xml
    assert load_workbook(path)[SHEET_RECIPIENTS].cell(row=2, column=19).value == "bad\ufffdbyte"  # not a crash
    odd = dataclasses.replace(META, campaign_name="Tết\udc80")
    outcomes[0].reason_vi = "lý do\udc80"
    summary = CampaignSummary.from_outcomes(outcomes, odd)
    summ = load_workbook(write_workbook(summary, outcomes, tmp_path / "odd.xlsx"))[SHEET_SUMMARY]
    assert summ["A1"].value.startswith("Báo cáo chiến dịch Tết\ufffd")


def _widths(ws: Worksheet) -> list[float]:
    """Width per column, 1-based order; adjacent equal columns may share one <col> range."""
    by_col = {c: d.width for d in ws.column_dimensions.values() if d.customWidth
              for c in range(d.min, d.max + 1)}
    return [by_col[c] for c in range(1, max(by_col) + 1)]


def test_layout_widths_panes_filters_header_styles(tmp_path: Path) -> None:
    outcomes = make_outcomes()
    wb = load_workbook(_write(tmp_path, outcomes, invalid_extra={3: {"ghi_chu": "x"}}))
    rec, err = wb[SHEET_RECIPIENTS], wb[SHEET_ERRORS]
    widths = [w for _, w in RECIPIENT_COLUMNS] + [VALUE_COLUMN_WIDTH] * 2
    assert _widths(rec) == widths
    assert _widths(err) == [w for _, w in ERROR_COLUMNS] + [VALUE_COLUMN_WIDTH] * 3
    summ = wb[SHEET_SUMMARY]
    assert _widths(summ) == [42, 22, 12, 40, 12]
    assert rec.freeze_panes == err.freeze_panes == "C2"
    assert err.auto_filter.ref == "A1:G3"
    assert rec.max_row == len(outcomes) + 1 and err.max_row == 3  # no prototype row left behind
    assert rec.calculate_dimension() == f"A1:R{len(outcomes) + 1}"
    for ws in (rec, err):
        for cell in ws[1]:
            assert cell.font.b and cell.font.color.rgb == "FFFFFFFF"
            assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == "FF1F4E78"
            assert cell.alignment.wrap_text and cell.alignment.vertical == "center"
    title = summ["A1"]
    assert title.font.b and title.font.sz == 14
    cost = next(r[1] for r in summ.iter_rows() if r[0].value == "Tổng chi phí VND (cost)")
    assert cost.number_format == MONEY_FORMAT


def test_chart_points_at_the_funnel_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, make_outcomes())
    summ = load_workbook(path)[SHEET_SUMMARY]
    header_row = next(r[0].row for r in summ.iter_rows() if r[0].value == "Bước / Step")
    with zipfile.ZipFile(path) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    sheet = "'Tổng quan (Summary)'"
    assert f"<c:f>{sheet}!$B${header_row}</c:f>" in chart  # series name "Số lượng"
    assert f"<c:f>{sheet}!$A${header_row + 1}:$A${header_row + 9}</c:f>" in chart
    assert f"<c:f>{sheet}!$B${header_row + 1}:$B${header_row + 9}</c:f>" in chart
    assert '<c:barDir val="bar"/>' in chart and '<c:orientation val="maxMin"/>' in chart


def test_preflight_section(tmp_path: Path) -> None:
    preflight = {"ok": False, "problem": "=quota exceeded", "recipients": 9, "quota_remaining": 3,
                 "balance": 1234.5, "estimated_zns_cost": 2700.0}
    summ = load_workbook(_write(tmp_path, make_outcomes(), preflight=preflight))[SHEET_SUMMARY]
    cells = {r[0].value: r[1] for r in summ.iter_rows() if r[0].value}
    assert cells["Người nhận hợp lệ sẽ gửi (recipients)"].value == 9
    assert cells["Quota ZNS trong ngày (quota_daily)"].value is None
    assert cells["Số dư tài khoản VND (balance)"].value == 1234.5
    assert cells["Số dư tài khoản VND (balance)"].number_format == MONEY_FORMAT
    assert cells["Kết luận (verdict)"].value == "Không gửi được (stopped): =quota exceeded"


def test_empty_campaign_and_no_errors(tmp_path: Path) -> None:
    wb = load_workbook(_write(tmp_path, []))
    assert wb.sheetnames == [SHEET_SUMMARY, SHEET_RECIPIENTS, SHEET_ERRORS]
    assert wb[SHEET_RECIPIENTS].max_row == 1 and wb[SHEET_ERRORS].max_row == 1
    assert wb[SHEET_ERRORS].auto_filter.ref == "A1:D1"
    one = [RecipientOutcome(2, "0912345678", FinalState.ZNS_DELIVERED, channel=Channel.ZNS, zns_code="100")]
    wb = load_workbook(_write(tmp_path, one))
    assert [c.value for c in wb[SHEET_ERRORS][1]] == [h for h, _ in ERROR_COLUMNS]


def test_non_finite_cost_is_text(tmp_path: Path) -> None:
    o = RecipientOutcome(2, "0912345678", FinalState.ZNS_DELIVERED, channel=Channel.ZNS, zns_code="100", cost=1.0)
    summary = CampaignSummary.from_outcomes([o], META)
    o.cost = math.inf
    rec = load_workbook(write_workbook(summary, [o], tmp_path / "r.xlsx"))[SHEET_RECIPIENTS]
    assert rec.cell(row=2, column=14).value == "inf"


class _Many(Sequence[RecipientOutcome]):
    """A sequence that claims a length without holding the outcomes."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, i: int) -> RecipientOutcome: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[RecipientOutcome]: ...
    def __getitem__(self, i: int | slice) -> RecipientOutcome | Sequence[RecipientOutcome]:
        raise AssertionError("the row limit is checked before any row is read")

    def __iter__(self) -> Iterator[RecipientOutcome]:
        raise AssertionError("the row limit is checked before any row is read")


def test_row_limit_message(tmp_path: Path) -> None:
    n = EXCEL_MAX_ROWS  # one more than fits below the header
    base = CampaignSummary.from_outcomes([], META)
    summary = dataclasses.replace(
        base, rows=n, valid=n, zns_accepted=n, zns_delivered=n, outcome_count=n,
        by_state={**base.by_state, FinalState.ZNS_DELIVERED: n},
        reasons=(ReasonCount(FinalState.ZNS_DELIVERED, None, "", n),))
    with pytest.raises(ValueError, match=r"1048576 recipients do not fit one Excel sheet \(1048575 max\); shard"):
        write_workbook(summary, _Many(n), tmp_path / "r.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_mode_and_atomic_replace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = make_outcomes()
    path = _write(tmp_path, outcomes)
    assert stat.S_IMODE(os.stat(path).st_mode) == REPORT_FILE_MODE
    before = path.read_bytes()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(workbook_module, "assemble", broken)
    with pytest.raises(OSError, match="disk full"):
        _write(tmp_path, outcomes)
    assert path.read_bytes() == before  # the old report stays whole
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]  # no temp file left
