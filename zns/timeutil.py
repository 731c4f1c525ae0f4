"""Vietnam time: eSMS dates, schedules and reports are in Asia/Ho_Chi_Minh (UTC+7, no DST)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


SEND_AT_GRACE = timedelta(minutes=1)  # "send at" the current minute is not "in the past"


class PastTimeError(ValueError):
    """A "send at" time that has already passed: nothing is sent, the operator picks a new time."""


class TimeFormatError(ValueError):
    """A time the operator typed that cannot be read."""


def as_vn(moment: datetime) -> datetime:
    """An aware time; a naive one is Vietnam wall-clock time (how operators write times)."""
    return moment.replace(tzinfo=VN) if moment.tzinfo is None else moment


def parse_vn_time(text: str) -> datetime:
    """"2026-12-01 09:00" is Vietnam time; an ISO time with an offset keeps its offset."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TimeFormatError(
            f"cannot read the time {text!r}: write it as YYYY-MM-DD HH:MM (giờ Việt Nam), e.g. 2026-12-01 09:00"
        ) from None
    return as_vn(moment)


def require_future(at: datetime, reference: datetime | None = None) -> datetime:
    """The one "send at" rule (CLI, schedule, Prefect form): a time already past is refused."""
    moment = as_vn(at)
    now = reference if reference is not None else datetime.now(UTC)
    if moment < as_vn(now) - SEND_AT_GRACE:
        shown = moment.astimezone(VN).strftime("%Y-%m-%d %H:%M")
        raise PastTimeError(
            f"send_at {shown} (giờ Việt Nam) is in the past: nothing was sent; choose a later time "
            f"— Thời điểm hẹn gửi đã qua, không gửi tin nào (PAST_SEND_AT)"
        )
    return moment
