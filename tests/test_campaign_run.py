"""Today's part of a run (zns/campaign/run.py), decided outside the flow: no Prefect here."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from esms.models import OaQuality
from zns.campaign.run import stop_rule, todays_batches, todays_plan
from zns.campaign.sending import BatchStats
from zns.campaign.window import Postponement, SendWindow
from zns.ledger import Ledger
from zns.recipients import Recipient, ValidationResult
from zns.spec import CampaignSpec

NOON_VN = datetime(2026, 12, 4, 5, 0, tzinfo=UTC)
NIGHT_VN = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # 23:00 in Vietnam
WINDOW = SendWindow(time(7, 0), time(21, 30))


def _spec(**extra: object) -> CampaignSpec:
    return CampaignSpec.model_validate({"campaign_name": "Hôm nay", "oa_id": "oa", "template_id": "t1",
                                        "recipients": [{"phone": "0912000001", "values": {}}], "batch_size": 2,
                                        **extra})


def test_quiet_hours_or_the_quota_split_wait_for_a_later_run() -> None:
    later = todays_plan(WINDOW, None, NIGHT_VN)
    assert later is not None and later.code == "QUIET_HOURS" and later.until is not None
    assert later.until > NIGHT_VN
    quota = Postponement(None, "QUOTA_EXHAUSTED", "hết quota hôm nay")
    assert todays_plan(WINDOW, (3, quota), NOON_VN) is quota
    assert todays_plan(None, None, NIGHT_VN) is None  # no window: any time


def test_todays_batches_are_the_quota_share_of_the_unsent_rows(tmp_path: Path) -> None:
    ledger = Ledger.from_url(f"sqlite:///{tmp_path / 'ledger.db'}")
    rows = [Recipient(row=i + 2, phone=f"091200000{i}", params=["x"], sms_values={}, cells=(), columns=())
            for i in range(5)]
    validation = ValidationResult(valid=rows, invalid=[], rows_read=5, columns=[])
    spec = _spec()
    quota = Postponement(None, "QUOTA_EXHAUSTED", "hết quota hôm nay")
    assert [len(b) for b in todays_batches(ledger, spec, "c", validation, None, None)] == [2, 2, 1]
    assert [len(b) for b in todays_batches(ledger, spec, "c", validation, quota, (3, quota))] == [2, 1]
    quiet = Postponement(None, "QUIET_HOURS", "ngoài giờ")
    assert todays_batches(ledger, spec, "c", validation, quiet, None) == []


def test_the_stop_rule_reads_the_oa_quality_only_when_due_and_stops_on_low() -> None:
    spec = _spec(circuit_breaker={"quality_every": 2})
    reads: list[int] = []

    def quality() -> OaQuality:
        reads.append(1)
        return OaQuality(current="LOW" if len(reads) > 1 else "HIGH", seven_day="HIGH")

    stop = stop_rule(spec, None, quality)
    assert stop([]) is None and len(reads) == 1  # before the first batch: HIGH
    assert stop([BatchStats(index=0, accepted=2)]) is None and len(reads) == 1  # not due
    tripped = stop([BatchStats(index=0, accepted=2), BatchStats(index=1, accepted=2)])
    assert tripped is not None and tripped.code == "QUALITY_LOW" and len(reads) == 2
