"""The operator's campaign page (zns.web) in a real headless chromium, end to end through Prefect.

Run 1: upload the sample workbook, the phone column pre-filled, the variables mapped (one changed
and changed back: the counts follow), error rows with reasons and their workbook downloaded, the
ZNS preview, the SMS fallback with its preview, "send at" a few seconds ahead; a process worker
runs it; the page shows the final counts and the report downloads. Run 2: two recipients typed
in the grid, "send now". Both runs go through the `zns-campaign` deployment.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from esms_sim.server import SimulatorServer
from tests.browser.conftest import browser_session, shot
from tests.browser.test_run_form import WebServer
from zns.orchestration.deployments import start_worker
from zns.orchestration.localprefect import LocalPrefect
from zns.timeutil import vn_now

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "samples" / "customers.xlsx"
MAPPING = {"map:customer_name": "Tên khách hàng", "map:order_code": "Mã đơn hàng", "map:order_date": "Ngày đặt",
           "map:amount": "Tổng tiền"}
SMS = {"sms:P1": "customer_name", "sms:P2": "order_code", "sms:P3": "amount"}
LEAD_SECONDS = 12
RUN_TIMEOUT_MS = 75_000


def _settle(page: Any) -> None:
    """Wait until no refresh is in flight (the page marks it on <body data-busy>)."""
    page.wait_for_function("document.body.dataset.busy === '0'", timeout=30_000)


def _select(page: Any, name: str, value: str) -> None:
    page.locator(f'select[name="{name}"]').select_option(value)
    _settle(page)


def _fill(page: Any, name: str, value: str) -> None:
    box = page.locator(f'[name="{name}"]')
    box.fill(value)
    box.dispatch_event("change")
    _settle(page)


def _counts(page: Any) -> tuple[str, str, str]:
    counts = page.locator("#counts")
    return counts.get_attribute("data-rows"), counts.get_attribute("data-valid"), counts.get_attribute("data-invalid")


def _start_page(context: Any, web: WebServer, name: str) -> Any:
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{web.port}/campaigns/new")
    page.locator("#balance").wait_for(timeout=30_000)
    page.locator("#campaign_name").fill(name)
    _select(page, "template_id", "210001")
    page.locator("#template-content").wait_for()
    return page


def _run_one(page: Any, web: WebServer, screenshots: Path, tmp_path: Path) -> None:
    """Run 1 up to its submission ("send at")."""
    from playwright.sync_api import expect

    shot(page, screenshots / "campaign-page-01-template.png")
    page.locator("#file").set_input_files(str(SAMPLE))
    page.locator("#upload-name").wait_for()
    _settle(page)
    assert page.locator('select[name="phone_column"]').input_value() == "Số điện thoại"  # pre-filled
    expect(page.locator("#source-error")).to_contain_text("MISSING_COLUMN")
    for name, column in MAPPING.items():
        _select(page, name, column)
    assert _counts(page) == ("30", "21", "9")
    shot(page, screenshots / "campaign-page-02-mapped.png")
    _select(page, "map:amount", "STT")  # one mapping changed: rows with "12k" or no amount become valid
    assert _counts(page) == ("30", "23", "7")
    _select(page, "map:amount", "Tổng tiền")
    assert _counts(page) == ("30", "21", "9")
    errors = page.locator("#errors")
    expect(errors).to_contain_text("MISSING_PHONE")
    expect(errors).to_contain_text("thiếu số điện thoại")
    expect(errors).to_contain_text("trùng với dòng 2")
    with page.expect_download() as download:
        page.locator("#download-errors").click()
    saved = tmp_path / "error-rows.xlsx"
    download.value.save_as(saved)
    rows = list(openpyxl.load_workbook(saved, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][-3:] == ("Dòng gốc", "Mã lỗi", "Lý do") and len(rows) == 10
    preview = page.locator("#preview li").first.inner_text()
    assert "Chao Nguyễn Văn An, don hang DH202600001 ngay 01/12/2026 tri gia 120000 VND" in preview
    page.locator("#fallback_on").check()
    _settle(page)
    _select(page, "brandname", "ZNSDEMO")
    _select(page, "sms_template_id", "91011")
    for name, variable in SMS.items():
        _select(page, name, variable)
    sms = page.locator("#sms-preview li").first.inner_text()
    assert sms.startswith("Chao Nguyen Van An, don hang DH202600001") and "(95 ký tự, 1 tin)" in sms
    expect(page.locator("#cost")).to_contain_text("Quota ZNS còn lại hôm nay")
    shot(page, screenshots / "campaign-page-03-checked.png")
    page.locator("#s-when summary").click()
    _fill(page, "fallback_after", "5")
    page.locator('input[name="when"][value="at"]').check()
    _settle(page)
    at = vn_now() + timedelta(seconds=LEAD_SECONDS)
    _fill(page, "send_at", at.strftime("%Y-%m-%dT%H:%M:%S"))
    shot(page, screenshots / "campaign-page-04-send-at.png")
    page.locator("#send").click()
    page.locator("#confirm-send").click()  # the confirmation step repeats count and cost
    page.wait_for_url("**/campaigns/*?run=*", timeout=30_000)


def _run_two(page: Any) -> None:
    """Run 2: two recipients typed in the grid, sent now."""
    page.locator('input[name="source_mode"][value="grid"]').check()
    _settle(page)
    rows = [("0912000001", "Nguyễn Thị Hoa", "DH900001", "05/12/2026", "99000"),
            ("0912000002", "Trần Văn Minh", "DH900002", "06/12/2026", "150000")]
    names = ["phone", "customer_name", "order_code", "order_date", "amount"]
    for i, row in enumerate(rows):
        for name, value in zip(names, row, strict=True):
            _fill(page, f"grid:{i}:{name}", value)
    assert _counts(page) == ("2", "2", "0")
    page.locator("#send").click()
    page.locator("#confirm-send").click()  # the confirmation step repeats count and cost
    page.wait_for_url("**/campaigns/*?run=*", timeout=30_000)


def _final(page: Any) -> None:
    page.locator('#status-body[data-final="1"]').wait_for(timeout=RUN_TIMEOUT_MS)


@pytest.mark.prefect
def test_operator_runs_campaigns_from_the_campaign_page(
    deployed: LocalPrefect, campaign_env: dict[str, str], flow_sim: SimulatorServer, browser: Any,
    screenshots: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZNS_UPLOADS_URL", str(tmp_path / "uploads"))
    web = WebServer().start()
    worker = start_worker(deployed.api_url, tmp_path / "worker.log", {
        **campaign_env, "ZNS_WEB_PORT": str(web.port), "ZNS_UPLOADS_URL": str(tmp_path / "uploads")})
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="vi-VN", accept_downloads=True,
                                  timezone_id="Asia/Ho_Chi_Minh")
    started = time.monotonic()
    with browser_session(context, screenshots, worker, web):
        first = _start_page(context, web, "Trang chiến dịch — hẹn giờ")
        _run_one(first, web, screenshots, tmp_path)
        assert first.locator("#run-link").get_attribute("href").startswith(f"{deployed.ui_url}/runs/flow-run/")
        shot(first, screenshots / "campaign-page-05-scheduled.png")

        second = _start_page(context, web, "Trang chiến dịch — nhập tay")
        _run_two(second)

        _final(first)
        shot(first, screenshots / "campaign-page-06-final.png")
        assert first.locator("#status-body").get_attribute("data-run-state") == "COMPLETED", worker.log_path
        counts = first.locator("#final-counts")
        assert counts.locator('[data-key="rows"]').inner_text() == "30"
        assert counts.locator('[data-key="invalid"]').inner_text() == "9"
        assert counts.locator('[data-key="pending"]').inner_text() == "0"
        report = first.locator('#downloads a[data-file^="report-"]')
        with first.expect_download() as download:
            report.click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert len(openpyxl.load_workbook(saved, read_only=True).sheetnames) == 3
        assert first.locator('#downloads a[data-file="error-rows.xlsx"]').count() == 1

        _final(second)
        shot(second, screenshots / "campaign-page-07-grid-final.png")
        assert second.locator("#status-body").get_attribute("data-run-state") == "COMPLETED", worker.log_path
        assert second.locator('#final-counts [data-key="rows"]').inner_text() == "2"
        assert second.locator('#final-counts [data-key="invalid"]').inner_text() == "0"

        listing = context.new_page()
        listing.goto(f"http://127.0.0.1:{web.port}/campaigns")
        assert listing.locator("#campaigns tbody tr").count() >= 2
        shot(listing, screenshots / "campaign-page-08-list.png")
        print(f"campaign page browser test: {time.monotonic() - started:.1f} s at {datetime.now():%H:%M:%S}")
