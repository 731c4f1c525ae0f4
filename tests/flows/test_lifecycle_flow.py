"""The campaign's status through real runs of the zns-campaign flow (issue 18): a re-run shows
`running` while it sends, then its own end; before, the first run's status stayed on the page."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from esms_sim.server import SimulatorServer
from flows.campaign import zns_campaign
from tests.flows.support import make_sheet, spec_for
from zns.ledger import Ledger
from zns.spec import CampaignSpec


def _watch(ledger: Ledger, campaign_id: str, seen: list[str], stop: threading.Event) -> None:
    while not stop.is_set():
        record = ledger.campaign(campaign_id)
        if record is not None and (not seen or seen[-1] != record.status):
            seen.append(record.status)
        time.sleep(0.02)


@pytest.mark.prefect
def test_a_rerun_is_running_while_it_sends_then_completed(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                                          tmp_path: Path) -> None:
    flow_sim.state.configure(zns_rates={}, sms_rates={}, final_delay=0.2)
    source, _ = make_sheet(tmp_path / "khach.xlsx", 12)
    first = CampaignSpec.model_validate(spec_for(source, campaign_id="lifecycle-rerun", fallback=None))
    zns_campaign(first)
    ledger = Ledger.from_url(campaign_env["ZNS_LEDGER_URL"])
    assert ledger.campaign("lifecycle-rerun").status == "completed"

    more, _ = make_sheet(tmp_path / "them.xlsx", 24)  # the re-run has 12 new rows to send, slowly
    flow_sim.state.configure(faults=[{"endpoint": "*", "kind": "slow", "rate": 1.0, "delay": 0.3}])
    seen: list[str] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(ledger, "lifecycle-rerun", seen, stop), daemon=True)
    watcher.start()
    try:
        summary = zns_campaign(first.model_copy(update={"source": str(more)}))
    finally:
        stop.set()
        watcher.join(5)
    assert seen[0] == "completed" and "running" in seen and seen[-1] == "completed", seen
    assert summary["rows"] == 24
