"""The volume report across campaigns ("báo cáo sản lượng"), read from the ledger's SQL views.

The numbers come only from the views `volume_daily` and `volume_invalid_daily` (migration 0002),
so the page, the CLI, the workbook and a data team's own SQL agree by construction. Plain Python:
the CLI (`zns volume`) and the web server (`/volume`) call it.

Decisions:

- A message counts on the Vietnam day of its sent time, else of its claim time (rejected or
  unanswered sends have no sent time). Every message state is listed, not only final ones, so the
  rows always add up to the ledger's messages; `released` ones were never sent (cost 0).
- Distinct phones are per row; they do not add across rows (one phone in two campaigns or on
  two channels), so totals give messages and cost, never a sum of phones.
- Invalid rows have no time of their own: they count on the day their campaign was created.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zns.ledger import Ledger
from zns.report.ranges import (  # noqa: F401 - the range API is also read through this module
    DEFAULT_DAYS,
    MAX_DAYS,
    VolumeInputError,
    parse_day,
    range_title,
    read_rows,
    resolve_range,
    vn_today,
)

if TYPE_CHECKING:  # zns.report.ratings imports this module
    from zns.report.ratings import RatingGroup

VIEW = "volume_daily"
INVALID_VIEW = "volume_invalid_daily"
CHART_FILL_DAYS = 93  # up to this span the chart and the by-day sheet show empty days too

volume_daily = sa.table(
    VIEW,
    sa.column("day", sa.Date()),
    sa.column("oa_id", sa.String()),
    sa.column("template_id", sa.String()),
    sa.column("channel", sa.String()),
    sa.column("state", sa.String()),
    sa.column("messages", sa.Integer()),
    sa.column("phones", sa.Integer()),
    sa.column("cost", sa.Float()),
)
volume_invalid_daily = sa.table(
    INVALID_VIEW,
    sa.column("day", sa.Date()),
    sa.column("oa_id", sa.String()),
    sa.column("template_id", sa.String()),
    sa.column("invalid_rows", sa.Integer()),
)

CHANNELS = ("zns", "sms")
CHANNEL_LABELS = {"zns": "ZNS", "sms": "SMS"}
STATE_ORDER = ("delivered", "failed", "rejected", "unknown", "accepted", "ambiguous", "claimed", "released")
STATE_LABELS_VI = {  # message states (zns.outcomes.MessageState) as operators read them
    "delivered": "Đã nhận",
    "failed": "Gửi không thành công",
    "rejected": "Bị từ chối khi gửi",
    "unknown": "Chưa rõ kết quả",
    "accepted": "Đã gửi, chờ kết quả",
    "ambiguous": "Chưa rõ đã gửi chưa",
    "claimed": "Đang gửi",
    "released": "Chưa gửi (trả lại)",
}

SHEET_VOLUME = "Sản lượng (Volume)"
SHEET_BY_DAY = "Theo ngày (By day)"
SHEET_INVALID = "Dòng lỗi (Invalid rows)"
VOLUME_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Ngày (day)", 12),
    ("OA (oa_id)", 22),
    ("Mẫu ZNS (template_id)", 20),
    ("Kênh (channel)", 12),
    ("Mã trạng thái (state)", 18),
    ("Trạng thái", 24),
    ("Số tin (messages)", 16),
    ("Số thuê bao (phones)", 18),
    ("Chi phí VND (cost)", 18),
)
BY_DAY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Ngày (day)", 12),
    ("Tin ZNS (zns)", 14),
    ("Tin SMS (sms)", 14),
    ("Tổng số tin (messages)", 20),
    ("Chi phí VND (cost)", 18),
    ("Dòng lỗi (invalid_rows)", 20),
)
INVALID_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Ngày (day)", 12),
    ("OA (oa_id)", 22),
    ("Mẫu ZNS (template_id)", 20),
    ("Dòng lỗi (invalid_rows)", 20),
)
SHEET_RATINGS = "Đánh giá (Ratings)"
RATINGS_COLUMNS: tuple[tuple[str, int], ...] = (
    ("OA (oa_id)", 22),
    ("Mẫu ZNS (template_id)", 20),
    ("Số chiến dịch (campaigns)", 14),
    ("Lượt đánh giá (ratings)", 14),
    ("Trung bình sao (average)", 14),
    ("1 sao (1_star)", 10),
    ("2 sao (2_stars)", 10),
    ("3 sao (3_stars)", 10),
    ("4 sao (4_stars)", 10),
    ("5 sao (5_stars)", 10),
    ("Ghi chú gần nhất (latest_notes)", 70),
)
AVERAGE_FORMAT = "0.0"
TOTAL_LABEL = "Tổng cộng (total)"
DATE_FORMAT = "dd/mm/yyyy"
COUNT_FORMAT = "#,##0"
MONEY_FORMAT = "#,##0"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_BOLD = Font(bold=True)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class VolumeRow:
    """One row of `volume_daily`: a day (Vietnam time), OA, template, channel and message state."""

    day: date
    oa_id: str
    template_id: str
    channel: str
    state: str
    messages: int
    phones: int
    cost: float

    @property
    def state_vi(self) -> str:
        return STATE_LABELS_VI.get(self.state, self.state)

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "oa_id": self.oa_id, "template_id": self.template_id,
                "channel": self.channel, "state": self.state, "messages": self.messages,
                "phones": self.phones, "cost": self.cost}


@dataclass(frozen=True, slots=True)
class InvalidRow:
    """One row of `volume_invalid_daily`: invalid input rows of a day's campaigns, per OA and template."""

    day: date
    oa_id: str
    template_id: str
    invalid_rows: int

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "oa_id": self.oa_id, "template_id": self.template_id,
                "invalid_rows": self.invalid_rows}


