"""The zns-reconcile flow against the simulator over HTTP with a real Prefect server.

Campaigns run with `fallback_after=0`, so they end with ZNS still waiting for their Zalo outcome;
the simulator's late failures become final only after its clock is advanced. Reconcile must then
settle every message, send exactly one fallback SMS per late failure (none to delivered ZNS,
none without a fallback configured), republish the report, and send nothing on a second pass.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from esms_sim.server import SimulatorServer
from flows.campaign import zns_campaign
from flows.reconcile import zns_reconcile
from tests.flows.support import make_sheet, received, reconcile, run_cli, send_requests, spec_for
from tests.flows.test_campaign_flow import FALLBACK_OUTCOMES
from zns.accounts import account_from_env
from zns.ledger import MessageState
from zns.ledger.schema import messages
from zns.outcomes import Channel
from zns.policy import NON_FINAL_STATES as NON_FINAL_MESSAGE_STATES
from zns.runtime import get_ledger
from zns.spec import CampaignSpec

ROWS = 60
LATE = {"not_online", "inactive"}
SMS_SEND = "sendmultiplemessage_v4_post_json"


def configure_late(sim: SimulatorServer) -> None:
    """Early no-Zalo failures, late (30 s) not-online/inactive failures, every SMS delivered."""
    sim.state.configure(
        zns_rates={"no_zalo": 0.15, "not_online": 0.15, "inactive": 0.05},
        late_outcomes=sorted(LATE),
        final_delay=0.2,
        late_delay=30.0,
        sms_rates={},
        faults=[],
    )


def phones_of(rows: int) -> list[str]:
    return [f"0{912000000 + i}" for i in range(rows)]


def by_outcome(sim: SimulatorServer, phones: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in phones:
        out.setdefault(sim.state.config.zns_outcome(p), set()).add(p)
    return out


def only(summaries: list[dict[str, object]], campaign_id: str) -> dict[str, object]:
    (found,) = [s for s in summaries if s["campaign_id"] == campaign_id]
    return found


def adds_up(report: dict[str, int]) -> bool:
    return report["rows"] == (report["invalid"] + report["zns_delivered"] + report["sms_delivered"]
                              + report["failed"] + report["unknown"])


@pytest.mark.prefect
def test_reconcile_settles_late_outcomes_and_sends_fallback_once(
    campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path
) -> None:
    configure_late(flow_sim)
    source, _ = make_sheet(tmp_path / "khach.xlsx", ROWS, invalid_every=0)
    spec = CampaignSpec.model_validate(spec_for(source, fallback_after=0))
    phones = phones_of(ROWS)
    groups = by_outcome(flow_sim, phones)
    late = set().union(*(groups.get(o, set()) for o in LATE))
    fallback = set().union(*(groups.get(o, set()) for o in FALLBACK_OUTCOMES))
    delivered = groups["delivered"]
    assert len(late) >= 5 and len(delivered) >= 20

    first = zns_campaign(spec)
    assert first["unknown"] >= len(late)  # the campaign stopped waiting before the late outcomes
    assert all("sms" not in received(flow_sim)[p] for p in late)

    # A pass before the late outcomes exist settles what it can and leaves the rest pending.
    early = only(zns_reconcile(), "test-campaign")
    assert early["error"] is None and early["pending"] == len(late)
    assert all("sms" not in received(flow_sim)[p] for p in late)

    flow_sim.state.advance(60)
    sms_before = flow_sim.state.counts()["endpoints"].get(SMS_SEND, 0)
    result = only(zns_reconcile(), "test-campaign")

    got = received(flow_sim)
    assert all(got[p]["zns"] == 1 for p in phones)
    assert all(got[p].get("sms") == 1 for p in fallback), "a late failure did not get exactly one SMS"
    assert all("sms" not in got[p] for p in delivered), "a delivered ZNS got an SMS"
    assert result["fallback_sent"] == len(late) == flow_sim.state.counts()["endpoints"][SMS_SEND] - sms_before
    assert result["pending"] == 0 and result["error"] is None and result["settled"] >= len(late)
    report = result["report"]
    assert isinstance(report, dict) and adds_up(report)
    assert report["unknown"] == 0 and report["failed"] == 0
    assert report["zns_delivered"] == len(delivered) and report["sms_delivered"] == len(fallback)
    ledger = get_ledger()
    assert not [m for m in ledger.messages("test-campaign") if m.state in NON_FINAL_MESSAGE_STATES]
    record = ledger.campaign("test-campaign")
    assert record is not None and (record.stats or {})["unknown"] == 0

    # A second pass has nothing to do and sends nothing.
    before, requests = received(flow_sim), send_requests(flow_sim)
    assert zns_reconcile() == []
    cli = run_cli(["reconcile", "--json"], campaign_env)  # the same pass from the command line
    assert cli.returncode == 0 and cli.stdout.strip() == "", cli.stderr
    assert received(flow_sim) == before and send_requests(flow_sim) == requests


@pytest.mark.prefect
def test_reconcile_without_fallback_sends_no_sms(
    campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path
) -> None:
    configure_late(flow_sim)
    source, _ = make_sheet(tmp_path / "khach.xlsx", 30, invalid_every=0)
    spec = CampaignSpec.model_validate(spec_for(source, fallback=None, fallback_after=0, campaign_id="no-fallback"))
    groups = by_outcome(flow_sim, phones_of(30))
    failures = set().union(*(groups.get(o, set()) for o in FALLBACK_OUTCOMES))
    assert groups.get("not_online") or groups.get("inactive")

    assert zns_campaign(spec)["unknown"] > 0
    # The plain-Python entry point (no Prefect) before the late outcomes: settles nothing late.
    early = asyncio.run(reconcile(get_ledger(), lambda _name: account_from_env().client(), claimed_by="test"))
    assert [(s.campaign_id, s.error, s.fallback_sent) for s in early] == [("no-fallback", None, 0)]
    assert early[0].pending == len(groups.get("not_online", set()) | groups.get("inactive", set()))
    flow_sim.state.advance(60)
    result = only(zns_reconcile(), "no-fallback")

    assert flow_sim.state.counts()["endpoints"].get(SMS_SEND, 0) == 0
    assert result["fallback_sent"] == 0 and result["pending"] == 0
    report = result["report"]
    assert isinstance(report, dict) and adds_up(report)
    assert report["unknown"] == 0 and report["failed"] == len(failures) and report["sms_delivered"] == 0
    outcomes = {o.phone: o for o in get_ledger().outcomes("no-fallback")}
    assert all("không gửi SMS dự phòng" in (outcomes[p].reason_vi or "") for p in failures)


@pytest.mark.prefect
def test_reconcile_recovers_interrupted_sends_found_at_esms(
    campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path
) -> None:
    """A crash between the send and its record leaves 'claimed'; eSMS lists it, so it is settled.
    A claim eSMS never received stays claimed for a campaign re-run; reconcile sends no ZNS."""
    flow_sim.state.configure(zns_rates={}, final_delay=0.2, sms_rates={}, faults=[])
    source, _ = make_sheet(tmp_path / "khach.xlsx", 10, invalid_every=0)
    spec = CampaignSpec.model_validate(spec_for(source, fallback=None, campaign_id="crashed", fallback_after=5))
    assert zns_campaign(spec)["zns_delivered"] == 10
    ledger = get_ledger()
    lost, never_sent = "0912000003", "0912999999"
    sms_id = next(m.sms_id for m in ledger.messages("crashed", Channel.ZNS) if m.phone == lost)
    ledger.claim("crashed", [never_sent], Channel.ZNS, "crashed-run")
    old = datetime.now(UTC) - timedelta(minutes=11)  # older than STALE_AFTER, before the send
    with ledger.engine.begin() as conn:  # what a SIGKILL right after the HTTP call leaves behind
        conn.execute(
            sa.update(messages)
            .where(messages.c.campaign_id == "crashed", messages.c.phone == lost)
            .values(state=MessageState.CLAIMED.value, sms_id=None, code=None, final_at=None, claimed_at=old)
        )
        conn.execute(sa.update(messages).where(messages.c.phone == never_sent).values(claimed_at=old))
    requests = send_requests(flow_sim)

    result = only(zns_reconcile(), "crashed")

    assert result["recovered"] == 1 and result["pending"] == 1
    rows = {m.phone: m for m in ledger.messages("crashed", Channel.ZNS)}
    assert rows[lost].state is MessageState.DELIVERED and rows[lost].sms_id == sms_id
    assert rows[never_sent].state is MessageState.CLAIMED
    assert send_requests(flow_sim) == requests
    assert result["report"]["zns_delivered"] == 10 and result["report"]["unknown"] == 0
