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
from zns.localprefect import LocalPrefect
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
    summary = zns_campaign(CampaignSpec.model_validate(
        spec_for(sh.path, campaign_id="quiet-1", send_window=window, fallback_after=10)))
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
