"""The `zns-campaign` run form in the Prefect UI (V2), driven by a real headless chromium.

An operator fills the form (Vietnamese titles), picks "Start: Later" a few seconds ahead (the "send
at"), submits; a process worker runs the flow at that time; the flow run page shows the report.

The V2 "Start date" picker offers 5-minute slots only (day, hour, minute 0/5/.../55, AM/PM). To
schedule about 10 s ahead without waiting up to 5 minutes, the test waits until the next whole minute
is ~10 s away and switches the page's time zone, just for the picker, to Vietnam time shifted by less
than 5 minutes ("GMT+07:MM") so that this minute is a slot; everything else is seen in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import openpyxl
import pytest

from esms_sim.server import SimulatorServer
from tests.browser.conftest import browser_session
from tests.conftest import _free_port
from tests.flows.support import make_sheet
from zns.ledger import Ledger
from zns.orchestration.deployments import refresh_form, start_worker
from zns.orchestration.localprefect import LocalPrefect
from zns.spec import slugify

VN_TZ = "Asia/Ho_Chi_Minh"
VN_OFFSET = 7 * 3600
LEAD_SECONDS = 10  # from opening the picker to the scheduled time: picker clicks + submit + margin
CAMPAIGN_NAME = "Kiểm thử giao diện"
TITLES = [  # Field(title=...) of zns/spec.py an operator must see on the form
    "Tên chiến dịch", "Zalo OA ID", "Mã template ZNS", "Loại tin", "File người nhận", "Cột số điện thoại",
    "Ghép biến ZNS với cột", "SMS dự phòng (chuyển hướng)", "Chạy thử (sandbox)", "Chỉ kiểm tra",
    "Chờ ZNS tối đa (giây)", "Mã chiến dịch",
]
ZNS_COLUMNS = {"customer_name": "Tên khách hàng", "order_code": "Mã đơn hàng", "order_date": "Ngày đặt",
               "amount": "Tổng tiền"}
SMS_COLUMNS = {"P1": "customer_name", "P2": "order_code", "P3": "amount"}


def _flow_run(run_id: str) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(run_id))


def _deployment_id(name: str) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return str(client.read_deployment_by_name(name).id)


def _flow_runs_named(name: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])))


class WebServer:
    """The product's web server (zns.web) in a thread on a free loopback port."""

    def __init__(self) -> None:
        import uvicorn

        from zns.web.app import create_app

        self.port = _free_port()
        self._server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=self.port,
                                                     log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> WebServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)


def _field(page: Any, title: str) -> Any:
    """The block of one form field: the nearest element holding both its label and its input."""
    return page.locator(
        f"xpath=//label[starts-with(normalize-space(), '{title}')]/ancestor::div[.//fieldset][1]"
    ).first


def _fill_text(page: Any, title: str, value: str, *, optional: bool = False) -> None:
    """A `str` field; an optional one (`str | None`) first switches its str/None toggle to str."""
    field = _field(page, title)
    if optional:
        field.get_by_role("tab", name="str", exact=True).click()
        box = field.get_by_role("tabpanel").locator("textarea").first
    else:
        box = field.locator("textarea").first
    box.fill(value)


def _choose(page: Any, scope: Any, title: str, starts: str | None = None, ends: str | None = None,
            nth: int = 0) -> list[str]:
    """Open the dropdown of the field titled `title` and pick the choice that starts/ends so; returns
    every choice offered (what an operator reads in it)."""
    scope.get_by_label(f"Select {title}", exact=True).nth(nth).click()
    options = page.get_by_role("option")
    options.first.wait_for()
    offered = [text.strip() for text in options.all_inner_texts()]
    wanted = next(o for o in offered if o.startswith(starts or "") and o.endswith(ends or ""))
    options.filter(has_text=wanted).first.click()
    return offered


def _fill_rows(page: Any, title: str, rows: dict[str, str], key_title: str, value_title: str) -> None:
    """A mapping field: one row per variable, the variable picked from the dropdown, the column typed."""
    field = _field(page, title)
    for index, (variable, column) in enumerate(rows.items()):
        field.get_by_role("button", name="Add item", exact=True).click()
        offered = _choose(page, field, key_title, starts=variable, ends=variable, nth=index)
        assert variable in offered
        field.locator(
            f"xpath=.//label[normalize-space()='{value_title}']/ancestor::div[.//textarea][1]//textarea"
        ).nth(index).fill(column)


def _picker_zone(at: datetime) -> tuple[str, datetime]:
    """A fixed-offset zone within 5 minutes of Vietnam time in which `at` (a whole UTC minute) is a
    5-minute slot of the picker. Whole minutes only: the UI formats the offset as +HH:MM."""
    extra = -int(at.timestamp() + VN_OFFSET) % 300
    wall = (at + timedelta(seconds=VN_OFFSET + extra)).replace(tzinfo=None)
    return f"GMT+07:{extra // 60:02d}", wall


