"""The send window and the quota split (zns/campaign/window.py), in Vietnam time."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from zns.campaign.preflight import Preflight
from zns.campaign.window import SendWindow, WindowError, next_day, split_for_quota, window_for
from zns.spec import CampaignSpec
from zns.timeutil import VN

DAY = SendWindow(time(7, 0), time(21, 30))


def vn(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VN)


def spec(**extra: object) -> CampaignSpec:
    return CampaignSpec.model_validate({"campaign_name": "x", "oa_id": "1", "template_id": "2", "source": "a.xlsx",
                                        **extra})


def test_inside_and_outside_the_window() -> None:
    assert DAY.contains(vn(7)) and DAY.contains(vn(21, 29)) and DAY.contains(vn(12))
    assert not DAY.contains(vn(21, 30)) and not DAY.contains(vn(6, 59)) and not DAY.contains(vn(23))


def test_the_next_opening_is_this_morning_or_tomorrow_morning() -> None:
    assert DAY.next_opening(vn(3)) == vn(7).astimezone(UTC)
    assert DAY.next_opening(vn(22)) == vn(7, day=2).astimezone(UTC)
    assert DAY.next_opening(vn(9)) == vn(9).astimezone(UTC)  # open now


def test_a_window_may_span_midnight() -> None:
    night = SendWindow(time(22, 0), time(2, 0))
    assert night.contains(vn(23)) and night.contains(vn(1)) and not night.contains(vn(12))
    assert night.next_opening(vn(12)) == vn(22).astimezone(UTC)


def test_the_spec_window_wins_else_the_installation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZNS_SEND_WINDOW", raising=False)
    assert window_for(spec()) is None  # any time unless someone says otherwise
    monkeypatch.setenv("ZNS_SEND_WINDOW", "07:00-21:30")
    assert window_for(spec()) == DAY
    assert window_for(spec(send_window={"enabled": False})) is None
    assert window_for(spec(send_window={"start": "08:00", "end": "20:00"})) == SendWindow(time(8), time(20))
    monkeypatch.setenv("ZNS_SEND_WINDOW", "sáng sớm")
    with pytest.raises(WindowError, match="HH:MM-HH:MM"):
        window_for(spec())


def _check(remaining: int, balance: float = 10**9) -> Preflight:
    return Preflight(recipients=40, quota_daily=100, quota_remaining=remaining, balance=balance, zns_unit_price=300,
                     estimated_zns_cost=12000, estimated_sms_cost_max=0, ok=remaining >= 40)


def test_the_quota_split_sends_up_to_the_quota_less_the_reserve_and_the_rest_tomorrow() -> None:
    share, later = split_for_quota(spec(continue_next_day=True, quota_reserve=5), _check(30), 40, DAY, vn(10))
    assert share == 25 and later.code == "QUOTA_EXHAUSTED" and later.until == vn(7, day=2).astimezone(UTC)
    assert "15 tin gửi tiếp ngày sau" in later.reason_vi


def test_no_split_unless_asked_enough_quota_or_the_balance_is_short() -> None:
    assert split_for_quota(spec(), _check(30), 40, DAY, vn(10)) is None
    assert split_for_quota(spec(continue_next_day=True), _check(50), 40, DAY, vn(10)) is None
    assert split_for_quota(spec(continue_next_day=True), _check(30, balance=100), 40, DAY, vn(10)) is None


def test_without_a_window_the_next_day_starts_at_seven() -> None:
    assert next_day(None, vn(23, 50)) == vn(7, day=2).astimezone(UTC)
