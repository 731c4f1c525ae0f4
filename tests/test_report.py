"""Campaign report: totals and invariant, markdown/table artifacts, the Excel workbook."""

from __future__ import annotations

import dataclasses
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from esms.codes import esms_code, zalo_code
from zns.outcomes import STATE_LABELS_VI, Channel, FinalState, RecipientOutcome
from zns.report import (
    JSON_LINE_KEYS,
    SHEET_ERRORS,
    SHEET_RECIPIENTS,
    SHEET_SUMMARY,
    CampaignMeta,
    CampaignSummary,
    ReportInvariantError,
    progress_markdown,
    reason_label,
    render_markdown,
    state_reason_table,
    write_workbook,
)
from zns.report.markdown import OTHER_CODE, TABLE_COLUMNS
from zns.report.workbook import ERROR_COLUMNS, RECIPIENT_COLUMNS, safe_text

T0 = datetime(2024, 5, 1, 2, 0, 0, tzinfo=UTC)  # 09:00 in Vietnam

META = CampaignMeta(
    campaign_id="cmp-2024-05",
    campaign_name="Sinh nhật tháng 5 | VIP",
    template_id="245678",
    oa_id="4097311281936189049",
    started_at=T0,
    finished_at=T0 + timedelta(hours=1, minutes=2, seconds=5),
)


def _o(row: int, state: FinalState, **kw: object) -> RecipientOutcome:
    kw.setdefault("phone", f"09{row:08d}")
    return RecipientOutcome(row=row, state=state, **kw)  # type: ignore[arg-type]


def make_outcomes() -> list[RecipientOutcome]:
    """Every final state and channel, accepted/duplicate/refused sends, injection bait."""
    sent = T0 + timedelta(minutes=1)
    done = T0 + timedelta(minutes=5)
    vals = {"ten_kh": "Nguyễn Văn A", "ma_don": "DH001"}
    return [
        _o(2, FinalState.INVALID, phone="12345", reason_code="BAD_PHONE",
           reason_vi="Số điện thoại không hợp lệ", values={"ten_kh": "Trần B", "ma_don": ""}),
        _o(3, FinalState.INVALID, phone="=HYPERLINK(\"http://x\")", reason_code="MISSING_VALUE",
           reason_vi="Thiếu biến ma_don", values={"ten_kh": "@SUM(A1)", "ma_don": ""}),
        _o(4, FinalState.ZNS_DELIVERED, channel=Channel.ZNS, zns_code="100", zns_sms_id="Z4",
           zns_error="0", cost=300.0, sent_at=sent, final_at=done, values=vals),
        _o(5, FinalState.ZNS_DELIVERED, channel=Channel.ZNS, zns_code="124", zns_sms_id="Z5",
           cost=0.0, sent_at=sent, final_at=done, values=vals),
        _o(6, FinalState.SMS_DELIVERED, channel=Channel.SMS, zns_code="100", zns_error="-118",
           reason_code="-118", sms_code="100", sms_sms_id="S6",
           sms_text="-Chuc mung sinh nhat Nguyen Van A", cost=850.0, sent_at=sent,
           final_at=done, values=vals),
        _o(7, FinalState.SMS_DELIVERED, channel=Channel.SMS, zns_code="100", zns_error="-114",
           reason_code="-114", sms_code="124", cost=550.0, sent_at=sent, final_at=done,
           values=vals),
        _o(8, FinalState.FAILED, channel=Channel.ZNS, zns_code="100", zns_error="-118",
           reason_code="-118", cost=0.0, sent_at=sent, final_at=done, values=vals),
        _o(9, FinalState.FAILED, channel=Channel.SMS, zns_code="100", zns_error="-118",
           reason_code="146", sms_code="146", values=vals),
        _o(10, FinalState.FAILED, channel=Channel.ZNS, zns_code="108", reason_code="108",
           values={"ten_kh": "+cmd|' /C calc'!A0", "ma_don": "DH010"}),
        _o(11, FinalState.UNKNOWN, channel=Channel.ZNS, zns_code="100", reason_code="NO_STATUS",
           reason_vi="Đã gửi ZNS, chưa có trạng thái trước hạn", cost=300.0, sent_at=sent,
           values=vals),
        _o(12, FinalState.UNKNOWN, channel=Channel.SMS, zns_code="100", zns_error="-118",
           reason_code="105", sms_code="100", cost=850.0, sent_at=sent, values=vals),
    ]


@pytest.fixture()
def outcomes() -> list[RecipientOutcome]:
    return make_outcomes()


