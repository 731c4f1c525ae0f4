"""Ratings recipients give a campaign's ZNS (ZNS/GetRating): the reconcile flow pulls them into the
ledger, matched by RequestId; the report and the campaign page show their count and average."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from esms_sim.server import SimulatorServer
from flows.campaign import zns_campaign
from flows.reconcile import zns_reconcile
from tests.flows.support import sheet, spec_for
from zns.campaign.reporting import read_report, stored_meta
from zns.ledger import Ledger
from zns.runtime import report_dir
from zns.spec import CampaignSpec


@pytest.mark.prefect
def test_reconcile_pulls_the_ratings_and_the_report_and_page_show_them(
    campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path,
) -> None:
    flow_sim.state.configure(zns_rates={}, late_outcomes=[], final_delay=0.1, rating_rate=0.3, rating_delay=0.0)
    sh = sheet(tmp_path / "khach.xlsx", 60, invalid_every=0)
    zns_campaign(CampaignSpec.model_validate(spec_for(sh.path, campaign_id="rated-1", fallback_after=15)))
    expected = {p: s for p in sh.valid
                if (s := flow_sim.state.config.rating(p, _request_id(campaign_env, p))) is not None}
    assert len(expected) > 5  # 30 % of 60, seeded

    zns_reconcile(days=7)
    ledger = Ledger.from_url(campaign_env["ZNS_LEDGER_URL"])
    count, average = ledger.rating_summary("rated-1")
    assert count == len(expected) and average == pytest.approx(sum(expected.values()) / len(expected))
    zns_reconcile(days=7)  # pulled again: still one rating per recipient
    assert ledger.rating_summary("rated-1")[0] == count

    record = ledger.campaign("rated-1")
    files = read_report(ledger, stored_meta(record), report_dir("rated-1"))
    assert f"{count} lượt đánh giá, trung bình {average:.1f} / 5 sao" in files.markdown
    from zns.web.app import create_app

    with TestClient(create_app()) as client:
        html = client.get("/api/campaigns/rated-1").text
    assert f'id="ratings" data-count="{count}"' in html


def _request_id(env: dict[str, str], phone: str) -> str:
    ledger = Ledger.from_url(env["ZNS_LEDGER_URL"])
    return next(m.request_id for m in ledger.messages("rated-1") if m.phone == phone and m.channel.value == "zns")
