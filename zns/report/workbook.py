"""The Excel report ("xem và xuất báo cáo"): summary, every recipient, and the error rows.

Decisions:

- Sheet names keep the Vietnamese diacritics with the English name beside them, as the
  issue calls them Summary / Recipients / Errors: ``Tổng quan (Summary)``,
  ``Người nhận (Recipients)``, ``Lỗi (Errors)``. Excel allows Unicode sheet names (≤ 31
  characters, none of ``[]:*?/\\``); chart references quote them.
- The workbook is written with xlsxwriter (benchmarks/report.py, 100,000 recipients: the
  openpyxl write-only writer took 13.7-14.4 s, this one 2.0-2.3 s in the same runs; 37.5 s
  inside the flow in issue 11). The Summary sheet and the chart go through its API; the
  Recipients and Errors rows stream to temporary files as XML and are spliced into the file
  (``zns.report.xlsx``), one row in memory at a time, so a big campaign stays
  memory-bounded. Column widths (stored exactly as given, in characters), frozen panes,
  autofilters and header styles are xlsxwriter's.
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
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from zns.outcomes import STATE_LABELS_VI, FinalState, RecipientOutcome
from zns.report.formatting import to_vn_naive
from zns.report.markdown import state_label, state_reason_table
from zns.report.summary import STATE_ORDER, CampaignSummary, reason_label
from zns.report.xlsx import (
    RowEncoder,
    assemble,
    prototype_row,
    read_prototype_styles,
    sheet_parts,
    spool,
    without_surrogates,
)

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
# What openpyxl gave a date or datetime cell without a format (error rows' extra columns).
PLAIN_DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"
PLAIN_DATE_FORMAT = "yyyy-mm-dd"
MONEY_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
CHAR_PIXELS = 7  # xlsxwriter's max digit width (Calibri 11): width w is stored as w exactly
CHART_SIZE_PX = (756, 378)  # 20 cm x 10 cm at 96 dpi


def safe_text(text: str) -> str:
    """Text that Excel shows as typed and never evaluates (see module docstring)."""
    if (len(text) <= EXCEL_MAX_TEXT and not text.startswith(_FORMULA_START)
            and not ILLEGAL_CHARACTERS_RE.search(text)):
        return text  # the common case, checked cheaply: 100,000 rows x 20 cells pass here
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(text) > EXCEL_MAX_TEXT:
        text = text[: EXCEL_MAX_TEXT - 1] + "…"
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        text = "'" + text
        if len(text) > EXCEL_MAX_TEXT:
            text = text[: EXCEL_MAX_TEXT - 1] + "…"
    return text


def safe_value(value: object) -> object:
    """A cell value written as data, never as a formula; datetimes in Vietnam time."""
    if type(value) is str:
        return safe_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return to_vn_naive(value)
    if isinstance(value, date):
        return value
    return safe_text(str(value))


class _Formats:
    """The workbook's cell formats, created once per workbook (xlsxwriter dedupes them)."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.header = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78",
                                     "pattern": 1, "valign": "vcenter", "text_wrap": True})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.section = wb.add_format({"bold": True, "font_size": 12})
        self.bold = wb.add_format({"bold": True})
        self.money = wb.add_format({"num_format": MONEY_FORMAT})
        self.percent = wb.add_format({"num_format": PERCENT_FORMAT})
        self.datetime = wb.add_format({"num_format": DATETIME_FORMAT})
        self.plain_datetime = wb.add_format({"num_format": PLAIN_DATETIME_FORMAT})
        self.plain_date = wb.add_format({"num_format": PLAIN_DATE_FORMAT})
        self.date = wb.add_format({"num_format": "dd/mm/yyyy"})


class _Styled:
    """A value with its cell format (``put`` writes bare values unformatted)."""

    __slots__ = ("fmt", "value")

    def __init__(self, value: object, fmt: Format) -> None:
        self.value, self.fmt = value, fmt


