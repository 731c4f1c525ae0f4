"""The volume report page (`/volume`) and its workbook download (`/volume.xlsx`).

A router of its own, included by `create_app`, so the app's access-token middleware covers it like
every other route. The numbers come from `zns.report.volume` (the ledger's `volume_daily` view) and,
for the ratings per template, `zns.report.ratings`; the chart is inline SVG computed here, no script.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from zns.report.ratings import STARS, RatingsReport, read_ratings
from zns.report.volume import (
    STATE_LABELS_VI,
    DayTotal,
    VolumeInputError,
    VolumeReport,
    known_filters,
    read_volume,
    resolve_range,
)
from zns.runtime import get_ledger
from zns.web.deps import csrf_for, templates

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HERE = Path(__file__).resolve().parent
CHART_W, CHART_H, CHART_PAD, CHART_TOP = 960, 220, 40, 12

router = APIRouter()


@dataclass(frozen=True, slots=True)
class Filters:
    """The GET form as typed (kept for re-rendering) and the Vietnam-day range it resolves to."""

    start_text: str
    end_text: str
    oa_id: str
    template_id: str

    @classmethod
    def from_request(cls, request: Request) -> Filters:
        q = request.query_params
        return cls(q.get("from", "").strip(), q.get("to", "").strip(), q.get("oa", "").strip(),
                   q.get("template", "").strip())

    def resolve(self) -> tuple[date, date]:
        return resolve_range(self.start_text or None, self.end_text or None)

    def query(self, start: date, end: date) -> str:
        """The same filters as a query string (the .xlsx link repeats the page's numbers)."""
        params = {"from": start.isoformat(), "to": end.isoformat()}
        params.update({k: v for k, v in (("oa", self.oa_id), ("template", self.template_id)) if v})
        return urlencode(params)


@dataclass(frozen=True, slots=True)
class Bar:
    """One day's stacked column: ZNS below, SMS on top (SVG coordinates)."""

    x: float
    width: float
    zns_y: float
    zns_h: float
    sms_y: float
    sms_h: float
    day: DayTotal
    label: str | None  # the day under the bar, when there is room


def chart_bars(days: list[DayTotal]) -> tuple[list[Bar], int]:
    """Bars scaled to the busiest day, and that day's count (the axis maximum)."""
    if not days:
        return [], 0
    top = max(d.messages for d in days) or 1
    plot_h = CHART_H - CHART_PAD - CHART_TOP
    slot = (CHART_W - CHART_PAD) / len(days)
    width = max(1.0, slot * 0.7)
    every = max(1, round(len(days) / 15))  # at most ~15 day labels
    bars = []
    for n, d in enumerate(days):
        zns_h = plot_h * d.zns / top
        sms_h = plot_h * d.sms / top
        base = CHART_H - CHART_PAD
        bars.append(Bar(x=CHART_PAD + n * slot + (slot - width) / 2, width=width, zns_y=base - zns_h, zns_h=zns_h,
                        sms_y=base - zns_h - sms_h, sms_h=sms_h, day=d,
                        label=d.day.strftime("%d/%m") if n % every == 0 else None))
    return bars, top


def _read(start: date, end: date, filters: Filters) -> tuple[VolumeReport, RatingsReport, list[str], list[str]]:
    """Volume and ratings under the same filters, and the filter suggestions."""
    ledger = get_ledger()
    oa_id, template_id = filters.oa_id or None, filters.template_id or None
    found = read_volume(ledger, start, end, oa_id=oa_id, template_id=template_id)
    rated = read_ratings(ledger, start, end, oa_id, template_id)
    return (found, rated, *known_filters(ledger))


@router.get("/volume", response_class=HTMLResponse)
async def volume_page(request: Request) -> HTMLResponse:
    """Per day × OA × template × channel × state: counts, cost and a bar per day; ratings per template."""
    filters = Filters.from_request(request)
    context: dict[str, Any] = {"filters": filters, "problem": None, "report": None, "ratings": None,
                               "stars": STARS, "bars": [], "top": 0,
                               "oas": [], "template_ids": [], "state_labels": STATE_LABELS_VI,
                               "chart": {"w": CHART_W, "h": CHART_H, "pad": CHART_PAD, "top": CHART_TOP},
                               "csrf": csrf_for(request)}  # the base template's meta (this page only GETs)
    status = 200
    try:
        start, end = filters.resolve()
        found, rated, oas, template_ids = await run_in_threadpool(_read, start, end, filters)
    except VolumeInputError as exc:
        context["problem"], status = f"{exc} (BAD_DATE)", 400
    except sa.exc.SQLAlchemyError as exc:
        context["problem"], status = f"không đọc được sổ gửi — cannot read the ledger ({type(exc).__name__})", 503
    else:
        bars, top = chart_bars(found.by_day())
        context.update(report=found, ratings=rated, totals=found.totals, bars=bars, top=top, oas=oas,
                       template_ids=template_ids, xlsx_href="/volume.xlsx?" + filters.query(start, end),
                       start=start, end=end)
    return templates.TemplateResponse(request, "volume.html", context, status_code=status)


def _workbook_bytes(found: VolumeReport, rated: RatingsReport) -> bytes:
    import io

    buffer = io.BytesIO()
    found.write_workbook(buffer, ratings=rated.groups)
    return buffer.getvalue()


@router.get("/volume.xlsx")
async def volume_workbook(request: Request) -> Response:
    """The page's numbers as a workbook (same filters, same view), ratings per template included."""
    filters = Filters.from_request(request)
    try:
        start, end = filters.resolve()
        found, rated, _, _ = await run_in_threadpool(_read, start, end, filters)
    except VolumeInputError as exc:
        return JSONResponse({"error": {"code": "BAD_DATE", "message": str(exc)}}, status_code=400)
    except sa.exc.SQLAlchemyError as exc:
        return JSONResponse({"error": {"code": "LEDGER_UNAVAILABLE", "message": type(exc).__name__}}, status_code=503)
    data = await run_in_threadpool(_workbook_bytes, found, rated)
    name = f"san-luong-{start.isoformat()}-{end.isoformat()}.xlsx"
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
