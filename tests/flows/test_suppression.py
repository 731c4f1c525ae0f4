"""Refusal suppression across an OA's campaigns: a phone whose ZNS failed with a refusal code
gets no ZNS from the OA's later campaigns, only their SMS fallback, until an operator clears it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from esms_sim.server import SimulatorServer
from flows.campaign import zns_campaign
from tests.flows.support import OA, received, run_cli, sheet, spec_for
from zns.ledger import Ledger
from zns.spec import CampaignSpec


@pytest.mark.prefect
def test_refusers_get_only_the_fallback_until_cleared(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                                      tmp_path: Path) -> None:
    sh = sheet(tmp_path / "khach.xlsx", 10, invalid_every=0)
    refusers = list(sh.valid[:2])
    flow_sim.state.configure(zns_rates={}, late_outcomes=[], final_delay=0.1, sms_rates={},
                             overrides=dict.fromkeys(refusers, "refused"))
    run = lambda cid: zns_campaign(CampaignSpec.model_validate(  # noqa: E731
        spec_for(sh.path, campaign_id=cid, fallback_after=15)))
    first = run("refusal-a")
    assert first["sms_delivered"] == 2  # they refused the ZNS (-139): the fallback SMS reached them

    second = run("refusal-b")
    got = received(flow_sim)
    assert all(got[p]["zns"] == 1 and got[p]["sms"] == 2 for p in refusers)  # no second ZNS, a second SMS
    assert all(got[p]["zns"] == 2 for p in sh.valid[2:])
    assert second["sms_delivered"] == 2 and second["zns_delivered"] == 8
    outcomes = {o.phone: o for o in Ledger.from_url(campaign_env["ZNS_LEDGER_URL"]).outcomes("refusal-b")}
    assert {outcomes[p].reason_code for p in refusers} == {"ZNS_SUPPRESSED"}

    listed = run_cli(["suppressed", "--oa", OA, "--json"], campaign_env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout.strip().splitlines()[-1])
    assert {r["phone"] for r in rows} == set(refusers) and {r["code"] for r in rows} == {"-139"}
    cleared = run_cli(["suppressed", "--oa", OA, "--clear", refusers[0], "--json"], campaign_env)
    assert cleared.returncode == 0 and "cleared 1 phone" in cleared.stdout
    assert [r["phone"] for r in json.loads(cleared.stdout.strip().splitlines()[-1])] == [refusers[1]]

    run("refusal-c")
    got = received(flow_sim)
    assert got[refusers[0]]["zns"] == 2 and got[refusers[1]]["zns"] == 1  # the cleared one is tried again


def test_the_page_lists_and_clears_an_oas_suppressed_phones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient

    from zns.ledger import DeliveryUpdate, MessageState, SendRecord
    from zns.outcomes import Channel
    from zns.runtime import _ledger
    from zns.web.app import create_app

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("ZNS_LEDGER_URL", url)
    _ledger.cache_clear()
    ledger = Ledger.from_url(url)
    ledger.upsert_campaign("old", name="old", oa_id=OA, template_id="t")
    phones = ["0912000001", "0912000002"]
    ledger.claim("old", phones, Channel.ZNS, claimed_by="t")
    ledger.record_send_results("old", Channel.ZNS, [SendRecord(p, "100", sms_id=p) for p in phones])
    ledger.record_delivery("old", Channel.ZNS, [DeliveryUpdate(p, MessageState.FAILED, error_info="-139", sms_id=p)
                                                for p in phones])
    with TestClient(create_app()) as client:
        page = client.get("/suppressed", params={"oa": OA}).text
        assert 'data-count="2"' in page and 'data-phone="0912000001"' in page and "-139" in page
        csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        forged = client.post("/suppressed/clear", data={"oa": OA, "phone": "0912000001", "csrf": "x"})
        assert forged.status_code == 403
        done = client.post("/suppressed/clear", data={"oa": OA, "phone": ["0912000001"], "csrf": csrf})
        assert done.status_code == 200 and 'data-cleared="1"' in done.text and 'data-count="1"' in done.text
    assert ledger.suppression_clears(OA)["0912000001"] <= datetime.now(UTC)
    _ledger.cache_clear()
