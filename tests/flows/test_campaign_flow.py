"""The zns-campaign flow against the simulator over HTTP with a real Prefect server.

Issue 4's acceptance: 1,000 rows with 5 % invalid, 10 % without Zalo, 3 % late failures and
2 % transient 503s; re-runs send nothing; SIGKILL mid-campaign then a re-run sends nothing twice;
dry runs send nothing; bad keys / template / brandname stop before any send.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from esms.sms_templates import is_ascii_text
from esms_sim.server import SimulatorServer
from flows.campaign import zns_campaign
from tests.flows.support import make_sheet, received, run_cli, send_requests, spec_for, write_spec
from zns.spec import CampaignSpec

SMS_TEMPLATE = "Chao {P1,30}, don hang {P2,20} tri gia {P3,12} VND da duoc xac nhan. Cam on quy khach."
FALLBACK_OUTCOMES = {"no_zalo", "inactive", "refused", "not_online"}


def configure_acceptance(sim: SimulatorServer) -> None:
    sim.state.configure(
        zns_rates={"no_zalo": 0.10, "inactive": 0.015, "not_online": 0.015},
        late_outcomes=["inactive", "not_online"],
        final_delay=0.2,
        late_delay=2.0,
        sms_rates={},
        faults=[{"endpoint": "*", "kind": "http503", "rate": 0.02}],
    )


@pytest.mark.prefect
def test_thousand_rows_every_row_one_final_state(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                                 tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    configure_acceptance(flow_sim)
    source, invalid = make_sheet(tmp_path / "khach.xlsx", 1000)
    spec = CampaignSpec.model_validate(spec_for(source))

    caplog.set_level(logging.DEBUG, logger="zns.progress")
    summary = zns_campaign(spec)

    assert summary["rows"] == 1000
    assert summary["invalid"] == invalid == 50
    assert summary["rows"] == (summary["invalid"] + summary["zns_delivered"] + summary["sms_delivered"]
                               + summary["failed"] + summary["unknown"])
    cfg = flow_sim.state.config
    valid_phones = [f"0{912000000 + i}" for i in range(1000) if i % 20 != 19]
    outcome = {p: cfg.zns_outcome(p) for p in valid_phones}
    fallback = {p for p, o in outcome.items() if o in FALLBACK_OUTCOMES}
    delivered = {p for p, o in outcome.items() if o == "delivered"}
    assert 70 < len(fallback) < 180  # ~13 % of 950 by the seeded rates
    got = received(flow_sim)
    assert all(got[p]["zns"] == 1 for p in valid_phones)
    assert all("sms" not in got[p] for p in delivered), "a ZNS-delivered recipient got an SMS"
    assert all(got[p].get("sms") == 1 for p in fallback), "a fallback recipient did not get exactly one SMS"
    assert summary["zns_delivered"] == len(delivered)
    assert summary["sms_delivered"] == len(fallback)
    assert summary["unknown"] == 0 and summary["failed"] == 0
    last = {r.zns_progress[0]: r.zns_progress[1:] for r in caplog.records if hasattr(r, "zns_progress")}
    assert last["ingest"] == (1000, None)  # what the terminal's bars end on (zns/console.py)
    assert last["zns"] == (950, 950) and last["zns-delivery"] == (950, 950)
    assert last["sms"] == (len(fallback), len(fallback))
    sms = [m for m in flow_sim.state.messages.values() if m.channel == "sms"]
    from esms.sms_templates import SmsTemplate

    template = SmsTemplate("91011", "ZNSDEMO", SMS_TEMPLATE)
    assert sms and all(is_ascii_text(m.content) and template.matches(m.content) for m in sms)
    assert any("Nguyen Van Khach" in m.content for m in sms)  # diacritics stripped, not dropped
    workbook = openpyxl.load_workbook(summary["report"], read_only=True)
    assert len(workbook.sheetnames) == 3
    recipients_sheet = workbook[workbook.sheetnames[1]]
    assert sum(1 for _ in recipients_sheet.iter_rows(values_only=True)) == 1001

    # Running the same campaign again sends nothing.
    before_counts, before_requests = received(flow_sim), send_requests(flow_sim)
    again = zns_campaign(spec)
    assert received(flow_sim) == before_counts
    assert send_requests(flow_sim) == before_requests
    assert again["rows"] == 1000 and again["zns_delivered"] == summary["zns_delivered"]


@pytest.mark.prefect
def test_dry_run_sends_nothing(campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path) -> None:
    source, invalid = make_sheet(tmp_path / "khach.xlsx", 40)
    summary = zns_campaign(CampaignSpec.model_validate(spec_for(source, dry_run=True)))
    assert send_requests(flow_sim) == 0
    assert summary["invalid"] == invalid and summary["zns_accepted"] == 0
    assert summary["campaign_id"] == "test-campaign-dry-run"  # never mixed with the real campaign
    assert summary["unknown"] == 40 - invalid and summary["failed"] == 0  # valid rows: "DRY_RUN", not failed
    error_rows = Path(campaign_env["ZNS_REPORT_DIR"]) / "test-campaign-dry-run" / "error-rows.xlsx"
    assert error_rows.exists()
    # the workbook answers what a dry run asks: will it go, and what will it cost
    sheet = openpyxl.load_workbook(summary["report"], read_only=True)["Tổng quan (Summary)"]
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if len(row) > 1 and row[0]}
    assert cells["Người nhận hợp lệ sẽ gửi (recipients)"] == 40 - invalid
    assert cells["Quota ZNS còn lại hôm nay (quota_remaining)"] > 0
    assert cells["Chi phí ZNS ước tính VND (estimated_zns_cost)"] > 0
    assert cells["Kết luận (verdict)"] == "Đủ điều kiện gửi (ok)"


@pytest.mark.prefect
@pytest.mark.parametrize(
    ("change", "env_change", "needle"),
    [
        ({}, {"ESMS_SECRET_KEY": "WRONG"}, "101"),
        ({"template_id": "299999"}, {}, "789"),
        ({"fallback": {"brandname": "KHONGCO", "columns": {}}}, {}, "104"),
    ],
    ids=["bad-keys", "unknown-template", "unknown-brandname"],
)
def test_config_errors_stop_before_any_send(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                            tmp_path: Path, change: dict[str, Any], env_change: dict[str, str],
                                            needle: str) -> None:
    source, _ = make_sheet(tmp_path / "khach.xlsx", 20, invalid_every=0)
    spec = write_spec(tmp_path / "spec.yaml", spec_for(source, **change))
    result = run_cli(["run", str(spec)], {**campaign_env, **env_change})
    assert result.returncode == 3, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and needle in last
    assert "WRONG" not in result.stderr + result.stdout
    assert send_requests(flow_sim) == 0


@pytest.mark.prefect
def test_cli_validate_and_json_line(campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path) -> None:
    source, invalid = make_sheet(tmp_path / "khach.xlsx", 30, invalid_every=10)
    spec = write_spec(tmp_path / "spec.yaml", spec_for(source))
    result = run_cli(["validate", str(spec), "--json"], campaign_env)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(line) == {"campaign_id", "rows", "invalid", "zns_accepted", "zns_delivered", "sms_sent",
                         "sms_delivered", "failed", "unknown", "report"}
    assert line["rows"] == 30 and line["invalid"] == invalid == 3
    assert send_requests(flow_sim) == 0
    report = run_cli(["report", line["campaign_id"], "--json"], campaign_env)
    assert report.returncode == 0, report.stderr
    assert "Báo cáo chiến dịch" in run_cli(["report", line["campaign_id"]], campaign_env).stdout
    rebuilt = json.loads(report.stdout.strip().splitlines()[-1])
    assert {k: v for k, v in rebuilt.items() if k != "report"} == {k: v for k, v in line.items() if k != "report"}
    missing = run_cli(["report", "khong-co-chien-dich"], campaign_env)
    assert missing.returncode == 2 and missing.stderr.strip().startswith("error: ")


@pytest.mark.prefect
def test_bad_file_is_one_line_and_exit_2(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                         tmp_path: Path) -> None:
    bogus = tmp_path / "khach.xlsx"
    bogus.write_text("this is not a spreadsheet")
    spec = write_spec(tmp_path / "spec.yaml", spec_for(bogus))
    result = run_cli(["run", str(spec)], campaign_env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert send_requests(flow_sim) == 0


@pytest.mark.prefect
def test_sigkill_mid_campaign_then_rerun_sends_nothing_twice(campaign_env: dict[str, str],
                                                             flow_sim: SimulatorServer, tmp_path: Path) -> None:
    flow_sim.state.configure(
        zns_rates={"no_zalo": 0.10}, sms_rates={}, final_delay=0.2,
        faults=[{"endpoint": "send_zns_bulk_v4_post_json", "kind": "slow", "rate": 1.0, "delay": 0.4,
                 "after_processing": True}],
    )
    source, _ = make_sheet(tmp_path / "khach.xlsx", 600, invalid_every=0)
    spec = write_spec(tmp_path / "spec.yaml", spec_for(source, batch_size=25, concurrency=1))
    proc = subprocess.Popen([sys.executable, "-m", "zns.cli", "run", str(spec)],
                            env={**os.environ, **campaign_env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            total = flow_sim.state.counts()["totals"]["zns"]["received"]
            if total >= 150:
                break
            assert proc.poll() is None, "the campaign finished before it could be killed"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    killed_at = flow_sim.state.counts()["totals"]["zns"]["received"]
    assert 150 <= killed_at < 600

    flow_sim.state.configure(faults=[])
    result = run_cli(["run", str(spec), "--json"], campaign_env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    got = received(flow_sim)
    assert len(got) == 600
    assert all(v["zns"] == 1 for v in got.values()), "a phone received the ZNS twice"
    assert all(v.get("sms", 0) <= 1 for v in got.values())
    assert summary["rows"] == 600 and summary["unknown"] == 0
    assert summary["zns_delivered"] + summary["sms_delivered"] == 600


@pytest.mark.prefect
def test_quota_below_recipients_stops_before_sending(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                                     tmp_path: Path) -> None:
    flow_sim.state.configure(quota=10)
    source, _ = make_sheet(tmp_path / "khach.xlsx", 20, invalid_every=0)
    spec = write_spec(tmp_path / "spec.yaml", spec_for(source))
    result = run_cli(["run", str(spec)], campaign_env)
    assert result.returncode == 3, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "10 ZNS left" in last and "20 valid recipients" in last
    assert send_requests(flow_sim) == 0


@pytest.mark.prefect
def test_run_form_send_at_in_the_past_sends_nothing(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                                   tmp_path: Path) -> None:
    """The Prefect form's `send_at` follows the CLI's rule: a time already past is refused."""
    from datetime import datetime, timedelta

    from zns.timeutil import PastTimeError

    source, _ = make_sheet(tmp_path / "khach.xlsx", 10, invalid_every=0)
    yesterday = datetime.now() - timedelta(days=1)
    spec = CampaignSpec.model_validate(spec_for(source, send_at=yesterday.isoformat()))
    state = zns_campaign(spec, return_state=True)
    assert state.is_failed()
    with pytest.raises(PastTimeError, match="PAST_SEND_AT"):
        state.result()
    assert send_requests(flow_sim) == 0


@pytest.mark.prefect
def test_sandbox_account_campaign_sends_only_sandbox(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ESMS_SANDBOX=1 with the SPEC's default `sandbox: false`: nothing goes out live."""
    monkeypatch.setenv("ESMS_SANDBOX", "1")
    source, _ = make_sheet(tmp_path / "khach.xlsx", 20, invalid_every=0)
    summary = zns_campaign(CampaignSpec.model_validate(spec_for(source)))
    assert summary["zns_accepted"] == 20
    assert flow_sim.state.counts()["totals"]["zns"]["received"] == 0  # sandbox: validated, never delivered
    assert send_requests(flow_sim) >= 1