@dataclass(frozen=True, slots=True)
class DayTotal:
    """One day's messages per channel, cost and invalid rows: a bar of the chart."""

    day: date
    zns: int = 0
    sms: int = 0
    cost: float = 0.0
    invalid_rows: int = 0

    @property
    def messages(self) -> int:
        return self.zns + self.sms


@dataclass(frozen=True, slots=True)
class VolumeTotals:
    """What adds up across rows: messages and cost, per channel and per state (never phones)."""

    messages: int
    cost: float
    invalid_rows: int
    by_channel: dict[str, dict[str, float]]
    by_state: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"messages": self.messages, "cost": self.cost, "invalid_rows": self.invalid_rows,
                "by_channel": self.by_channel, "by_state": self.by_state}


def totals_of(rows: Iterable[VolumeRow], invalid: Iterable[InvalidRow] = ()) -> VolumeTotals:
    """Totals of any rows (the workbook's total line and the page's summary use it)."""
    rows = list(rows)
    by_channel: dict[str, dict[str, float]] = {}
    by_state: dict[str, int] = {}
    for r in rows:
        ch = by_channel.setdefault(r.channel, {"messages": 0, "cost": 0.0})
        ch["messages"] += r.messages
        ch["cost"] += r.cost
        by_state[r.state] = by_state.get(r.state, 0) + r.messages
    return VolumeTotals(
        messages=sum(r.messages for r in rows),
        cost=sum(r.cost for r in rows),
        invalid_rows=sum(i.invalid_rows for i in invalid),
        by_channel={k: by_channel[k] for k in _ordered(by_channel, CHANNELS)},
        by_state={k: by_state[k] for k in _ordered(by_state, STATE_ORDER)},
    )


def by_day(rows: Iterable[VolumeRow], invalid: Iterable[InvalidRow] = (), *,
           start: date | None = None, end: date | None = None) -> list[DayTotal]:
    """One total per day, oldest first; with a short range (start..end) the empty days too."""
    days: dict[date, dict[str, float]] = {}
    for r in rows:
        d = days.setdefault(r.day, {"zns": 0, "sms": 0, "cost": 0.0, "invalid_rows": 0})
        if r.channel in ("zns", "sms"):
            d[r.channel] += r.messages
        d["cost"] += r.cost
    for i in invalid:
        d = days.setdefault(i.day, {"zns": 0, "sms": 0, "cost": 0.0, "invalid_rows": 0})
        d["invalid_rows"] += i.invalid_rows
    if start is not None and end is not None and 0 <= (end - start).days < CHART_FILL_DAYS:
        for n in range((end - start).days + 1):
            days.setdefault(start + timedelta(days=n), {"zns": 0, "sms": 0, "cost": 0.0, "invalid_rows": 0})
    return [DayTotal(day, int(v["zns"]), int(v["sms"]), float(v["cost"]), int(v["invalid_rows"]))
            for day, v in sorted(days.items())]


