"""ZNS refused for now (zns/campaign/waiting.py): when each refusal is due again, and the verdict meanwhile."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time

from esms.codes import ResultClass
from zns import policy
from zns.campaign.sending import BatchStats
from zns.campaign.waiting import DEFAULT_WINDOW, batches_wait, is_due, postponement, retry_at
from zns.campaign.window import SendWindow
from zns.ledger import MessageRow, MessageState, request_id
from zns.outcomes import Channel, FinalState
from zns.timeutil import VN


def vn(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VN)


def refused(code: str, at: datetime, *, delivery: bool = True) -> MessageRow:
    return MessageRow("c", "0912345678", Channel.ZNS, "z-x", MessageState.FAILED if delivery else MessageState.REJECTED,
                      "100" if delivery else code, code if delivery else None, ResultClass.WAIT, None, None, None,
                      1, False, "run", at, at, at)


def test_refusals_for_now_are_the_wait_class_not_fallback_and_not_final_for_the_row() -> None:
    for code in ("-133", "-144", "-147"):
        assert policy.send_outcome(code).waiting and not policy.send_outcome(code).unanswered
        msg = refused(code, vn(1, 23))
        assert policy.is_waiting(msg) and not policy.is_fallback_reason(msg)
        verdict = policy.decide(True, None, None, msg, None)
        assert verdict.state is FinalState.UNKNOWN and verdict.reason_code == code
        assert "gửi lại ZNS" in (verdict.reason_vi or "")


def test_a_night_refusal_waits_for_the_next_opening_and_is_due_inside_it() -> None:
    night = refused("-133", vn(1, 23))
    assert retry_at("QUIET_HOURS", None, vn(1, 23)) == vn(2, 7).astimezone(UTC)  # the default window
    assert not is_due(night, None, vn(1, 23, 30))  # still night
    assert is_due(night, None, vn(2, 7, 5))
    # Zalo said "night" inside our own window: the next opening is tomorrow's, not now
    window = SendWindow(time(20, 0), time(23, 59))
    late = refused("-133", vn(1, 21))
    assert retry_at("QUIET_HOURS", window, vn(1, 21)) == vn(2, 20).astimezone(UTC)
    assert not is_due(late, window, vn(1, 22)) and is_due(late, window, vn(2, 20, 1))
    assert DEFAULT_WINDOW.label() == "07:00-21:30"


def test_a_quota_refusal_is_due_on_the_next_vietnam_day() -> None:
    quota = refused("-144", vn(1, 16), delivery=False)
    assert not is_due(quota, None, vn(1, 20)) and is_due(quota, None, vn(2, 7, 10))
    assert not is_due(quota, None, vn(2, 0, 10))  # a new day, but Zalo's night: wait for the morning
    assert retry_at("QUOTA_EXHAUSTED", None, vn(1, 16)) == vn(2, 7).astimezone(UTC)


def test_the_postponement_names_counts_and_codes_and_takes_the_earliest_retry() -> None:
    later = postponement(Counter({"-133": 2, "-144": 1}), None, vn(1, 23))
    assert later is not None and later.code == "QUIET_HOURS" and later.until == vn(2, 7).astimezone(UTC)
    assert "2 tin -133" in later.reason_vi and "1 tin -144" in later.reason_vi
    assert postponement(Counter(), None, vn(1, 23)) is None
    stats = BatchStats(codes={"100": 3, "-133": 2}, accepted=3, waiting=2)
    stopped = batches_wait([stats], None, vn(1, 23))
    assert stopped is not None and "2 tin -133" in stopped.reason_vi
    assert batches_wait([BatchStats(codes={"100": 3}, accepted=3)], None, vn(1, 23)) is None


def test_each_resend_round_has_its_own_request_id_and_round_zero_is_unchanged() -> None:
    ids = {request_id("c", "0912345678", Channel.ZNS, n) for n in range(4)}
    assert len(ids) == 4 and request_id("c", "0912345678", Channel.ZNS) == request_id("c", "0912345678", "zns", 0)
    assert all(len(i) == 50 for i in ids)