def _write_cell(ws: Worksheet, row: int, col: int, value: object, fmt: Format | None,
                formats: _Formats) -> None:
    # Typed writes only: xlsxwriter's generic write() would turn "=..." into a formula and
    # "http://..." into a link.
    value = safe_value(value)
    if value is None:
        if fmt is not None:
            ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value, fmt or formats.plain_datetime)
    elif isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt or formats.plain_date)
    elif value:
        ws.write_string(row, col, without_surrogates(str(value)), fmt)


def _set_widths(ws: Worksheet, widths: Sequence[int]) -> None:
    for i, w in enumerate(widths):
        ws.set_column_pixels(i, i, w * CHAR_PIXELS)


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


def _write_preflight(preflight: Mapping[str, object], put: Callable[..., None], headers: Callable[..., None],
                     f: _Formats) -> None:
    put(_Styled("Kiểm tra trước khi gửi (preflight estimate)", f.section))
    headers("Mục (item)", "Giá trị (value)")
    for key, label, money in PREFLIGHT_ROWS:
        value = preflight.get(key)
        put(label, _Styled(value, f.money) if money else value)
    verdict = ("Đủ điều kiện gửi (ok)" if preflight.get("ok")
               else f"Không gửi được (stopped): {preflight.get('problem')}")
    put("Kết luận (verdict)", verdict)
    put()


def _write_summary(wb: xlsxwriter.Workbook, ws: Worksheet, summary: CampaignSummary, f: _Formats,
                   preflight: Mapping[str, object] | None = None) -> None:
    m = summary.meta
    _set_widths(ws, (42, 22, 12, 40, 12))
    row = 0  # rows written so far; the next row is ``row`` (0-based), Excel row ``row + 1``

    def put(*values: object) -> None:
        nonlocal row
        for col, v in enumerate(values):
            if isinstance(v, _Styled):
                _write_cell(ws, row, col, v.value, v.fmt, f)
            else:
                _write_cell(ws, row, col, v, None, f)
        row += 1

    def headers(*labels: str) -> None:
        put(*(_Styled(h, f.header) for h in labels))

    put(_Styled(f"Báo cáo chiến dịch {m.campaign_name} ({m.campaign_id})", f.title))
    put()
    headers("Thông tin (campaign)", "Giá trị (value)")
    put("Mã chiến dịch (campaign_id)", m.campaign_id)
    put("Tên chiến dịch (campaign_name)", m.campaign_name)
    put("Mẫu ZNS (template_id)", m.template_id)
    put("Zalo OA (oa_id)", m.oa_id)
    put("Bắt đầu (started_at, giờ VN)", _Styled(m.started_at, f.datetime))
    put("Kết thúc (finished_at, giờ VN)", _Styled(m.finished_at, f.datetime))
    put("Chạy thử (dry_run)", "Có (yes)" if m.dry_run else "Không (no)")
    cost_label = "Chi phí đã gửi VND (cost; chạy thử: chưa gửi)" if m.dry_run else "Tổng chi phí VND (cost)"
    put(cost_label, _Styled(summary.total_cost, f.money))
    put("Chi phí ZNS VND (zns_cost)", _Styled(summary.zns_cost, f.money))
    put("Chi phí SMS dự phòng VND (sms_cost)", _Styled(summary.sms_cost, f.money))
    if m.postponed:
        put("Hoãn (postponed)", safe_value(m.postponed))
    put()
    if preflight:
        _write_preflight(preflight, put, headers, f)

    put(_Styled("Phễu gửi (funnel)", f.section))
    headers("Bước / Step", "Số lượng", "%")
    funnel_header = row - 1  # 0-based row of the "Số lượng" header: the series name
    for key, label, count in summary.funnel():
        share = count / summary.rows if summary.rows else 0.0
        put(f"{label} ({key})", count, _Styled(share, f.percent))
    funnel_last = row - 1
    put()

    put(_Styled("Trạng thái cuối (final states)", f.section))
    headers("Trạng thái (state)", "Số lượng", "%")
    for state in STATE_ORDER:
        n = summary.by_state.get(state, 0)
        share = n / summary.rows if summary.rows else 0.0
        put(state_label(state), n, _Styled(share, f.percent))
    put(_Styled("Tổng (total)", f.bold), summary.rows)
    put(
        "Ghi chú (note): rows = invalid + zns_delivered + sms_delivered + failed + unknown; "
        "zns_accepted / sms_sent = mã eSMS 100 hoặc 124."
    )
    put()

    if len(summary.days) > 1:
        put(_Styled("Tiến độ theo ngày (per-day progress)", f.section))
        headers("Ngày (day)", "ZNS đã gửi (zns_sent)", "ZNS tới (zns_delivered)", "ZNS bị từ chối (zns_refused)",
                "SMS đã gửi (sms_sent)", "SMS tới (sms_delivered)")
        for d in summary.days:
            put(d.day.strftime("%d/%m/%Y"), d.zns_sent, d.zns_delivered, d.zns_refused, d.sms_sent, d.sms_delivered)
        put()

    put(_Styled("Lý do hàng đầu (top reasons)", f.section))
    table = state_reason_table(summary, limit=SUMMARY_TOP_REASONS)
    headers("Trạng thái (state)", "Mã (code)", "Số lượng", "Lý do")
    for r in table:
        put(r["Trạng thái (state)"], r["Mã (code)"], r["Số lượng"], r["Lý do"])

    chart = wb.add_chart({"type": "bar"})  # horizontal bars read top-down like a funnel
    chart.add_series({
        "name": [SHEET_SUMMARY, funnel_header, 1],
        "categories": [SHEET_SUMMARY, funnel_header + 1, 0, funnel_last, 0],
        "values": [SHEET_SUMMARY, funnel_header + 1, 1, funnel_last, 1],
    })
    chart.set_title({"name": "Phễu gửi (funnel)"})
    chart.set_style(10)
    chart.set_legend({"none": True})
    chart.set_x_axis({"name": "Số lượng"})  # a bar chart's x axis is the value axis
    chart.set_y_axis({"reverse": True})  # first step on top
    chart.set_size({"width": CHART_SIZE_PX[0], "height": CHART_SIZE_PX[1]})
    ws.insert_chart("F3", chart)