@dataclass(frozen=True, slots=True)
class VolumeReport:
    """The view's rows for a date range and filters, with what the page, CLI and workbook show."""

    start: date
    end: date
    oa_id: str | None
    template_id: str | None
    rows: list[VolumeRow]
    invalid: list[InvalidRow] = field(default_factory=list)

    @property
    def totals(self) -> VolumeTotals:
        return totals_of(self.rows, self.invalid)

    def by_day(self) -> list[DayTotal]:
        return by_day(self.rows, self.invalid, start=self.start, end=self.end)

    @property
    def title(self) -> str:
        return range_title("Sản lượng", self.start, self.end, self.oa_id, self.template_id)

    def as_dict(self) -> dict[str, Any]:
        """The CLI's --json line: filters, every row, invalid rows and totals."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "oa_id": self.oa_id,
                "template_id": self.template_id, "rows": [r.as_dict() for r in self.rows],
                "invalid": [i.as_dict() for i in self.invalid], "totals": self.totals.as_dict()}

    def write_workbook(self, path: Path | str | IO[bytes], *, ratings: Sequence[RatingGroup] | None = None) -> None:
        """The workbook; with `ratings` (the same range and filters) also the ratings sheet."""
        write_volume_workbook(self.rows, path, invalid=self.invalid, title=self.title,
                              start=self.start, end=self.end, ratings=ratings)


def read_volume(source: Ledger | sa.Engine | sa.Connection, start: date, end: date, *,
                oa_id: str | None = None, template_id: str | None = None) -> VolumeReport:
    """The views' rows for start..end (Vietnam days, both included), optionally one OA / template."""
    v, iv = volume_daily, volume_invalid_daily
    where = [v.c.day >= start, v.c.day <= end]
    iwhere = [iv.c.day >= start, iv.c.day <= end]
    if oa_id:
        where.append(v.c.oa_id == oa_id)
        iwhere.append(iv.c.oa_id == oa_id)
    if template_id:
        where.append(v.c.template_id == template_id)
        iwhere.append(iv.c.template_id == template_id)
    rows = [
        VolumeRow(r.day, r.oa_id, r.template_id, r.channel, r.state, int(r.messages), int(r.phones),
                  float(r.cost or 0.0))
        for r in read_rows(source, sa.select(v).where(*where))
    ]
    invalid = [InvalidRow(r.day, r.oa_id, r.template_id, int(r.invalid_rows))
               for r in read_rows(source, sa.select(iv).where(*iwhere))]
    rows.sort(key=lambda r: (r.day, r.oa_id, r.template_id, _rank(r.channel, CHANNELS), _rank(r.state, STATE_ORDER)))
    invalid.sort(key=lambda i: (i.day, i.oa_id, i.template_id))
    return VolumeReport(start, end, oa_id or None, template_id or None, rows, invalid)


def known_filters(source: Ledger | sa.Engine | sa.Connection) -> tuple[list[str], list[str]]:
    """Every OA and template id the view knows (the page offers them as suggestions)."""
    v = volume_daily
    oas = [r[0] for r in read_rows(source, sa.select(v.c.oa_id).distinct().order_by(v.c.oa_id)) if r[0]]
    templates = [r[0] for r in read_rows(source, sa.select(v.c.template_id).distinct().order_by(v.c.template_id))
                 if r[0]]
    return oas, templates


def _rank(value: str, order: Sequence[str]) -> int:
    return order.index(value) if value in order else len(order)


def _ordered(keys: Iterable[str], order: Sequence[str]) -> list[str]:
    return sorted(keys, key=lambda k: (_rank(k, order), k))


# -- workbook ------------------------------------------------------------------------------------