@pytest.fixture()
def summary(outcomes: list[RecipientOutcome]) -> CampaignSummary:
    return CampaignSummary.from_outcomes(outcomes, META)


# --- summary -------------------------------------------------------------------------------


def test_summary_funnel_counts(summary: CampaignSummary) -> None:
    assert summary.rows == 11
    assert summary.invalid == 2
    assert summary.valid == 9
    assert summary.zns_accepted == 8  # row 10 got 108, the invalid rows were never sent
    assert summary.zns_delivered == 2
    assert summary.sms_sent == 3  # 100, 124 and 100; 146 was refused
    assert summary.sms_delivered == 2
    assert summary.failed == 3
    assert summary.unknown == 2
    assert summary.total_cost == pytest.approx(2850.0)
    assert summary.by_state == {
        FinalState.ZNS_DELIVERED: 2,
        FinalState.SMS_DELIVERED: 2,
        FinalState.FAILED: 3,
        FinalState.UNKNOWN: 2,
        FinalState.INVALID: 2,
    }
    assert [k for k, _, _ in summary.funnel()] == [
        "rows", "valid", "zns_accepted", "zns_delivered", "sms_sent", "sms_delivered",
        "failed", "unknown", "invalid",
    ]


def test_failure_reasons_use_the_code_table(summary: CampaignSummary) -> None:
    failed = {r.code: r for r in summary.failure_reasons}
    assert set(failed) == {"-118", "146", "108"}
    assert failed["-118"].label_vi == zalo_code("-118").vi
    assert failed["146"].label_vi == esms_code("146").vi
    assert sum(r.count for r in summary.failure_reasons) == summary.failed
    reasons = {(r.state, r.code): r for r in summary.reasons}
    # a row-check code reads as the code's own sentence (what is wrong, what to do), never as
    # one row's text: a group of 1,000 bad phones is one line of the top-reasons table
    assert reasons[(FinalState.INVALID, "BAD_PHONE")].label_vi == (
        "Số điện thoại không hợp lệ. Sửa thành số di động Việt Nam 10 chữ số, ví dụ 0912345678 hoặc +84912345678.")
    # delivered rows without a reason are grouped under no code
    assert reasons[(FinalState.ZNS_DELIVERED, None)].count == 2
    assert sum(r.count for r in summary.reasons) == summary.rows


def test_reason_label_rules() -> None:
    assert reason_label(-118) == zalo_code(-118).vi
    assert reason_label("1001") == esms_code("1001").vi
    assert reason_label("TIMEOUT") == "Cổng eSMS không phản hồi kịp"
    assert reason_label("-118", "văn bản riêng") == zalo_code(-118).vi
    assert reason_label("-118", "văn bản riêng", prefer_row=True) == "văn bản riêng"
    assert reason_label("BAD_PHONE", "Sai số").startswith("Số điện thoại không hợp lệ. Sửa thành")
    assert reason_label("BAD_PHONE", "Sai số", prefer_row=True) == "Sai số"  # the Recipients sheet
    assert reason_label("SOME_PRODUCT_CODE", "văn bản riêng") == "văn bản riêng"
    assert reason_label("WHATEVER") == "Không rõ lý do"
    assert reason_label(None) == "Không có lý do"


def test_json_line_dict(summary: CampaignSummary, tmp_path: Path) -> None:
    d = summary.as_json_line_dict(tmp_path / "r.xlsx")
    assert tuple(d) == JSON_LINE_KEYS
    assert set(d) == {
        "campaign_id", "rows", "invalid", "zns_accepted", "zns_delivered", "sms_sent",
        "sms_delivered", "failed", "unknown", "report",
    }
    assert d["campaign_id"] == "cmp-2024-05"
    assert d["report"] == str(tmp_path / "r.xlsx")
    assert (d["rows"], d["invalid"], d["zns_accepted"], d["sms_sent"]) == (11, 2, 8, 3)
    assert d["rows"] == sum(d[k] for k in ("invalid", "zns_delivered", "sms_delivered",
                                           "failed", "unknown"))
    assert summary.as_json_line_dict(None)["report"] is None


def test_missing_row_breaks_the_invariant(outcomes: list[RecipientOutcome]) -> None:
    with pytest.raises(ReportInvariantError, match="rows=12"):
        CampaignSummary.from_outcomes(outcomes, META, input_rows=len(outcomes) + 1)
    unchecked = CampaignSummary.from_outcomes(
        outcomes, META, input_rows=len(outcomes) + 1, check=False
    )
    with pytest.raises(ReportInvariantError):
        unchecked.check()


