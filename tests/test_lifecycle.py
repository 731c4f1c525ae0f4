"""The campaign status machine (zns/campaign/lifecycle.py) on a real SQLite ledger, no Prefect.

Issue 18's bugs: `upsert_campaign` keeps the first row and only the approval gate ever set
`running`, so a re-run or a postponed campaign's continuation showed its old status while it
sent, and a cancelled re-run was left unmarked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zns.campaign import lifecycle
from zns.campaign.lifecycle import CampaignStats, CampaignStatus, LifecycleError
from zns.campaign.prepare import register_campaign
from zns.ledger import Ledger
from zns.spec import CampaignSpec

T0 = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
T1 = datetime(2026, 12, 4, 2, 5, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger.from_url(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield led
    led.close()


def _spec() -> CampaignSpec:
    return CampaignSpec.model_validate({"campaign_name": "Vòng đời", "oa_id": "oa", "template_id": "t1",
                                        "recipients": [{"phone": "0912000001", "values": {}}]})


def _status(ledger: Ledger, cid: str) -> CampaignStatus:
    record = ledger.campaign(cid)
    assert record is not None
    return CampaignStatus(record.status)


def _run_to(ledger: Ledger, cid: str, status: CampaignStatus, postponed: str | None = None) -> None:
    register_campaign(ledger, cid, _spec(), sandbox=False)
    lifecycle.finish(ledger, cid, status, {"rows": 1}, started_at=T0, finished_at=T1, postponed=postponed)


@pytest.mark.parametrize("ended", [CampaignStatus.COMPLETED, CampaignStatus.POSTPONED, CampaignStatus.FAILED,
                                   CampaignStatus.CONFIG_ERROR, CampaignStatus.CANCELLED])
def test_a_rerun_or_continuation_is_running_while_it_sends(ledger: Ledger, ended: CampaignStatus) -> None:
    _run_to(ledger, "c1", ended, "gửi tiếp 07:00" if ended is CampaignStatus.POSTPONED else None)
    assert _status(ledger, "c1") is ended
    register_campaign(ledger, "c1", _spec(), sandbox=False)  # the next run of the same campaign
    assert _status(ledger, "c1") is CampaignStatus.RUNNING
    assert lifecycle.postponed_line(ledger.campaign("c1")) is None  # the page no longer says "postponed"


def test_a_cancelled_rerun_is_cancelled_and_an_ended_campaign_keeps_its_status(ledger: Ledger) -> None:
    _run_to(ledger, "c2", CampaignStatus.COMPLETED)
    register_campaign(ledger, "c2", _spec(), sandbox=False)
    assert lifecycle.cancel(ledger, "c2", "huỷ trong Prefect UI")
    record = ledger.campaign("c2")
    assert record is not None and record.status == CampaignStatus.CANCELLED
    assert CampaignStats.from_json(record.stats).cancelled == "huỷ trong Prefect UI"
    assert CampaignStats.from_json(record.stats).summary == {"rows": 1}  # the last report's counts stay
    _run_to(ledger, "c3", CampaignStatus.COMPLETED)
    assert not lifecycle.cancel(ledger, "c3", "late")  # a cancel after the run ended changes nothing
    assert _status(ledger, "c3") is CampaignStatus.COMPLETED
    assert not lifecycle.cancel(ledger, "unknown-campaign", "x")


def test_finish_keeps_the_report_times_and_the_postponed_line(ledger: Ledger) -> None:
    _run_to(ledger, "c4", CampaignStatus.POSTPONED, "Ngoài khung giờ gửi; gửi tiếp lúc 07:00")
    record = ledger.campaign("c4")
    stats = CampaignStats.from_json(record.stats if record else None)
    assert stats.summary == {"rows": 1} and stats.times() == {"started_at": T0, "finished_at": T1}
    assert lifecycle.postponed_line(record) == "Ngoài khung giờ gửi; gửi tiếp lúc 07:00"
    lifecycle.republish(ledger, "c4", {"rows": 1, "zns_delivered": 1})  # reconcile rebuilt the report
    record = ledger.campaign("c4")
    assert record is not None and record.status == CampaignStatus.POSTPONED
    assert lifecycle.postponed_line(record) == "Ngoài khung giờ gửi; gửi tiếp lúc 07:00"
    assert CampaignStats.from_json(record.stats).summary["zns_delivered"] == 1


def test_the_approval_gate_and_a_late_postponement(ledger: Ledger) -> None:
    register_campaign(ledger, "c5", _spec(), sandbox=False)
    lifecycle.await_approval(ledger, "c5")
    assert _status(ledger, "c5") is CampaignStatus.PENDING_APPROVAL
    lifecycle.reject(ledger, "c5", {"rows": 1}, started_at=T0, finished_at=T1)
    assert _status(ledger, "c5") is CampaignStatus.REJECTED
    register_campaign(ledger, "c5", _spec(), sandbox=False)  # run again: asked again
    lifecycle.await_approval(ledger, "c5")
    lifecycle.approve(ledger, "c5")
    lifecycle.finish(ledger, "c5", CampaignStatus.COMPLETED, {"rows": 1}, started_at=T0, finished_at=T1)
    lifecycle.postpone(ledger, "c5", "Zalo từ chối lúc đêm (-133); gửi tiếp 07:00")  # reconcile, later
    assert lifecycle.postponed_line(ledger.campaign("c5")) == "Zalo từ chối lúc đêm (-133); gửi tiếp 07:00"


def test_illegal_transitions_are_refused_with_one_line(ledger: Ledger) -> None:
    _run_to(ledger, "c6", CampaignStatus.COMPLETED)
    with pytest.raises(LifecycleError, match="'c6' is completed: it cannot become rejected"):
        lifecycle.reject(ledger, "c6", {}, started_at=None, finished_at=None)
    with pytest.raises(LifecycleError, match="cannot become pending_approval"):
        lifecycle.await_approval(ledger, "c6")
    with pytest.raises(LifecycleError, match="running does not end a run"):
        lifecycle.finish(ledger, "c6", CampaignStatus.RUNNING, {}, started_at=None, finished_at=None)
    with pytest.raises(LifecycleError, match="not registered"):
        lifecycle.start(ledger, "never-registered")
    assert _status(ledger, "c6") is CampaignStatus.COMPLETED  # nothing written


def test_status_literals_live_in_the_lifecycle_module_only() -> None:
    """Acceptance of issue 18: no campaign status compared or written as a string elsewhere."""
    import re

    root = Path(__file__).resolve().parents[1]
    literal = re.compile(r"""(status|Status)[^\n]{0,40}["'](running|postponed|pending_approval|config_error|"""
                         r"""cancelled)["']""")
    found = [f"{path.relative_to(root)}:{n}" for folder in ("zns", "flows") for path in (root / folder).rglob("*.py")
             if path.name not in ("lifecycle.py", "types.py") and "migrations" not in path.parts
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if literal.search(line)]
    assert found == []
