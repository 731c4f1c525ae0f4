"""The range and filters of the cross-campaign reports (volume and ratings), and their reads.

Both reports take the same Vietnam-day range, heading and query runner; this module is what they
share, so neither imports the other.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from zns.ledger import Ledger
from zns.timeutil import VN

DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years: beyond that a typo, not a report
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class VolumeInputError(ValueError):
    """A date or range the operator typed that cannot be read: one line, nothing is queried."""


def range_title(what: str, start: date, end: date, oa_id: str | None, template_id: str | None) -> str:
    """The heading of a cross-campaign report: what, the Vietnam days, and the filters."""
    parts = [f"{what} {start.isoformat()} → {end.isoformat()} (giờ VN)"]
    if oa_id:
        parts.append(f"OA {oa_id}")
    if template_id:
        parts.append(f"mẫu {template_id}")
    return ", ".join(parts)


def vn_today() -> date:
    return datetime.now(VN).date()


def parse_day(text: str, what: str = "date") -> date:
    """'2026-12-01' as a date; anything else is one VolumeInputError line."""
    value = text.strip()
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise VolumeInputError(
            f"cannot read the {what} {text!r}: write it as YYYY-MM-DD (ngày theo giờ Việt Nam), e.g. 2026-12-01"
        ) from None


def _day_or_none(value: str | date | None, what: str) -> date | None:
    if isinstance(value, date):
        return value
    return parse_day(value, what) if value and value.strip() else None


def resolve_range(start: str | date | None, end: str | date | None, *, today: date | None = None,
                  days: int = DEFAULT_DAYS) -> tuple[date, date]:
    """The range asked for, in Vietnam days: by default the last `days` days up to today."""
    to = _day_or_none(end, "--to date") or today or vn_today()
    frm = _day_or_none(start, "--from date") or to - timedelta(days=days - 1)
    if frm > to:
        raise VolumeInputError(f"the range starts after it ends ({frm.isoformat()} > {to.isoformat()}) "
                               "— ngày bắt đầu sau ngày kết thúc")
    if (to - frm).days >= MAX_DAYS:
        raise VolumeInputError(f"the range is longer than {MAX_DAYS} days — khoảng ngày quá dài")
    return frm, to


# -- reading the views ---------------------------------------------------------------------------


def _engine(source: Ledger | sa.Engine | sa.Connection) -> sa.Engine | sa.Connection:
    return source.engine if isinstance(source, Ledger) else source


def read_rows(source: Ledger | sa.Engine | sa.Connection, stmt: sa.Select[Any]) -> list[sa.Row[Any]]:
    target = _engine(source)
    if isinstance(target, sa.Connection):
        return list(target.execute(stmt))
    with target.connect() as conn:
        return list(conn.execute(stmt))