def test_duplicate_row_is_rejected(outcomes: list[RecipientOutcome]) -> None:
    dup = dataclasses.replace(outcomes[4])
    with pytest.raises(ReportInvariantError, match="repeat a row number.*6"):
        CampaignSummary.from_outcomes([*outcomes, dup], META)


def test_tampered_totals_are_rejected(summary: CampaignSummary) -> None:
    summary.check()
    with pytest.raises(ReportInvariantError, match="failed"):
        dataclasses.replace(summary, failed=summary.failed + 1).check()
    with pytest.raises(ReportInvariantError, match="sms_sent"):
        dataclasses.replace(summary, sms_sent=summary.sms_delivered - 1).check()


def test_contradictory_rows_are_rejected(outcomes: list[RecipientOutcome]) -> None:
    outcomes[2].zns_code = "108"  # row 4: zns_delivered but eSMS never took the send
    with pytest.raises(ReportInvariantError, match="row 4: zns_delivered without"):
        CampaignSummary.from_outcomes(outcomes, META)
    fresh = make_outcomes()
    fresh[5].sms_code = None  # row 7: sms_delivered without an SMS
    fresh[0].zns_code = "100"  # row 2: invalid yet sent
    with pytest.raises(ReportInvariantError, match="2 rows.*row 2: invalid but sent.*row 7"):
        CampaignSummary.from_outcomes(fresh, META)


def test_funnel_cannot_widen(summary: CampaignSummary) -> None:
    with pytest.raises(ReportInvariantError, match="zns_delivered=2 exceeds zns_accepted=1"):
        dataclasses.replace(summary, zns_accepted=1).check()


def test_empty_campaign() -> None:
    s = CampaignSummary.from_outcomes([], META)
    assert s.rows == 0 and s.reasons == ()
    assert "0,0 %" in render_markdown(s)
    assert state_reason_table(s) == []


# --- markdown / table / progress -------------------------------------------------------------


def test_markdown_report(summary: CampaignSummary) -> None:
    md = render_markdown(summary)
    lines = md.splitlines()
    assert lines[0] == r"# Báo cáo chiến dịch Sinh nhật tháng 5 \| VIP (`cmp-2024-05`)"
    assert not [ln for ln in lines if ln[:1].isspace()]
    for state in FinalState:
        assert f"{STATE_LABELS_VI[state]} ({state.value})" in md
    assert "| Tổng số dòng (`rows`) | 11 | 100,0 % |" in md
    assert "| ZNS được eSMS tiếp nhận (`zns_accepted`) | 8 | 72,7 % |" in md
    assert "| Thất bại (failed) | 3 | 27,3 % |" in md
    assert f"| Thất bại (failed) | `-118` | {zalo_code(-118).vi} | 1 |" in md
    assert "2.850 ₫" in md
    assert "01/05/2024 09:00:00" in md and "01/05/2024 10:02:05" in md
    assert "1:02:05" in md
    assert "Chạy thử" not in md
    assert "0900000004" not in md  # no per-recipient data in the artifact
    dry = render_markdown(dataclasses.replace(summary, meta=dataclasses.replace(META, dry_run=True)))
    assert "**Chạy thử (dry run):**" in dry


def test_markdown_big_numbers_use_vietnamese_separators() -> None:
    many = [_o(i, FinalState.ZNS_DELIVERED, zns_code="100", cost=300.0)
            for i in range(2, 12_347)]
    md = render_markdown(CampaignSummary.from_outcomes(many, META))
    assert "| Tổng số dòng (`rows`) | 12.345 | 100,0 % |" in md
    assert "3.703.500 ₫" in md


def test_state_reason_table_adds_up(summary: CampaignSummary) -> None:
    table = state_reason_table(summary)
    assert all(tuple(r) == TABLE_COLUMNS for r in table)
    assert sum(r["Số lượng"] for r in table) == summary.rows
    assert {
        "Trạng thái (state)": "Thất bại (failed)",
        "Mã (code)": "146",
        "Lý do": esms_code("146").vi,
        "Số lượng": 1,
    } in table


def test_state_reason_table_is_bounded() -> None:
    many = [_o(i, FinalState.FAILED, reason_code=f"E{i}", reason_vi="lỗi") for i in range(300)]
    many += [_o(1000 + i, FinalState.INVALID, reason_code=f"V{i}") for i in range(50)]
    s = CampaignSummary.from_outcomes(many, META)
    table = state_reason_table(s, limit=200)
    assert len(table) <= 200 + len(FinalState)
    assert sum(r["Số lượng"] for r in table) == 350
    others = [r for r in table if r["Mã (code)"] == OTHER_CODE]
    assert {r["Trạng thái (state)"] for r in others} <= {"Thất bại (failed)",
                                                         "Không hợp lệ (invalid)"}
    assert others