def _next_start() -> datetime:
    """The next whole minute at least LEAD_SECONDS ahead; waits until it is about that far ahead."""
    now = datetime.now(UTC)
    at = (now + timedelta(seconds=LEAD_SECONDS + 59)).replace(second=0, microsecond=0)
    time.sleep(max(0.0, (at - now).total_seconds() - LEAD_SECONDS - 2))
    return at


def _pick_start(page: Any, cdp: Any, screenshots: Path) -> datetime:
    """Start: Later → Start date picker; returns the chosen moment (UTC)."""
    page.get_by_role("tab", name="Later", exact=True).click()
    at = _next_start()
    zone, wall = _picker_zone(at)
    cdp.send("Emulation.setTimezoneOverride", {"timezoneId": zone})
    page.get_by_label("Start date").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("grid").wait_for()
    day = dialog.locator(f"td[data-day='{wall:%Y-%m-%d}'] button")
    if not day.count():  # the slot is in the next month and not shown as an outside day
        dialog.get_by_role("button", name="Go to the Next Month").click()
    day.click()
    columns = dialog.locator("[data-slot=scroll-area]")
    columns.nth(0).get_by_role("button", name=str(wall.hour % 12 or 12), exact=True).click()
    columns.nth(1).get_by_role("button", name=str(wall.minute), exact=True).click()
    columns.nth(2).get_by_role("button", name="PM" if wall.hour >= 12 else "AM", exact=True).click()
    page.screenshot(path=screenshots / "03-start-later.png")
    page.keyboard.press("Escape")
    assert page.get_by_label("Start date").inner_text().strip() == f"{wall:%m/%d/%Y %I:%M %p}"
    return at


def _submit(page: Any, server: LocalPrefect) -> Any:
    """Submit; returns the create_flow_run response. On SQLite Prefect answers 503 "Service Unavailable"
    when the insert lost a lock race to another writer (see TEST_SERVER_SETTINGS in tests/conftest.py):
    the transaction rolled back, the UI shows a toast and keeps the form, and an operator clicks Submit
    again - as Prefect's own client retries every 503. So does this test, only then and at most twice."""
    from playwright.sync_api import expect

    for attempt in range(3):
        with page.expect_response(lambda r: r.url.endswith("/create_flow_run")) as created:
            page.get_by_role("button", name="Submit").click()
        response = created.value
        if response.status != 503 or attempt == 2:
            break
        expect(page.get_by_text("Unknown error while creating flow run")).to_be_visible()
        name = response.request.post_data_json["name"]
        assert not _flow_runs_named(name), f"{name} was created despite the 503 (see {server.log_path})"
        page.wait_for_timeout(1000)
    assert response.ok, f"{response.status} {response.text()} (see {server.log_path})"
    return response


