"""The frequency cap across campaigns of an OA: a phone that already got its ZNS quota from the
OA in the period is refused under FREQUENCY_CAP (nothing sent to it), the rest goes out; the
campaign's own deliveries never count against itself (a re-run changes nothing)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from esms_sim.server import SimulatorServer
from flows.campaign import zns_campaign
from tests.flows.support import received, sheet, spec_for
from zns.campaign.frequency import capped_phones, is_promotional
from zns.ledger import DeliveryUpdate, Ledger, MessageState, SendRecord
from zns.outcomes import Channel
from zns.spec import CampaignSpec

CAP = {"max_messages": 1, "days": 30, "promotional_only": False}


@pytest.mark.prefect
def test_phones_at_their_cap_are_refused_and_the_rest_is_sent(campaign_env: dict[str, str],
                                                               flow_sim: SimulatorServer, tmp_path: Path) -> None:
    flow_sim.state.configure(zns_rates={}, late_outcomes=[], final_delay=0.1)  # every ZNS reaches its phone
    first = sheet(tmp_path / "thang-11.xlsx", 10, invalid_every=0)
    zns_campaign(CampaignSpec.model_validate(spec_for(first.path, campaign_id="cap-a", fallback_after=15)))
    second = sheet(tmp_path / "thang-12.xlsx", 15, invalid_every=0)
    spec = CampaignSpec.model_validate(spec_for(second.path, campaign_id="cap-b", fallback_after=15,
                                                frequency_cap=CAP))
    summary = zns_campaign(spec)
    assert summary["invalid"] == 10 and summary["zns_delivered"] == 5
    got = received(flow_sim)
    assert all(got[p]["zns"] == 1 for p in second.valid)  # the capped ten got only campaign A's ZNS
    ledger = Ledger.from_url(campaign_env["ZNS_LEDGER_URL"])
    capped = [o for o in ledger.outcomes("cap-b") if o.reason_code == "FREQUENCY_CAP"]
    assert {o.phone for o in capped} == set(first.valid)
    assert "đã nhận đủ số tin ZNS" in (capped[0].reason_vi or "")
    again = zns_campaign(spec)  # its own five deliveries do not cap it
    assert again["invalid"] == 10 and again["zns_delivered"] == 5


def _delivered(ledger: Ledger, campaign_id: str, phones: list[str], tag: str) -> None:
    ledger.upsert_campaign(campaign_id, name=campaign_id, oa_id="oa", template_id="t", params={"template_tag": tag})
    ledger.claim(campaign_id, phones, Channel.ZNS, claimed_by="test")
    ledger.record_send_results(campaign_id, Channel.ZNS, [SendRecord(p, "100", sms_id=f"{campaign_id}-{p}")
                                                          for p in phones])
    updates = [DeliveryUpdate(p, MessageState.DELIVERED, sms_id=f"{campaign_id}-{p}") for p in phones]
    ledger.record_delivery(campaign_id, Channel.ZNS, updates)


def test_only_promotional_campaigns_count_and_only_promotional_templates_are_capped() -> None:
    ledger = Ledger.from_url("sqlite://")
    _delivered(ledger, "promo-1", ["0912000001", "0912000002"], "PROMOTION")
    _delivered(ledger, "promo-2", ["0912000001"], "3")
    _delivered(ledger, "otp-1", ["0912000002", "0912000003"], "OTP")
    spec = CampaignSpec.model_validate({"campaign_name": "x", "oa_id": "oa", "template_id": "t", "source": "a.xlsx",
                                        "frequency_cap": {"max_messages": 2, "days": 30}})
    now = datetime.now(UTC)
    assert capped_phones(ledger, spec, "new", "PROMOTION", now) == {"0912000001": "FREQUENCY_CAP"}
    assert capped_phones(ledger, spec, "new", "TRANSACTION", now) == {}  # not a promotional template
    assert capped_phones(ledger, spec, "promo-2", "PROMOTION", now) == {}  # its own messages do not count
    assert is_promotional("promotion") and is_promotional(3) and not is_promotional(None)