def _text(value: str) -> str:
    """Ids written as data: never a formula, no characters XML cannot hold."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _header(ws: Worksheet, columns: Sequence[tuple[str, int]]) -> None:
    ws.append([title for title, _ in columns])
    for i, (_, width) in enumerate(columns, 1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"


def _formats(ws: Worksheet, row: int, formats: dict[int, str]) -> None:
    for col, fmt in formats.items():
        ws.cell(row=row, column=col).number_format = fmt


def _total_row(ws: Worksheet, values: Sequence[object], formats: dict[int, str]) -> None:
    ws.append(list(values))
    for col in range(1, len(values) + 1):
        ws.cell(row=ws.max_row, column=col).font = _BOLD
    _formats(ws, ws.max_row, formats)


def write_volume_workbook(rows: Sequence[VolumeRow], path: Path | str | IO[bytes], *,
                          invalid: Sequence[InvalidRow] = (), title: str | None = None,
                          start: date | None = None, end: date | None = None,
                          ratings: Sequence[RatingGroup] | None = None) -> None:
    """The volume workbook: every view row with a total, a by-day sheet with its bar chart, the
    invalid rows and, when given, the ratings per template. A path is written next to itself and
    renamed, never left half-written."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_VOLUME
    if title:
        wb.properties.title = title
    _header(ws, VOLUME_COLUMNS)
    row_formats = {1: DATE_FORMAT, 7: COUNT_FORMAT, 8: COUNT_FORMAT, 9: MONEY_FORMAT}
    for r in rows:
        ws.append([r.day, _text(r.oa_id), _text(r.template_id), r.channel_label, r.state, r.state_vi,
                   r.messages, r.phones, r.cost])
        _formats(ws, ws.max_row, row_formats)
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(VOLUME_COLUMNS))}{ws.max_row}"
    totals = totals_of(rows, invalid)
    _total_row(ws, [TOTAL_LABEL, None, None, None, None, None, totals.messages, None, totals.cost],
               {7: COUNT_FORMAT, 9: MONEY_FORMAT})

    days = wb.create_sheet(SHEET_BY_DAY)
    _header(days, BY_DAY_COLUMNS)
    day_rows = by_day(rows, invalid, start=start, end=end)
    day_formats = {1: DATE_FORMAT, 2: COUNT_FORMAT, 3: COUNT_FORMAT, 4: COUNT_FORMAT, 5: MONEY_FORMAT,
                   6: COUNT_FORMAT}
    for d in day_rows:
        days.append([d.day, d.zns, d.sms, d.messages, d.cost, d.invalid_rows])
        _formats(days, days.max_row, day_formats)
    _total_row(days, [TOTAL_LABEL, sum(d.zns for d in day_rows), sum(d.sms for d in day_rows), totals.messages,
                      totals.cost, totals.invalid_rows], {k: v for k, v in day_formats.items() if k != 1})
    if day_rows:
        _day_chart(days, len(day_rows), title)

    bad = wb.create_sheet(SHEET_INVALID)
    _header(bad, INVALID_COLUMNS)
    for i in invalid:
        bad.append([i.day, _text(i.oa_id), _text(i.template_id), i.invalid_rows])
        _formats(bad, bad.max_row, {1: DATE_FORMAT, 4: COUNT_FORMAT})
    _total_row(bad, [TOTAL_LABEL, None, None, totals.invalid_rows], {4: COUNT_FORMAT})
    if ratings is not None:
        _ratings_sheet(wb.create_sheet(SHEET_RATINGS), ratings)
    _save(wb, path)


def _ratings_sheet(ws: Worksheet, groups: Sequence[RatingGroup]) -> None:
    """One row per (OA, template): count, average, stars 1..5 and the latest notes (phones masked)."""
    _header(ws, RATINGS_COLUMNS)
    formats = {3: COUNT_FORMAT, 4: COUNT_FORMAT, 5: AVERAGE_FORMAT, **{c: COUNT_FORMAT for c in range(6, 11)}}
    for g in groups:
        notes = "\n".join(f"{n.submitted_vn:%d/%m/%Y %H:%M} {n.phone} {n.rate}★: {n.text}" for n in g.notes)
        ws.append([_text(g.oa_id), _text(g.template_id), g.campaigns, g.count, round(g.average, 2),
                   *(g.stars.get(s, 0) for s in range(1, 6)), _text(notes) if notes else None])
        _formats(ws, ws.max_row, formats)
        ws.cell(row=ws.max_row, column=len(RATINGS_COLUMNS)).alignment = Alignment(wrap_text=True, vertical="top")
    count = sum(g.count for g in groups)
    average = round(sum(g.average * g.count for g in groups) / count, 2) if count else None
    _total_row(ws, [TOTAL_LABEL, None, sum(g.campaigns for g in groups), count, average,
                    *(sum(g.stars.get(s, 0) for g in groups) for s in range(1, 6)), None],
               formats)


def _day_chart(ws: Worksheet, n: int, title: str | None) -> None:
    """Stacked columns, one per day: ZNS and SMS messages."""
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "Số tin theo ngày (messages per day)"
    chart.style = 10
    chart.y_axis.title = "Số tin"
    chart.x_axis.title = title or "Ngày (giờ VN)"
    chart.x_axis.number_format = DATE_FORMAT
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=1, max_row=n + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    chart.width, chart.height = 24, 11
    ws.add_chart(chart, "H2")


def _save(wb: Workbook, path: Path | str | IO[bytes]) -> None:
    if not isinstance(path, str | Path):
        wb.save(path)
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".volume-", suffix=".xlsx", dir=target.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