@pytest.mark.prefect
def test_operator_schedules_campaign_from_the_run_form(
    deployed: LocalPrefect, campaign_env: dict[str, str], flow_sim: SimulatorServer, browser: Any,
    screenshots: Path, tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    source, invalid = make_sheet(tmp_path / "khach.xlsx", 20, invalid_every=10)
    deployment_id = _deployment_id("zns-campaign/zns-campaign")
    said = refresh_form(deployed.api_url, campaign_env)  # what `zns deploy` does with the account
    assert said[0].startswith("zns-campaign/zns-campaign: form lists 1 OA, 5 ZNS templates"), said
    web = WebServer().start()  # the product's web server: the report artifacts link to it
    worker = start_worker(deployed.api_url, tmp_path / "worker.log", {**campaign_env, "ZNS_WEB_PORT": str(web.port)})
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN", accept_downloads=True)
    with browser_session(context, screenshots, worker, web):
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setTimezoneOverride", {"timezoneId": VN_TZ})
        page.goto(f"{deployed.ui_url}/v2/deployments/deployment/{deployment_id}/run")
        page.get_by_label("Tên chiến dịch", exact=True).wait_for(timeout=30_000)

        # The form reads well for a Vietnamese operator: titles, help texts, the enum as a dropdown.
        for title in TITLES:
            label = page.locator(f"xpath=//label[starts-with(normalize-space(), '{title}')]").first
            expect(label, f"field title {title!r} not visible on the run form").to_be_visible()
        expect(page.get_by_text("TempID của template ZNS đã duyệt")).to_be_visible()
        expect(page.get_by_text("Hẹn giờ gửi")).to_have_count(0)  # "Start: Later" is the one "send at"
        page.screenshot(path=screenshots / "01-run-form.png", full_page=True)
        page.get_by_label("Select Loại tin").click()
        assert page.get_by_role("option").all_inner_texts() == ["normal", "priority"]
        page.get_by_role("option", name="priority").click()
        assert page.get_by_label("Select Loại tin").inner_text().strip() == "priority"

        _fill_text(page, "Tên chiến dịch", CAMPAIGN_NAME)
        # Picked, not typed: the account's OAs and templates by name (zns deploy wrote them in the form).
        oas = _choose(page, page, "Zalo OA ID", starts="ZNS Demo Shop")
        assert "ZNS Demo Shop (4097311281936189049)" in oas
        templates = _choose(page, page, "Mã template ZNS", ends="(210001)")
        assert "Xac nhan don hang (210001)" in templates and "OTP xac thuc (205644)" in templates
        _fill_text(page, "File người nhận", str(source), optional=True)
        _fill_text(page, "Cột số điện thoại", "Số điện thoại", optional=True)
        _fill_rows(page, "Ghép biến ZNS với cột", ZNS_COLUMNS, "Biến", "Cột trong file")
        _field(page, "SMS dự phòng").get_by_role("tab", name="FallbackSpec", exact=True).click()
        assert _choose(page, page, "Brandname", starts="ZNSDEMO", ends="ZNSDEMO") == ["Baotrixemay", "ZNSDEMO"]
        sms_field = _field(page, "Mã template SMS")
        sms_field.get_by_role("tab").first.click()
        _choose(page, sms_field, "Mã template SMS", starts="ZNSDEMO: Chao {P1,30}, don hang")
        _fill_rows(page, "Ghép biến SMS với cột", SMS_COLUMNS, "Biến SMS (P1, P2, ...)",
                   "Cột trong file hoặc biến ZNS")
        _field(page, "Chờ ZNS tối đa (giây)").locator("input").fill("30")
        page.screenshot(path=screenshots / "02-form-filled.png", full_page=True)

        at = _pick_start(page, cdp, screenshots)
        created = _submit(page, deployed).json()
        run_id = created["id"]
        # the state it was created in: by now the worker (5 s prefetch) may have made it Pending
        assert created["state"]["type"] == "SCHEDULED", created["state"]
        cdp.send("Emulation.setTimezoneOverride", {"timezoneId": VN_TZ})
        page.get_by_text("scheduled to start").wait_for()
        page.screenshot(path=screenshots / "04-submitted.png")

        run = _flow_run(run_id)
        assert abs((run.expected_start_time - at).total_seconds()) < 1
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not run.state.is_final():
            time.sleep(1)
            run = _flow_run(run_id)
        assert run.state.is_completed(), f"{run.state.name}: {run.state.message} (see {worker.log_path})"
        assert run.deployment_id is not None and str(run.deployment_id) == deployment_id
        # Prefect's WaitForScheduledTime rounds the remaining wait to whole seconds: up to 0.5 s early.
        assert run.start_time >= at - timedelta(seconds=1), f"started at {run.start_time}, scheduled for {at}"
        spec = run.parameters["spec"]
        assert spec["campaign_name"] == CAMPAIGN_NAME and spec["message_type"] == "priority"
        assert spec["oa_id"] == "ZNS Demo Shop (4097311281936189049)"
        assert spec["columns"] == [{"variable": k, "column": v} for k, v in ZNS_COLUMNS.items()]
        assert spec["fallback"]["columns"] == [{"variable": k, "column": v} for k, v in SMS_COLUMNS.items()]

        campaign_id = f"{slugify(CAMPAIGN_NAME, 40)}-{run_id.replace('-', '')[:12]}"
        summary = Ledger.from_url(campaign_env["ZNS_LEDGER_URL"]).summary(campaign_id)
        assert summary["rows"] == 20 and summary["invalid"] == invalid == 2
        assert summary["zns_accepted"] == 18

        page.goto(f"{deployed.ui_url}/v2/runs/flow-run/{run_id}")
        page.get_by_text("Completed").first.wait_for()
        page.screenshot(path=screenshots / "05-flow-run.png", full_page=True)
        expect(page.get_by_text("zns-campaign").first).to_be_visible()
        page.get_by_role("tab", name="Artifacts").click()
        report_key = f"{slugify(campaign_id, 50)}-report"
        report_card = page.get_by_text(report_key, exact=True)
        report_card.wait_for()
        page.screenshot(path=screenshots / "06-artifacts.png", full_page=True)
        report_card.click()  # the artifact page renders the markdown report
        heading = page.get_by_role("heading", name=f"Báo cáo chiến dịch {CAMPAIGN_NAME}")
        heading.wait_for()
        assert campaign_id in heading.inner_text()
        page.screenshot(path=screenshots / "07-report.png", full_page=True)

        # The workbook link artifact downloads the workbook over HTTP (a file:// link would not open).
        page.go_back()
        page.get_by_text(f"{slugify(campaign_id, 50)}-workbook", exact=True).click()
        link = page.get_by_role("link", name="Báo cáo Excel (workbook)")
        link.wait_for()
        assert link.get_attribute("href").startswith(f"http://127.0.0.1:{web.port}/reports/")
        page.screenshot(path=screenshots / "08-workbook-link.png", full_page=True)
        with page.expect_download() as download:
            link.click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name == f"report-{campaign_id}.xlsx"
        assert len(openpyxl.load_workbook(saved, read_only=True).sheetnames) == 3
