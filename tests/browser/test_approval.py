"""The approval gate (issue 12) approved by a person in a real headless chromium, both ways.

Two campaigns above `approval.above_recipients` go through the `zns-campaign` deployment on a
process worker and pause before any send. (1) The campaign page shows "Chờ duyệt" with the summary;
the operator types a note and clicks "Duyệt"; the run completes and the page shows the final counts.
(2) The Prefect UI's flow run page of the other paused run offers Resume; its form (the flow's
ApprovalInput) is filled with approve on and submitted; that run completes too.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from esms_sim.server import SimulatorServer
from tests.browser.conftest import browser_session
from tests.browser.test_run_form import WebServer
from tests.flows.support import make_sheet, send_requests, spec_for
from tests.flows.test_approval import artifact_text, flow_run, wait_final
from zns.orchestration.deployments import start_worker
from zns.orchestration.localprefect import LocalPrefect
from zns.orchestration.runs import submit
from zns.spec import CampaignSpec

ROWS = 8
PAUSE_TIMEOUT_S = 45


def _start(tmp_path: Path, campaign_id: str) -> str:
    """A campaign needing approval started now through the deployment, as the page's "Gửi" does
    (in a thread: Playwright's sync API keeps an event loop in this one); returns its flow run id."""
    source, _ = make_sheet(tmp_path / f"{campaign_id}.xlsx", ROWS, invalid_every=0)
    spec = CampaignSpec.model_validate(spec_for(source, campaign_id=campaign_id, fallback_after=5,
                                                approval={"above_recipients": 5}))
    with ThreadPoolExecutor(1) as pool:
        run_id, _ = pool.submit(submit, spec, datetime.now(UTC)).result(timeout=60)
    return run_id


def _wait_paused(run_id: str, log: Path) -> None:
    deadline = time.monotonic() + PAUSE_TIMEOUT_S
    while time.monotonic() < deadline:
        state = flow_run(run_id).state
        if state is not None and state.is_paused():
            return
        assert state is None or not state.is_final(), f"{state.name}: {state.message} (see {log})"
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not pause within {PAUSE_TIMEOUT_S} s (see {log})")


@pytest.mark.prefect
def test_approval_from_the_campaign_page_and_the_prefect_ui(
    deployed: LocalPrefect, campaign_env: dict[str, str], flow_sim: SimulatorServer, browser: Any,
    screenshots: Path, tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    web = WebServer().start()
    worker = start_worker(deployed.api_url, tmp_path / "worker.log", {
        **campaign_env, "ZNS_WEB_PORT": str(web.port), "ZNS_APPROVAL_POLL_SECONDS": "1"})
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    started = time.monotonic()
    with browser_session(context, screenshots, worker, web):
        on_page = _start(tmp_path, "approval-page")
        in_ui = _start(tmp_path, "approval-ui")

        # (1) the campaign page: "Chờ duyệt", the summary, then "Duyệt"
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{web.port}/campaigns/approval-page?run={on_page}")
        _wait_paused(on_page, worker.log_path)
        page.locator("#approval-form").wait_for(timeout=15_000)
        waiting = page.locator("#approval-waiting")
        expect(waiting).to_contain_text("Chờ duyệt")
        summary = page.locator("#approval-summary")
        expect(summary).to_contain_text("ABOVE_RECIPIENTS")
        expect(summary).to_contain_text("hợp lệ (valid): 8")
        expect(summary).to_contain_text("ZNS mẫu")
        expect(summary).to_contain_text("SMS mẫu")
        assert send_requests(flow_sim) == 0, "something was sent before the approval"
        page.screenshot(path=screenshots / "approval-01-page-waiting.png", full_page=True)
        page.locator("#approval-note").fill("Chị Lan (marketing) duyệt")
        page.locator("#approve").click()
        page.locator('#status-body[data-final="1"]').wait_for(timeout=60_000)
        assert page.locator("#status-body").get_attribute("data-run-state") == "COMPLETED", worker.log_path
        assert page.locator('#final-counts [data-key="rows"]').inner_text() == str(ROWS)
        assert page.locator('#final-counts [data-key="pending"]').inner_text() == "0"
        decision = page.locator("#approval-decision")
        expect(decision).to_contain_text("Đã duyệt (APPROVED)")
        expect(decision).to_contain_text("Chị Lan (marketing) duyệt")
        page.screenshot(path=screenshots / "approval-02-page-approved.png", full_page=True)

        # (2) the Prefect UI: the flow run page's Resume form
        _wait_paused(in_ui, worker.log_path)
        ui = context.new_page()
        ui.goto(f"{deployed.ui_url}/v2/runs/flow-run/{in_ui}")
        ui.get_by_text("Paused").first.wait_for(timeout=30_000)
        ui.screenshot(path=screenshots / "approval-03-ui-paused.png", full_page=True)
        _resume_in_ui(ui, screenshots)
        run = wait_final(in_ui, timeout=60)
        assert run.state.is_completed(), f"{run.state.name}: {run.state.message} (see {worker.log_path})"
        decided = artifact_text("approval-ui-approval", in_ui)
        assert "Đã duyệt (APPROVED)" in decided and "Anh Minh duyệt trong Prefect UI" in decided
        ui.reload()
        ui.get_by_text("Completed").first.wait_for(timeout=30_000)
        ui.screenshot(path=screenshots / "approval-05-ui-completed.png", full_page=True)
        print(f"approval browser test: {time.monotonic() - started:.1f} s")


def _resume_in_ui(page: Any, screenshots: Path) -> None:
    """The run's menu → Resume → Prefect's input form (ApprovalInput): the summary, approve on, a note."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("menuitem", name="Resume").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Provide input to resume").wait_for()
    expect(dialog).to_contain_text("Chờ duyệt (APPROVAL_REQUIRED)")  # the summary above the form
    expect(dialog).to_contain_text("ABOVE_RECIPIENTS")
    expect(dialog).to_contain_text("Duyệt gửi (approve)")
    approve = dialog.get_by_role("switch").or_(dialog.get_by_role("checkbox")).first
    approve.click()
    expect(approve).to_be_checked()
    dialog.locator("textarea, input[type='text']").first.fill("Anh Minh duyệt trong Prefect UI")
    page.screenshot(path=screenshots / "approval-04-ui-form.png", full_page=True)
    for _ in range(3):  # Prefect's SQLite answers a lock race with 503 and its UI does not retry: the operator does
        with page.expect_response(lambda r: "/resume" in r.url) as resumed:
            dialog.get_by_role("button", name="Resume", exact=True).click()
        if resumed.value.status != 503:
            break
        page.wait_for_timeout(1000)
    assert resumed.value.ok, f"{resumed.value.status} {resumed.value.text()}"
    assert resumed.value.json().get("status") == "ACCEPT", resumed.value.text()
