"""Quiet hours and the daily quota postpone instead of failing: the run sends what it may, ends
"postponed", and a run of the same campaign is scheduled on the deployment for the next opening;
that run sends only the rest. Real Prefect server, real simulator."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from esms_sim.server import SimulatorServer
from flows.campaign import zns_campaign
from tests.flows.support import received, send_requests, sheet, spec_for
from zns.ledger import Ledger
from zns.orchestration.localprefect import LocalPrefect
from zns.spec import CampaignSpec
from zns.timeutil import VN


def _continuation(campaign_id: str) -> Any:
    """The scheduled run that carries the campaign on (its SPEC names the campaign)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=["SCHEDULED"]))))
    found = [r for r in runs if (r.parameters.get("spec") or {}).get("campaign_id") == campaign_id]
    assert len(found) == 1, f"{len(found)} scheduled continuations of {campaign_id}"
    return found[0]


def _cancel(run: Any) -> None:
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run.id, Cancelled())


def _closed_window() -> dict[str, str]:
    """A one-hour window starting two hours from now (Vietnam time): closed now."""
    start = datetime.now(VN) + timedelta(hours=2)
    return {"start": f"{start:%H:%M}", "end": f"{start + timedelta(hours=1):%H:%M}"}


@pytest.mark.prefect
def test_quiet_hours_postpone_the_whole_campaign_to_the_next_opening(
    deployed: LocalPrefect, campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path,
) -> None:
    sh = sheet(tmp_path / "khach.xlsx", 30)
    window = _closed_window()
    state = zns_campaign(CampaignSpec.model_validate(
        spec_for(sh.path, campaign_id="quiet-1", send_window=window, fallback_after=10)), return_state=True)
    assert state.is_completed() and state.name == "Postponed" and "QUIET_HOURS" in (state.message or "")
    summary = state.result()
    assert send_requests(flow_sim) == 0
    assert "QUIET_HOURS" in summary["postponed"] and window["start"] in summary["postponed"]
    assert summary["unknown"] == len(sh.valid) and summary["failed"] == 0  # waiting, not failed
    sheet_rows = openpyxl.load_workbook(summary["report"], read_only=True)["Tổng quan (Summary)"].iter_rows(
        values_only=True)
    cells = {r[0]: r[1] for r in sheet_rows if len(r) > 1 and r[0]}
    assert "QUIET_HOURS" in cells["Hoãn (postponed)"]
    ledger = Ledger.from_url(campaign_env["ZNS_LEDGER_URL"])
    assert ledger.campaign("quiet-1").status == "postponed"
    assert {o.reason_code for o in ledger.outcomes("quiet-1", postponed=True) if o.state == "unknown"} == {"POSTPONED"}

    later = _continuation("quiet-1")
    opening = later.expected_start_time.astimezone(VN)
    assert f"{opening:%H:%M}" == window["start"] and opening > datetime.now(VN)
    _cancel(later)
    # The continuation, run now as if the window had opened: it sends the campaign, once.
    rest = CampaignSpec.model_validate({**later.parameters["spec"], "send_window": {"enabled": False}})
    assert rest.campaign_id == "quiet-1"
    final = zns_campaign(rest)
    assert "postponed" not in final and final["unknown"] == 0 and final["rows"] == 30
    got = received(flow_sim)
    assert {p for p, c in got.items() if c.get("zns") == 1} == set(sh.valid)


@pytest.mark.prefect
def test_a_campaign_beyond_todays_quota_sends_its_share_and_the_rest_tomorrow(
    deployed: LocalPrefect, campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path,
) -> None:
    flow_sim.state.configure(quota=30)
    sh = sheet(tmp_path / "khach.xlsx", 40, invalid_every=0)
    data = spec_for(sh.path, campaign_id="quota-1", continue_next_day=True, quota_reserve=5, fallback_after=10)
    summary = zns_campaign(CampaignSpec.model_validate(data))
    assert "QUOTA_EXHAUSTED" in summary["postponed"]
    today = {p for p, c in received(flow_sim).items() if c.get("zns")}
    assert len(today) == 25 and summary["zns_accepted"] == 25 and summary["unknown"] >= 15

    later = _continuation("quota-1")
    tomorrow = (datetime.now(VN) + timedelta(days=1)).date()
    start = later.expected_start_time.astimezone(VN)
    assert start.date() == tomorrow and f"{start:%H:%M}" == "07:00"
    _cancel(later)
    flow_sim.state.configure(quota=100)  # a new day: a new quota
    final = zns_campaign(CampaignSpec.model_validate(later.parameters["spec"]))
    assert "postponed" not in final and final["zns_accepted"] == 40
    got = received(flow_sim)
    assert all(got[p]["zns"] == 1 for p in sh.valid), "a phone got its ZNS twice"
    assert Ledger.from_url(campaign_env["ZNS_LEDGER_URL"]).campaign("quota-1").status == "completed"


