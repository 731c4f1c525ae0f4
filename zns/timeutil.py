"""Vietnam time: eSMS dates, schedules and reports are in Asia/Ho_Chi_Minh (UTC+7, no DST)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_now() -> datetime:
    """Naive wall-clock time in Vietnam, the form eSMS's date fields use."""
    return datetime.now(VN).replace(tzinfo=None)


def to_vn_naive(moment: datetime) -> datetime:
    """An aware time (or naive UTC) as naive Vietnam wall-clock time."""
    if type(moment) is not datetime:  # Prefect hands out pendulum datetimes
        moment = datetime.fromisoformat(moment.isoformat())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN).replace(tzinfo=None)