def test_progress_markdown() -> None:
    md = progress_markdown(3, 8, {"failed": 2, "zns_accepted": 1500, "retries": 4})
    assert md.startswith("**Tiến độ (progress):** 3/8 lô (batches), 37,5 %")
    assert not [ln for ln in md.splitlines() if ln[:1].isspace()]
    lines = md.splitlines()
    assert lines.index("- ZNS được eSMS tiếp nhận (`zns_accepted`): 1.500") < lines.index(
        "- Thất bại (`failed`): 2"
    )
    assert lines[-1] == "- retries: 4"
    assert "100,0 %" in progress_markdown(0, 0)
    with pytest.raises(ValueError):
        progress_markdown(-1, 3)


# --- workbook --------------------------------------------------------------------------------


def test_safe_text() -> None:
    assert safe_text("=1+1") == "'=1+1"
    assert safe_text("+cmd") == "'+cmd"
    assert safe_text("-2+3") == "'-2+3"
    assert safe_text("@SUM(A1)") == "'@SUM(A1)"
    assert safe_text("\t=x") == "'\t=x"
    assert safe_text("-118") == "-118"  # a plain number is inert text, kept exactly
    assert safe_text("+84901234567") == "+84901234567"
    assert safe_text("a\x00b\x1fc") == "abc"
    assert len(safe_text("x" * 40_000)) == 32_767


def test_workbook_sheets_and_contents(
    summary: CampaignSummary, outcomes: list[RecipientOutcome], tmp_path: Path
) -> None:
    path = write_workbook(
        summary, outcomes, tmp_path / "out" / "report.xlsx",
        invalid_extra={3: {"ghi_chu": "=cmd()", "ten_kh": "ignored dup"}},
    )
    assert path == tmp_path / "out" / "report.xlsx"
    assert [p.name for p in path.parent.iterdir()] == ["report.xlsx"]  # temp file renamed
    wb = load_workbook(path)
    assert wb.sheetnames == [SHEET_SUMMARY, SHEET_RECIPIENTS, SHEET_ERRORS]
    assert all(len(n) <= 31 for n in wb.sheetnames)

    rec = wb[SHEET_RECIPIENTS]
    header = [c.value for c in rec[1]]
    assert header == [h for h, _ in RECIPIENT_COLUMNS] + ["ten_kh", "ma_don"]
    assert rec.max_row == len(outcomes) + 1
    assert rec.freeze_panes == "C2"
    assert rec.auto_filter.ref == f"A1:R{len(outcomes) + 1}"
    by_row = {r[0]: dict(zip(header, r, strict=True)) for r in rec.iter_rows(min_row=2,
                                                                             values_only=True)}
    assert sorted(by_row) == [o.row for o in outcomes]
    r6 = by_row[6]
    assert r6["Số điện thoại (phone)"] == "0900000006"
    assert r6["Mã trạng thái (state)"] == "sms_delivered"
    assert r6["Trạng thái"] == "Đã nhận qua SMS"
    assert r6["Kênh (channel)"] == "sms"
    assert r6["Mã lý do (reason code)"] == "-118"  # codes stay text, unprefixed
    assert r6["Lý do (reason)"] == zalo_code(-118).vi
    assert r6["Lỗi Zalo (zalo_error)"] == "-118"
    assert r6["Nội dung SMS (sms_text)"] == "'-Chuc mung sinh nhat Nguyen Van A"
    assert r6["Chi phí VND (cost)"] == 850
    assert r6["Gửi lúc (sent_at, giờ VN)"] == datetime(2024, 5, 1, 9, 1, 0)  # naive VN time
    assert r6["Kết quả lúc (final_at, giờ VN)"] == datetime(2024, 5, 1, 9, 5, 0)
    assert r6["ten_kh"] == "Nguyễn Văn A"
    assert by_row[11]["Lý do (reason)"] == "Đã gửi ZNS, chưa có trạng thái trước hạn"
    assert by_row[4]["Mã lý do (reason code)"] is None
    assert by_row[10]["ten_kh"] == "'+cmd|' /C calc'!A0"
    assert rec.cell(row=2, column=15).value is None  # invalid row never sent

    # no cell anywhere became a formula
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)

    err = wb[SHEET_ERRORS]
    err_header = [c.value for c in err[1]]
    assert err_header == [h for h, _ in ERROR_COLUMNS] + ["ten_kh", "ma_don", "ghi_chu"]
    assert err.max_row == summary.invalid + 1
    assert err.auto_filter.ref == "A1:G3"
    e = [list(r) for r in err.iter_rows(min_row=2, values_only=True)]
    assert e[0][:4] == [2, "12345", "BAD_PHONE", "Số điện thoại không hợp lệ"]
    assert e[1][:4] == [3, "'=HYPERLINK(\"http://x\")", "MISSING_VALUE", "Thiếu biến ma_don"]
    assert e[1][4:] == ["'@SUM(A1)", None, "'=cmd()"]

    summ = wb[SHEET_SUMMARY]
    grid = [[c.value for c in row] for row in summ.iter_rows()]
    cells = {str(c.value): c for row in summ.iter_rows() for c in row if c.value is not None}
    assert grid[0][0] == "Báo cáo chiến dịch Sinh nhật tháng 5 | VIP (cmp-2024-05)"
    top = [r[0] for r in grid].index("Bước / Step") + 1
    assert [tuple(r[:2]) for r in grid[top : top + 9]] == [
        (f"{label} ({key})", count) for key, label, count in summary.funnel()
    ]
    started = cells["Bắt đầu (started_at, giờ VN)"]
    assert summ.cell(row=started.row, column=2).value == datetime(2024, 5, 1, 9, 0, 0)
    cost = cells["Tổng chi phí VND (cost)"]
    assert summ.cell(row=cost.row, column=2).value == pytest.approx(2850.0)
    for state in FinalState:
        assert f"{STATE_LABELS_VI[state]} ({state.value})" in cells
    assert len(summ._charts) == 1
    with zipfile.ZipFile(path) as z:
        chart_xml = z.read("xl/charts/chart1.xml").decode()
    assert "barChart" in chart_xml and "Tổng quan (Summary)" in chart_xml