@pytest.mark.prefect
def test_a_low_oa_quality_stops_the_sends_until_the_campaign_is_run_again(
    deployed: LocalPrefect, campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path,
) -> None:
    flow_sim.state.configure(oa_quality={"current": "LOW"})
    sh = sheet(tmp_path / "khach.xlsx", 20)
    spec = CampaignSpec.model_validate(spec_for(sh.path, campaign_id="breaker-1", fallback_after=10,
                                                circuit_breaker={"min_messages": 1}))
    summary = zns_campaign(spec)
    assert send_requests(flow_sim) == 0
    assert "QUALITY_LOW" in summary["postponed"] and "chạy lại chiến dịch" in summary["postponed"]
    assert summary["unknown"] == len(sh.valid) and summary["failed"] == 0
    assert flow_sim.state.counts()["endpoints"].get("zns/getquality", 0) >= 1
    flow_sim.state.configure(oa_quality={"current": "HIGH"})  # the operator looked, and runs it again
    final = zns_campaign(spec)
    assert "postponed" not in final and final["unknown"] == 0
    assert {p for p, c in received(flow_sim).items() if c.get("zns") == 1} == set(sh.valid)


def _open_window() -> dict[str, str]:
    """A two-hour window around now (Vietnam time): open now."""
    now = datetime.now(VN)
    return {"start": f"{now - timedelta(hours=1):%H:%M}", "end": f"{now + timedelta(hours=1):%H:%M}"}


def _time_passes(ledger: Ledger, campaign_id: str, hours: float) -> None:
    """Move the campaign's ZNS attempts back in time, as if the night (or the day) had passed."""
    import sqlalchemy as sa

    from zns.ledger.schema import messages

    back = timedelta(hours=hours)
    with ledger.engine.begin() as conn:
        for m in ledger.messages(campaign_id, "zns"):
            conn.execute(sa.update(messages).where(messages.c.request_id == m.request_id).values(
                claimed_at=m.claimed_at - back, sent_at=m.sent_at - back if m.sent_at else None))


def _sent_request_ids(sim: SimulatorServer) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = {}
    for m in sim.state.messages.values():
        if m.channel == "zns":
            ids.setdefault(m.phone, set()).add(m.request_id)
    return ids


@pytest.mark.prefect
def test_zalo_night_refusals_wait_for_the_next_opening_then_go_again_under_new_request_ids(
    deployed: LocalPrefect, campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path,
) -> None:
    window = _open_window()
    flow_sim.state.configure(night=window)  # Zalo's night is not our window: it refuses with -133
    sh = sheet(tmp_path / "khach.xlsx", 12, invalid_every=0)
    summary = zns_campaign(CampaignSpec.model_validate(
        spec_for(sh.path, campaign_id="night-1", send_window=window, fallback_after=10)))
    assert "QUIET_HOURS" in summary["postponed"] and "12 tin -133" in summary["postponed"]
    assert summary["unknown"] == 12 and summary["failed"] == summary["sms_delivered"] == 0
    assert not any(c.get("sms") for c in received(flow_sim).values()), "a -133 went to the SMS fallback"
    ledger = Ledger.from_url(campaign_env["ZNS_LEDGER_URL"])
    assert {o.reason_code for o in ledger.outcomes("night-1", postponed=True)} == {"-133"}
    later = _continuation("night-1")
    assert later.state.name == "Postponed" and "-133" in later.state.message  # what the Prefect UI shows
    opening = later.expected_start_time.astimezone(VN)
    assert f"{opening:%H:%M}" == window["start"] and opening > datetime.now(VN) + timedelta(hours=20)
    _cancel(later)

    flow_sim.state.configure(night={})
    _time_passes(ledger, "night-1", 3)
    final = zns_campaign(CampaignSpec.model_validate(later.parameters["spec"]))
    assert "postponed" not in final and final["unknown"] == 0 and final["zns_delivered"] + final[
        "sms_delivered"] + final["failed"] == 12
    ids = _sent_request_ids(flow_sim)
    assert all(len(ids[p]) == 2 for p in sh.valid), "the resend reused the refused RequestId"
    assert {m.wait_rounds for m in ledger.messages("night-1", "zns")} == {1}


