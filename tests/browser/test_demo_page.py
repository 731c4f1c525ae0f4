"""A newcomer's walk: the README's main command (`./scripts/demo`), then the campaign page it names
(`/campaigns/new`) in a real chromium, with no other setting, through one send.

Issue 22: the stack's web server used to start without the eSMS account and the Prefect API, so
this page showed ACCOUNT_ERROR and NO_PREFECT_API; the page tests start their own web server and
did not see it. Here the stack is started exactly as the README says, in a fresh home on free ports.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import browser_session, shot
from tests.browser.test_campaign_page import MAPPING, SAMPLE, SMS, _counts, _fill, _select, _settle
from tests.conftest import _free_port
from zns.timeutil import vn_now

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`./scripts/demo` in a fresh home; the stack it leaves up is stopped with `zns down` at the end."""
    home = tmp_path_factory.mktemp("demo-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESMS_", "ZNS_", "PREFECT_"))}
    env.update(ZNS_HOME=str(home), ZNS_PREFECT_PORT=str(_free_port()), ZNS_WEB_PORT=str(_free_port()),
               ZNS_SIMULATOR_PORT=str(_free_port()))
    try:
        result = subprocess.run([str(ROOT / "scripts" / "demo"), "--json"], cwd=home, env=env, capture_output=True,
                                text=True, timeout=900, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        page = re.search(r"campaign page: (http://\S+/campaigns/new)", result.stdout)
        assert page, result.stdout[-2000:]  # the demo names the page it leaves up
        yield {**env, "page": page.group(1), "web": page.group(1).removesuffix("/campaigns/new"),
               "demo_campaign": str(summary.get("campaign_id", ""))}
    finally:
        subprocess.run([sys.executable, "-m", "zns.cli", "down"], env=env, capture_output=True, timeout=180)


def _fill_campaign(page: Any, name: str) -> None:
    """The nine steps up to the choice of time: template, file, mapping, SMS fallback, short wait."""
    page.locator("#campaign_name").fill(name)
    _select(page, "template_id", "210001")
    page.locator("#file").set_input_files(str(SAMPLE))
    page.locator("#upload-name").wait_for()
    _settle(page)
    for field, column in MAPPING.items():
        _select(page, field, column)
    assert _counts(page) == ("30", "21", "9")
    page.locator("#fallback_on").check()
    _settle(page)
    _select(page, "brandname", "ZNSDEMO")
    _select(page, "sms_template_id", "91011")
    for field, variable in SMS.items():
        _select(page, field, variable)
    page.locator("#s-when summary").click()
    _fill(page, "fallback_after", "5")


def _send_now(page: Any, shots: Path) -> None:
    """"Gửi ngay" asks first, repeating the count and the cost; only "Xác nhận" sends."""
    from playwright.sync_api import expect

    page.locator("#send").click()
    confirm = page.locator("#confirm")
    expect(confirm).to_be_visible()
    expect(page.locator("#confirm-count")).to_have_attribute("data-valid", "21")
    cost = page.locator("#confirm-cost").inner_text()
    assert re.fullmatch(r"\d{1,3}(\.\d{3})* ₫", cost), cost  # Vietnamese thousands, the đồng sign
    assert cost == page.locator("#zns-cost").inner_text()
    shot(page, shots / "demo-page-03-confirm.png")
    page.locator("#confirm-back").click()
    expect(confirm).to_be_hidden()
    page.locator("#send").click()
    page.locator("#confirm-send").click()
    page.wait_for_url("**/campaigns/*?run=*", timeout=30_000)


@pytest.mark.timeout(1500)
def test_the_demo_leaves_a_campaign_page_that_sends(demo_stack: dict[str, str], browser: Any,
                                                     screenshots: Path) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    with browser_session(context, screenshots):
        page = context.new_page()
        page.goto(demo_stack["page"])
        page.locator("#balance").wait_for(timeout=30_000)
        assert page.locator("#send-blocked").count() == 0 and page.locator("#account-error").count() == 0
        assert page.locator("#blocks-problem").count() == 0  # the web server knows the Prefect API
        assert re.fullmatch(r"\d{1,3}(\.\d{3})* ₫", page.locator("#balance").inner_text())
        expect(page.locator("#message-type-note")).to_contain_text("Zalo ưu tiên")
        assert page.locator('link[rel="icon"]').count() == 1
        shot(page, screenshots / "demo-page-01-new.png")
        _fill_campaign(page, "Chiến dịch sau demo")
        assert page.locator("#header_row").input_value() == "1"  # counted like Excel
        shot(page, screenshots / "demo-page-02-checked.png")
        _send_now(page, screenshots)

        expect(page.locator("#campaign-name")).to_have_text("Chiến dịch sau demo")
        shot(page, screenshots / "demo-page-04-live.png")
        page.locator('#status-body[data-final="1"]').wait_for(timeout=RUN_TIMEOUT_MS)
        assert page.locator("#status-body").get_attribute("data-run-state") == "COMPLETED"
        expect(page.locator("#run-link")).to_have_text("Đã xong")
        assert page.locator("#cancel").count() == 0  # nothing left to cancel once finished
        expect(page.locator("#reimport-form")).to_be_visible()  # offered without a reload
        assert page.locator('#final-counts [data-key="rows"]').inner_text() == "30"
        shot(page, screenshots / "demo-page-05-final.png")

        later = context.new_page()  # a campaign for tomorrow: listed with its cancel button
        later.goto(demo_stack["page"])
        later.locator("#balance").wait_for(timeout=30_000)
        _fill_campaign(later, "Hẹn giờ ngày mai")
        later.locator('input[name="when"][value="at"]').check()
        _settle(later)
        _fill(later, "send_at", (vn_now() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S"))
        later.locator("#send").click()
        later.locator("#confirm-send").click()
        error = later.locator("#submit-error")
        expect(error).to_contain_text("PAST_SEND_AT")
        assert error.inner_text().startswith("Thời điểm ở ô «Gửi lúc»"), error.inner_text()
        shot(later, screenshots / "demo-page-06-past-send-at.png")
        tomorrow = vn_now() + timedelta(days=1)
        _fill(later, "send_at", tomorrow.strftime("%Y-%m-%dT%H:%M:%S"))
        later.locator("#send").click()
        later.locator("#confirm-send").click()
        later.wait_for_url("**/campaigns/*?run=*", timeout=30_000)
        expect(later.locator("#run-link")).to_have_text("Đã hẹn giờ")
        expect(later.locator("#run-at")).to_have_text(tomorrow.strftime("%d/%m/%Y %H:%M:%S"))

        listing = context.new_page()
        listing.goto(demo_stack["web"] + "/campaigns")
        row = listing.locator("#scheduled tbody tr", has_text="Hẹn giờ ngày mai")
        expect(row).to_have_count(1)
        assert listing.locator("#campaigns tbody tr", has_text="Chiến dịch sau demo").count() == 1
        shot(listing, screenshots / "demo-page-07-list.png")
        row.get_by_role("button", name="Huỷ lần gửi này").click()
        listing.wait_for_url("**/campaigns")
        expect(listing.locator("#scheduled tbody tr", has_text="Hẹn giờ ngày mai")).to_have_count(0)