def test_workbook_refuses_inconsistent_inputs(
    summary: CampaignSummary, outcomes: list[RecipientOutcome], tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="outcomes"):
        write_workbook(summary, outcomes[:-1], tmp_path / "a.xlsx")
    with pytest.raises(ReportInvariantError):
        write_workbook(dataclasses.replace(summary, unknown=0), outcomes, tmp_path / "b.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_workbook_20k_rows(tmp_path: Path) -> None:
    n = 20_000
    states = [FinalState.ZNS_DELIVERED, FinalState.SMS_DELIVERED, FinalState.FAILED,
              FinalState.UNKNOWN, FinalState.INVALID]
    sent = T0 + timedelta(minutes=1)
    big = []
    for i in range(n):
        st = states[i % 5]
        big.append(_o(
            i + 2, st,
            channel=None if st is FinalState.INVALID else Channel.ZNS,
            zns_code=None if st is FinalState.INVALID else "100",
            sms_code="100" if st is FinalState.SMS_DELIVERED else None,
            reason_code="-118" if st is FinalState.FAILED else None,
            cost=300.0, sent_at=sent, final_at=sent,
            values={"ten_kh": f"Khách {i}", "so_tien": str(i * 1000)},
        ))
    s = CampaignSummary.from_outcomes(big, META)
    assert s.rows == n and s.failed == n // 5
    path = write_workbook(s, big, tmp_path / "big.xlsx")
    wb = load_workbook(path, read_only=True)
    rec = wb[SHEET_RECIPIENTS]
    rows = list(rec.iter_rows(min_row=2, values_only=True))
    assert len(rows) == n
    assert rows[-1][0] == n + 1 and rows[-1][-2:] == (f"Khách {n - 1}", str((n - 1) * 1000))
    assert sum(1 for r in rows if r[2] == "failed") == n // 5
    err_rows = list(wb[SHEET_ERRORS].iter_rows(min_row=2, values_only=True))
    assert len(err_rows) == n // 5
    wb.close()


def test_the_cost_is_reported_per_channel() -> None:
    meta = CampaignMeta("c-1", "Chi phí", "210001", "oa")
    outcomes = [
        RecipientOutcome(row=2, phone="0912000001", state=FinalState.ZNS_DELIVERED, zns_code="100", cost=300.0),
        RecipientOutcome(row=3, phone="0912000002", state=FinalState.SMS_DELIVERED, zns_code="100", sms_code="100",
                         reason_code="-118", cost=1150.0, sms_cost=850.0),
    ]
    summary = CampaignSummary.from_outcomes(outcomes, meta)
    assert (summary.total_cost, summary.zns_cost, summary.sms_cost) == (1450.0, 600.0, 850.0)
    assert "| Chi phí ZNS / SMS (cost per channel) | 600 ₫ / 850 ₫ |" in render_markdown(summary)