def _big_sheet(wb: xlsxwriter.Workbook, name: str, headers: Sequence[str], widths: Sequence[int],
               rows: int, f: _Formats) -> Worksheet:
    """The skeleton of a streamed sheet: header, widths, panes, autofilter, prototype row."""
    ws = wb.add_worksheet(name)
    _set_widths(ws, widths)
    ws.freeze_panes(1, 2)  # "C2": header and row/phone stay visible
    for col, h in enumerate(headers):
        ws.write_string(0, col, without_surrogates(safe_text(h)), f.header)
    prototype_row(ws, {"datetime": f.datetime, "date": f.date, "plain_datetime": f.plain_datetime,
                       "plain_date": f.plain_date})
    ws.autofilter(0, 0, rows, len(headers) - 1)
    return ws


# Recipients columns whose texts repeat (state, label, channel, codes, reason): encoded once.
_REPEATED_RECIPIENT_COLUMNS = frozenset({2, 3, 4, 5, 6, 7, 9, 10})


def _recipient_rows(outcomes: Sequence[RecipientOutcome], value_keys: list[str]) -> Iterator[list[object]]:
    labels: dict[tuple[str | None, str | None], object] = {}  # few distinct (code, text) pairs
    memo: dict[str | None, object] = {}  # safe_value of codes, which repeat

    def code(value: str | None) -> object:
        safe = memo.get(value, memo)
        if safe is memo:
            safe = safe_value(value)
            if len(memo) < 65_536:
                memo[value] = safe
        return safe

    for o in outcomes:
        state = FinalState(o.state)
        key = (o.reason_code, o.reason_vi)
        label = labels.get(key)
        if label is None and key not in labels:
            label = labels[key] = (safe_value(reason_label(o.reason_code, o.reason_vi, prefer_row=True))
                                   if o.reason_code is not None or o.reason_vi else None)
        values = o.values
        yield [
            o.row,
            safe_value(o.phone),
            state.value,
            STATE_LABELS_VI[state],
            o.channel.value if o.channel is not None else None,
            code(o.reason_code),
            label,
            code(o.zns_code),
            safe_value(o.zns_sms_id),
            code(o.zns_error),
            code(o.sms_code),
            safe_value(o.sms_sms_id),
            safe_value(o.sms_text),
            o.cost,
            safe_value(o.sent_at),
            safe_value(o.final_at),
            *[safe_value(values.get(k)) for k in value_keys],
        ]


