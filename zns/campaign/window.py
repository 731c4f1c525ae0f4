"""When ZNS may go out: the campaign's send window (quiet hours) and its share of today's quota.

Zalo refuses some ZNS at night; a campaign with a window (SPEC `send_window`, else the
installation's $ZNS_SEND_WINDOW such as "07:00-21:30"; unset or "off": any time) sends only
inside it. What it cannot send now, outside the window or beyond today's OA quota, is
postponed: the run ends "postponed" and a run of the same campaign is scheduled for the next
opening, which sends only what is still unsent (the ledger's claims).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from zns.campaign.preflight import Preflight
from zns.spec import CampaignSpec
from zns.timeutil import VN

ENV_VAR = "ZNS_SEND_WINDOW"
QUOTA_RESUME = time(7, 0)  # next day's start when the campaign has no window


class WindowError(ValueError):
    """$ZNS_SEND_WINDOW is not "HH:MM-HH:MM" or "off"."""


@dataclass(frozen=True, slots=True)
class SendWindow:
    start: time
    end: time

    def contains(self, at: datetime) -> bool:
        """`at` (aware) in [start, end) Vietnam time; a window like 22:00-02:00 spans midnight."""
        clock = at.astimezone(VN).time()
        if self.start <= self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def next_opening(self, at: datetime) -> datetime:
        """The first moment at or after `at` inside the window (aware UTC)."""
        if self.contains(at):
            return at.astimezone(UTC)
        local = at.astimezone(VN)
        opening = local.replace(hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0)
        if opening <= local:
            opening += timedelta(days=1)
        return opening.astimezone(UTC)

    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class Postponement:
    """Why the rest of a campaign waits, and until when (aware UTC; None: until an operator runs
    the campaign again, as after the circuit breaker)."""

    until: datetime | None
    code: str  # QUIET_HOURS, QUOTA_EXHAUSTED, FAILURE_RATE, QUALITY_LOW
    reason_vi: str

    def line(self) -> str:
        if self.until is None:
            return f"{self.reason_vi}; chạy lại chiến dịch khi đã kiểm tra để gửi phần còn lại ({self.code})"
        shown = self.until.astimezone(VN).strftime("%H:%M %d/%m/%Y")
        return f"{self.reason_vi}; gửi tiếp lúc {shown} giờ Việt Nam ({self.code})"


def _clock(text: str) -> time:
    hour, _, minute = text.strip().partition(":")
    return time(int(hour), int(minute))


def window_for(spec: CampaignSpec) -> SendWindow | None:
    """The SPEC's window, else the installation's; None: any time."""
    if spec.send_window is not None:
        if not spec.send_window.enabled:
            return None
        return SendWindow(_clock(spec.send_window.start), _clock(spec.send_window.end))
    raw = os.environ.get(ENV_VAR, "").strip().lower()
    if raw in ("", "off", "none"):
        return None
    try:
        start, _, end = raw.partition("-")
        return SendWindow(_clock(start), _clock(end))
    except ValueError:
        raise WindowError(f"{ENV_VAR}={raw!r}: write it as HH:MM-HH:MM (e.g. 07:00-21:30) or off") from None


def quiet_hours(window: SendWindow, now: datetime) -> Postponement:
    return Postponement(window.next_opening(now), "QUIET_HOURS",
                        f"Ngoài khung giờ gửi {window.label()} (quiet hours)")


def next_day(window: SendWindow | None, now: datetime) -> datetime:
    """Tomorrow's first sending moment (Vietnam day): the OA quota is a daily one."""
    local = now.astimezone(VN)
    start = window.start if window is not None else QUOTA_RESUME
    return (local + timedelta(days=1)).replace(hour=start.hour, minute=start.minute, second=0,
                                               microsecond=0).astimezone(UTC)


def split_for_quota(spec: CampaignSpec, check: Preflight, to_send: int, window: SendWindow | None,
                    now: datetime) -> tuple[int, Postponement] | None:
    """With `continue_next_day`: today's count (the quota left less the reserve) and the rest's
    postponement to tomorrow; None when nothing needs splitting or the balance is what is short
    (then the preflight's verdict stands)."""
    allowed = max(0, check.quota_remaining - spec.quota_reserve)
    if not spec.continue_next_day or to_send <= allowed:
        return None
    if check.balance < check.zns_unit_price * allowed:
        return None
    later = Postponement(next_day(window, now), "QUOTA_EXHAUSTED",
                         f"Hết quota ZNS hôm nay của OA (còn {check.quota_remaining}, giữ lại "
                         f"{spec.quota_reserve}); {to_send - allowed} tin gửi tiếp ngày sau")
    return allowed, later
