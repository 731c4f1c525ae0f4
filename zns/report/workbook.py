"""The Excel report ("xem và xuất báo cáo"): summary, every recipient, and the error rows.

Decisions:

- Sheet names keep the Vietnamese diacritics with the English name beside them, as the
  issue calls them Summary / Recipients / Errors: ``Tổng quan (Summary)``,
  ``Người nhận (Recipients)``, ``Lỗi (Errors)``. Excel allows Unicode sheet names (≤ 31
  characters, none of ``[]:*?/\\``); chart references quote them.
- The workbook is written in openpyxl write-only mode: rows stream to a temporary file, so
  100,000 recipients stay memory-bounded. Column widths and frozen panes are set before the
  first row (write-only requires it); the autofilter after the last.
- Formula injection: text starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading
  apostrophe (visible, survives a CSV re-export). Text that is a plain number (``-118``,
  ``+84901234567``) cannot be a formula and is kept as text unchanged: codes, SMSIDs and
  phones are identifiers (leading zeros and signs must survive), never quantities.
- Control characters that XML cannot hold are dropped and texts are cut at Excel's 32,767
  characters, so one odd input cell cannot make the whole report fail.
- Times are Excel datetimes in Vietnam wall-clock time, without tzinfo (Excel has none).
- The file is written next to ``path`` and renamed into place, so a link never points at a
  half-written workbook.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from zns.outcomes import STATE_LABELS_VI, FinalState, RecipientOutcome
from zns.report.formatting import to_vn_naive
from zns.report.markdown import state_label, state_reason_table
from zns.report.summary import STATE_ORDER, CampaignSummary, reason_label

REPORT_FILE_MODE = 0o640  # owner writes; the group (the worker, the web server) reads
SHEET_SUMMARY = "Tổng quan (Summary)"
SHEET_RECIPIENTS = "Người nhận (Recipients)"
SHEET_ERRORS = "Lỗi (Errors)"

# (header, width) of the fixed columns; template values follow, one column per parameter.
RECIPIENT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Dòng (row)", 9),
    ("Số điện thoại (phone)", 16),
    ("Mã trạng thái (state)", 16),
    ("Trạng thái", 18),
    ("Kênh (channel)", 10),
    ("Mã lý do (reason code)", 14),
    ("Lý do (reason)", 40),
    ("Mã ZNS (zns_code)", 10),
    ("SMSID ZNS", 24),
    ("Lỗi Zalo (zalo_error)", 12),
    ("Mã SMS (sms_code)", 10),
    ("SMSID SMS", 24),
    ("Nội dung SMS (sms_text)", 50),
    ("Chi phí VND (cost)", 12),
    ("Gửi lúc (sent_at, giờ VN)", 20),
    ("Kết quả lúc (final_at, giờ VN)", 20),
)
ERROR_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Dòng (row)", 9),
    ("Số điện thoại như nhập (phone as given)", 22),
    ("Mã lỗi (code)", 16),
    ("Lý do (reason)", 45),
)
VALUE_COLUMN_WIDTH = 18
SUMMARY_TOP_REASONS = 20

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767
DATETIME_FORMAT = "dd/mm/yyyy hh:mm:ss"
MONEY_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_TITLE_FONT = Font(bold=True, size=14)
_SECTION_FONT = Font(bold=True, size=12)


def safe_text(text: str) -> str:
    """Text that Excel shows as typed and never evaluates (see module docstring)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(text) > EXCEL_MAX_TEXT:
        text = text[: EXCEL_MAX_TEXT - 1] + "…"
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        text = "'" + text
        if len(text) > EXCEL_MAX_TEXT:
            text = text[: EXCEL_MAX_TEXT - 1] + "…"
    return text