def _error_rows(invalid: Sequence[RecipientOutcome], extra: Mapping[int, Mapping[str, object]],
                value_keys: list[str], extra_keys: list[str]) -> Iterator[list[object]]:
    for o in invalid:
        more = extra.get(o.row, {})
        yield [
            o.row,
            safe_value(o.phone),
            safe_value(o.reason_code),
            safe_value(reason_label(o.reason_code, o.reason_vi, prefer_row=True)),
            *(safe_value(o.values.get(k)) for k in value_keys),
            *(safe_value(more.get(k)) for k in extra_keys),
        ]


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
    extra = invalid_extra or {}
    invalid = [o for o in outcomes if FinalState(o.state) is FinalState.INVALID]
    value_keys = _union_keys(o.values for o in outcomes)
    rec_headers = [h for h, _ in RECIPIENT_COLUMNS] + value_keys
    err_values = _union_keys(o.values for o in invalid)
    err_extra = [k for k in _union_keys(extra.get(o.row, {}) for o in invalid) if k not in err_values]
    err_headers = [h for h, _ in ERROR_COLUMNS] + err_values + err_extra

    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".xlsx", dir=target.parent)
    os.close(fd)
    rec = spool(SHEET_RECIPIENTS, len(rec_headers))
    err = spool(SHEET_ERRORS, len(err_headers))
    try:
        with tempfile.TemporaryDirectory(prefix="zns-report-") as work:
            skeleton = Path(work) / "skeleton.xlsx"
            wb = xlsxwriter.Workbook(str(skeleton), {"strings_to_formulas": False, "strings_to_urls": False,
                                                     "strings_to_numbers": False, "tmpdir": work})
            f = _Formats(wb)
            _write_summary(wb, wb.add_worksheet(SHEET_SUMMARY), summary, f, preflight)
            _big_sheet(wb, SHEET_RECIPIENTS, rec_headers,
                       [w for _, w in RECIPIENT_COLUMNS] + [VALUE_COLUMN_WIDTH] * len(value_keys), len(outcomes), f)
            _big_sheet(wb, SHEET_ERRORS, err_headers,
                       [w for _, w in ERROR_COLUMNS] + [VALUE_COLUMN_WIDTH] * (len(err_values) + len(err_extra)),
                       len(invalid), f)
            wb.close()
            with zipfile.ZipFile(skeleton) as z:
                styles = read_prototype_styles(z, sheet_parts(z)[SHEET_RECIPIENTS])
            rec.write_rows(RowEncoder(styles, len(rec_headers), {14: "datetime", 15: "datetime"},
                                      _REPEATED_RECIPIENT_COLUMNS),
                           _recipient_rows(outcomes, value_keys))
            err.write_rows(RowEncoder(styles, len(err_headers)), _error_rows(invalid, extra, err_values, err_extra))
            assemble(skeleton, Path(tmp), [rec, err])
        os.chmod(tmp, REPORT_FILE_MODE)  # mkstemp makes 0600: the worker's group reads reports too
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        rec.file.close()
        err.file.close()
    return target

