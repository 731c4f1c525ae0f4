"""Vietnamese number and time formatting shared by the markdown and the workbook.

Vietnamese writes 1.234.567 (dot for thousands) and 12,5 (comma for decimals); times are
shown in Asia/Ho_Chi_Minh. Naive datetimes are taken as UTC, which is what Prefect and the
ledger store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo


def _vn_zone() -> tzinfo:
    # Vietnam has been UTC+7 without DST since 1975, so the fixed offset is exact for any
    # campaign date; it covers Windows workers without the tzdata package.
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Ho_Chi_Minh")
    except Exception:  # ZoneInfoNotFoundError, missing tz database
        return timezone(timedelta(hours=7), "ICT")


VN_TZ: tzinfo = _vn_zone()


def to_vn(dt: datetime | None) -> datetime | None:
    """Aware datetime in Vietnam time (naive input is UTC)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(VN_TZ)


def to_vn_naive(dt: datetime | None) -> datetime | None:
    """Vietnam wall-clock time without tzinfo: what an Excel datetime cell can hold."""
    vn = to_vn(dt)
    return vn.replace(tzinfo=None) if vn is not None else None


def format_vn_time(dt: datetime | None) -> str:
    vn = to_vn(dt)
    return vn.strftime("%d/%m/%Y %H:%M:%S") if vn is not None else "—"


def format_duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "—"
    a, b = to_vn(start), to_vn(end)
    assert a is not None and b is not None
    seconds = max(0, int((b - a).total_seconds()))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{s:02d}"


def format_int(n: int) -> str:
    """12345 -> '12.345'."""
    return f"{n:,}".replace(",", ".")


def format_vnd(amount: float) -> str:
    """Whole đồng with Vietnamese thousands separators: 1234567.4 -> '1.234.567 ₫'."""
    return f"{format_int(round(amount))} ₫"


def format_pct(part: int, whole: int) -> str:
    """Share of ``whole`` with one decimal and a decimal comma: '12,5 %'."""
    pct = 0.0 if whole <= 0 else part * 100.0 / whole
    return f"{pct:.1f}".replace(".", ",") + " %"