def safe_value(value: object) -> object:
    """A cell value openpyxl writes as data, never as a formula; datetimes in Vietnam time."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return to_vn_naive(value)
    if isinstance(value, date):
        return value
    return safe_text(str(value))


def _header_cells(ws: WriteOnlyWorksheet, headers: Iterable[str]) -> list[WriteOnlyCell]:
    cells = []
    for h in headers:
        c = WriteOnlyCell(ws, value=safe_text(h))
        c.font = _HEADER_FONT
        c.fill = _HEADER_FILL
        c.alignment = Alignment(vertical="center", wrap_text=True)
        cells.append(c)
    return cells


def _styled(ws: WriteOnlyWorksheet, value: object, **style: object) -> WriteOnlyCell:
    c = WriteOnlyCell(ws, value=safe_value(value))
    for k, v in style.items():
        setattr(c, k, v)
    return c


def _set_widths(ws: WriteOnlyWorksheet, widths: Sequence[int]) -> None:
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _union_keys(maps: Iterable[Mapping[str, object]]) -> list[str]:
    """Column names in first-seen order, so template parameter order is kept."""
    seen: dict[str, None] = {}
    for m in maps:
        for k in m:
            seen.setdefault(str(k), None)
    return list(seen)


PREFLIGHT_ROWS = (  # (key of Preflight.as_dict, label, is money)
    ("recipients", "Người nhận hợp lệ sẽ gửi (recipients)", False),
    ("quota_remaining", "Quota ZNS còn lại hôm nay (quota_remaining)", False),
    ("quota_daily", "Quota ZNS trong ngày (quota_daily)", False),
    ("balance", "Số dư tài khoản VND (balance)", True),
    ("zns_unit_price", "Đơn giá ZNS VND (zns_unit_price)", True),
    ("estimated_zns_cost", "Chi phí ZNS ước tính VND (estimated_zns_cost)", True),
    ("estimated_sms_cost_max", "Chi phí SMS dự phòng tối đa VND (estimated_sms_cost_max)", True),
)


def _write_preflight(ws: WriteOnlyWorksheet, preflight: Mapping[str, object], put: Callable[..., None]) -> None:
    put(_styled(ws, "Kiểm tra trước khi gửi (preflight estimate)", font=_SECTION_FONT))
    put(*_header_cells(ws, ("Mục (item)", "Giá trị (value)")))
    for key, label, money in PREFLIGHT_ROWS:
        value = preflight.get(key)
        put(label, _styled(ws, value, number_format=MONEY_FORMAT) if money else value)
    verdict = ("Đủ điều kiện gửi (ok)" if preflight.get("ok")
               else f"Không gửi được (stopped): {preflight.get('problem')}")
    put("Kết luận (verdict)", safe_value(verdict))
    put()


def _write_summary(ws: WriteOnlyWorksheet, summary: CampaignSummary,
                   preflight: Mapping[str, object] | None = None) -> None:
    m = summary.meta
    _set_widths(ws, (42, 22, 12, 40, 12))
    row = 0

    def put(*values: object) -> None:
        nonlocal row
        ws.append(list(values))
        row += 1

    put(_styled(ws, f"Báo cáo chiến dịch {m.campaign_name} ({m.campaign_id})", font=_TITLE_FONT))
    put()
    put(*_header_cells(ws, ("Thông tin (campaign)", "Giá trị (value)")))
    put("Mã chiến dịch (campaign_id)", safe_value(m.campaign_id))
    put("Tên chiến dịch (campaign_name)", safe_value(m.campaign_name))
    put("Mẫu ZNS (template_id)", safe_value(m.template_id))
    put("Zalo OA (oa_id)", safe_value(m.oa_id))
    put("Bắt đầu (started_at, giờ VN)", _styled(ws, m.started_at, number_format=DATETIME_FORMAT))
    put("Kết thúc (finished_at, giờ VN)", _styled(ws, m.finished_at, number_format=DATETIME_FORMAT))
    put("Chạy thử (dry_run)", "Có (yes)" if m.dry_run else "Không (no)")
    cost_label = "Chi phí đã gửi VND (cost; chạy thử: chưa gửi)" if m.dry_run else "Tổng chi phí VND (cost)"
    put(cost_label, _styled(ws, summary.total_cost, number_format=MONEY_FORMAT))
    put()
    if preflight:
        _write_preflight(ws, preflight, put)

    put(_styled(ws, "Phễu gửi (funnel)", font=_SECTION_FONT))
    put(*_header_cells(ws, ("Bước / Step", "Số lượng", "%")))
    funnel_first = row + 1
    for key, label, count in summary.funnel():
        share = count / summary.rows if summary.rows else 0.0
        put(f"{label} ({key})", count, _styled(ws, share, number_format=PERCENT_FORMAT))
    funnel_last = row
    put()

    put(_styled(ws, "Trạng thái cuối (final states)", font=_SECTION_FONT))
    put(*_header_cells(ws, ("Trạng thái (state)", "Số lượng", "%")))
    for state in STATE_ORDER:
        n = summary.by_state.get(state, 0)
        share = n / summary.rows if summary.rows else 0.0
        put(state_label(state), n, _styled(ws, share, number_format=PERCENT_FORMAT))
    put(_styled(ws, "Tổng (total)", font=Font(bold=True)), summary.rows)
    put(
        "Ghi chú (note): rows = invalid + zns_delivered + sms_delivered + failed + unknown; "
        "zns_accepted / sms_sent = mã eSMS 100 hoặc 124."
    )
    put()

    put(_styled(ws, "Lý do hàng đầu (top reasons)", font=_SECTION_FONT))
    table = state_reason_table(summary, limit=SUMMARY_TOP_REASONS)
    put(*_header_cells(ws, ("Trạng thái (state)", "Mã (code)", "Số lượng", "Lý do")))
    for r in table:
        put(
            r["Trạng thái (state)"],
            safe_value(r["Mã (code)"]),
            r["Số lượng"],
            safe_value(r["Lý do"]),
        )

    chart = BarChart()
    chart.type = "bar"  # horizontal bars read top-down like a funnel
    chart.title = "Phễu gửi (funnel)"
    chart.style = 10
    chart.legend = None
    chart.y_axis.title = "Số lượng"
    chart.x_axis.scaling.orientation = "maxMin"  # first step on top
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    data = Reference(ws, min_col=2, min_row=funnel_first - 1, max_row=funnel_last)
    cats = Reference(ws, min_col=1, min_row=funnel_first, max_row=funnel_last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    chart.width, chart.height = 20, 10
    ws.add_chart(chart, "F3")


def _dt_cell(ws: WriteOnlyWorksheet, dt: datetime | None) -> WriteOnlyCell | None:
    # Plain values stream much faster than styled cells, so only datetimes get a style.
    return None if dt is None else _styled(ws, dt, number_format=DATETIME_FORMAT)


def _recipient_row(
    ws: WriteOnlyWorksheet, o: RecipientOutcome, value_keys: list[str]
) -> list[object]:
    state = FinalState(o.state)
    return [
        o.row,
        safe_value(o.phone),
        state.value,
        STATE_LABELS_VI[state],
        o.channel.value if o.channel is not None else None,
        safe_value(o.reason_code),
        safe_value(reason_label(o.reason_code, o.reason_vi, prefer_row=True))
        if o.reason_code is not None or o.reason_vi
        else None,
        safe_value(o.zns_code),
        safe_value(o.zns_sms_id),
        safe_value(o.zns_error),
        safe_value(o.sms_code),
        safe_value(o.sms_sms_id),
        safe_value(o.sms_text),
        o.cost,
        _dt_cell(ws, o.sent_at),
        _dt_cell(ws, o.final_at),
        *(safe_value(o.values.get(k)) for k in value_keys),
    ]


def _write_recipients(ws: WriteOnlyWorksheet, outcomes: Sequence[RecipientOutcome]) -> None:
    value_keys = _union_keys(o.values for o in outcomes)
    headers = [h for h, _ in RECIPIENT_COLUMNS] + value_keys
    _set_widths(ws, [w for _, w in RECIPIENT_COLUMNS] + [VALUE_COLUMN_WIDTH] * len(value_keys))
    ws.freeze_panes = "C2"  # header and row/phone stay visible
    ws.append(_header_cells(ws, headers))
    for o in outcomes:
        ws.append(_recipient_row(ws, o, value_keys))
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A1:{last}{len(outcomes) + 1}"


def _write_errors(
    ws: WriteOnlyWorksheet,
    invalid: Sequence[RecipientOutcome],
    extra: Mapping[int, Mapping[str, object]],
) -> None:
    value_keys = _union_keys(o.values for o in invalid)
    extra_keys = [
        k for k in _union_keys(extra.get(o.row, {}) for o in invalid) if k not in value_keys
    ]
    headers = [h for h, _ in ERROR_COLUMNS] + value_keys + extra_keys
    _set_widths(
        ws, [w for _, w in ERROR_COLUMNS] + [VALUE_COLUMN_WIDTH] * (len(value_keys) + len(extra_keys))
    )
    ws.freeze_panes = "C2"
    ws.append(_header_cells(ws, headers))
    for o in invalid:
        more = extra.get(o.row, {})
        ws.append(
            [
                o.row,
                safe_value(o.phone),
                safe_value(o.reason_code),
                safe_value(reason_label(o.reason_code, o.reason_vi, prefer_row=True)),
                *(safe_value(o.values.get(k)) for k in value_keys),
                *(safe_value(more.get(k)) for k in extra_keys),
            ]
        )
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(invalid) + 1}"


def write_workbook(
    summary: CampaignSummary,
    outcomes: Sequence[RecipientOutcome],
    path: str | os.PathLike[str],
    *,
    invalid_extra: Mapping[int, Mapping[str, object]] | None = None,
    preflight: Mapping[str, object] | None = None,
) -> Path:
    """Write the three-sheet report to ``path`` and return it.

    ``preflight`` (quota, balance, estimated costs before sending) is shown on the summary
    sheet: for a dry run it is the answer the operator asked for.

    ``invalid_extra`` maps an invalid row's number to source columns that are not template
    values (the rest of the user's spreadsheet row), appended on the Errors sheet so the
    user can fix and re-upload those rows.
    """
    summary.check()  # never publish a workbook whose totals do not add up
    if summary.outcome_count != len(outcomes):
        raise ValueError(
            f"summary counts {summary.outcome_count} outcomes but {len(outcomes)} were given"
        )
    if len(outcomes) + 1 > EXCEL_MAX_ROWS:
        raise ValueError(
            f"{len(outcomes)} recipients do not fit one Excel sheet ({EXCEL_MAX_ROWS - 1} max); "
            "shard the campaign"
        )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    _write_summary(wb.create_sheet(SHEET_SUMMARY), summary, preflight)
    _write_recipients(wb.create_sheet(SHEET_RECIPIENTS), outcomes)
    invalid = [o for o in outcomes if FinalState(o.state) is FinalState.INVALID]
    _write_errors(wb.create_sheet(SHEET_ERRORS), invalid, invalid_extra or {})
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".xlsx", dir=target.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.chmod(tmp, REPORT_FILE_MODE)  # mkstemp makes 0600: the worker's group reads reports too
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