@pytest.mark.prefect
def test_a_quota_refusal_from_zalo_waits_for_the_next_day_and_only_those_rows_go_again(
    deployed: LocalPrefect, campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path,
) -> None:
    sh = sheet(tmp_path / "khach.xlsx", 6, invalid_every=0)
    over = sh.valid[:2]
    flow_sim.state.configure(overrides={**{p: "delivered" for p in sh.valid}, **{p: "quota" for p in over}})
    spec = CampaignSpec.model_validate(spec_for(sh.path, campaign_id="zquota-1", fallback_after=10,
                                                send_window=_open_window()))  # sending hours now, whatever the clock
    summary = zns_campaign(spec)
    assert "QUOTA_EXHAUSTED" in summary["postponed"] and "2 tin -144" in summary["postponed"]
    assert summary["zns_delivered"] == 4 and summary["unknown"] == 2
    later = _continuation("zquota-1")
    assert later.expected_start_time.astimezone(VN).date() == (datetime.now(VN) + timedelta(days=1)).date()
    _cancel(later)
    again = zns_campaign(spec)  # the same day: the refusals are not due yet, nothing is resent
    assert "QUOTA_EXHAUSTED" in again["postponed"] and send_requests(flow_sim) == 1

    flow_sim.state.configure(overrides={p: "delivered" for p in over})
    _time_passes(Ledger.from_url(campaign_env["ZNS_LEDGER_URL"]), "zquota-1", 24)
    final = zns_campaign(spec)
    assert "postponed" not in final and final["zns_delivered"] == 6
    got = received(flow_sim)
    assert [got[p]["zns"] for p in sh.valid] == [2, 2, 1, 1, 1, 1] and not any(c.get("sms") for c in got.values())
    rows = list(openpyxl.load_workbook(final["report"], read_only=True)["Tổng quan (Summary)"].iter_rows(
        values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == "Tiến độ theo ngày (per-day progress)")
    yesterday, today = (datetime.now(VN) - timedelta(days=1)), datetime.now(VN)
    assert [r[:3] for r in rows[at + 2: at + 4]] == [(f"{yesterday:%d/%m/%Y}", 4, 4), (f"{today:%d/%m/%Y}", 2, 2)]


@pytest.mark.prefect
def test_a_night_refusal_settled_by_reconcile_gets_the_continuation_the_run_would_have_scheduled(
    deployed: LocalPrefect, campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path,
) -> None:
    from flows.reconcile import zns_reconcile

    window = _open_window()
    flow_sim.state.configure(night=window, late_outcomes=["night"], late_delay=30.0)
    sh = sheet(tmp_path / "khach.xlsx", 4, invalid_every=0)
    summary = zns_campaign(CampaignSpec.model_validate(
        spec_for(sh.path, campaign_id="late-night-1", send_window=window, fallback_after=0)))
    assert "postponed" not in summary and summary["unknown"] == 4  # no final status by the deadline
    ledger = Ledger.from_url(campaign_env["ZNS_LEDGER_URL"])
    assert ledger.campaign("late-night-1").status == "completed"

    flow_sim.state.advance(60)  # Zalo's -133 arrives late
    zns_reconcile()
    record = ledger.campaign("late-night-1")
    assert record.status == "postponed" and "4 tin -133" in record.stats["postponed"]
    assert {o.reason_code for o in ledger.outcomes("late-night-1")} == {"-133"}
    later = _continuation("late-night-1")
    assert later.state.name == "Postponed" and f"{later.expected_start_time.astimezone(VN):%H:%M}" == window["start"]
    _cancel(later)
    assert not any(c.get("sms") for c in received(flow_sim).values())
