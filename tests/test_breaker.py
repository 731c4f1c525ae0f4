"""The circuit breaker's two signals (zns/campaign/breaker.py)."""

from __future__ import annotations

from esms.models import OaQuality
from zns.campaign.breaker import failure_rate_trip, quality_due, quality_trip
from zns.campaign.sending import BatchStats
from zns.spec import BreakerSpec

SPEC = BreakerSpec(max_failure_rate=0.3, last_batches=2, min_messages=100)


def batch(index: int, accepted: int, rejected: int) -> BatchStats:
    return BatchStats(index=index, accepted=accepted, rejected=rejected)


def test_a_failure_rate_above_the_threshold_over_the_last_batches_trips() -> None:
    results = [batch(0, 100, 0), batch(1, 30, 70), batch(2, 40, 60)]
    trip = failure_rate_trip(SPEC, results)
    assert trip is not None and trip.code == "FAILURE_RATE" and trip.until is None
    assert "130/200" in trip.reason_vi and "chạy lại chiến dịch" in trip.line()


def test_old_batches_small_samples_and_rates_at_the_threshold_do_not_trip() -> None:
    assert failure_rate_trip(SPEC, [batch(0, 0, 100), batch(1, 100, 0), batch(2, 100, 0)]) is None  # old
    assert failure_rate_trip(SPEC, [batch(0, 10, 40)]) is None  # 50 answers < min_messages
    assert failure_rate_trip(SPEC, [batch(0, 70, 30), batch(1, 70, 30)]) is None  # exactly 30 %


def test_a_low_current_quality_trips_unless_told_not_to() -> None:
    low = OaQuality(current="LOW", seven_day="HIGH")
    assert quality_trip(SPEC, low).code == "QUALITY_LOW"
    assert quality_trip(SPEC, OaQuality(current="MEDIUM", seven_day="LOW")) is None
    assert quality_trip(SPEC, None) is None  # the lookup failed: decide nothing
    assert quality_trip(SPEC.model_copy(update={"stop_on_low_quality": False}), low) is None


def test_quality_is_checked_before_the_first_batch_then_every_n() -> None:
    spec = SPEC.model_copy(update={"quality_every": 5})
    assert [n for n in range(12) if quality_due(spec, n)] == [0, 5, 10]
