"""The campaign page through its HTTP routes: account, catalog, mapping pre-fill, checks, previews,
CSRF and the access token. Real app, real simulator, real ingest; nothing of ours is mocked."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from esms_sim.server import SimulatorServer
from tests.web.conftest import OA, SAMPLE, SAMPLE_MAPPING, Page, make_page
from zns.ledger import Ledger, RecipientRow
from zns.orchestration.localprefect import LocalPrefect
from zns.recipients import load_recipients
from zns.recipients.demo import ORDER_COLUMNS, PHONE_COLUMN
from zns.spec import CampaignSpec
from zns.web.app import create_app
from zns.web.settings import WebSettings

FALLBACK = {"fallback_on": "1", "brandname": "ZNSDEMO", "sms_template_id": "91011",
            "sms:P1": "customer_name", "sms:P2": "order_code", "sms:P3": "amount"}


def _sample(page: Page) -> str:
    return page.upload("customers.xlsx", SAMPLE.read_bytes()).json()["upload_id"]


def _selected(html: str, name: str) -> str:
    select = re.search(rf'<select name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return chosen.group(1) if chosen else ""


def test_account_catalog_and_template(page: Page) -> None:
    html = page.client.get("/campaigns/new").text
    assert "1.000.000.000 ₫" in html and "ZNS Demo Shop (4097311281936189049)" in html
    assert "DEMO_API_KEY" not in html and "DEMO_SECRET_KEY" not in html
    html = page.refresh(message_type="priority")
    assert "Xac nhan don hang (210001)" in html and 'value="priority" checked' in html
    assert "Chao {{customer_name}}, don hang {{order_code}}" in html
    variables = re.search(r'<table id="variables">.*?</table>', html, re.S).group(0)
    assert "<code>order_date</code></td><td>date</td><td>10</td>" in variables
    assert "<code>amount</code></td><td>number</td><td>12</td>" in variables


def test_mapping_prefilled_by_column_matching(page: Page) -> None:
    csv = ("SĐT,Customer Name,order-code,ORDER_DATE,Amount,Ghi chú\n"
           "0912345678,Nguyễn An,DH1,01/12/2026,100000,\n0912,Bình,DH2,02/12/2026,12k,\n")
    upload = page.upload("khach.csv", csv.encode()).json()
    html = page.refresh(upload_id=upload["upload_id"])
    assert _selected(html, "phone_column") == "SĐT"
    assert [_selected(html, f"map:{v}") for v in ORDER_COLUMNS] == ["Customer Name", "order-code", "ORDER_DATE",
                                                                    "Amount"]
    assert 'data-rows="2" data-valid="1" data-invalid="1"' in html
    assert "BAD_PHONE" in html and "BAD_NUMBER" in html


def test_sample_counts_errors_preview_and_error_rows(page: Page, tmp_path: Path) -> None:
    upload_id = _sample(page)
    html = page.refresh(upload_id=upload_id)
    assert _selected(html, "phone_column") == PHONE_COLUMN  # the phone column is recognised
    assert _selected(html, "map:customer_name") == ""  # Vietnamese headers are the operator's choice
    assert "MISSING_COLUMN" in html
    html = page.refresh_mapped(upload_id=upload_id, **SAMPLE_MAPPING)
    flow = load_recipients(page_template(page), source=str(SAMPLE), phone_column=PHONE_COLUMN, columns=ORDER_COLUMNS)
    counts = f'data-rows="{flow.rows_read}" data-valid="{len(flow.valid)}" data-invalid="{len(flow.invalid)}"'
    assert counts in html and flow.rows_read == 30
    errors = re.search(r'<table id="errors">.*?</table>', html, re.S).group(0)
    for code in ("MISSING_PHONE", "LANDLINE", "BAD_PHONE", "DUPLICATE", "BAD_DATE", "BAD_NUMBER", "TOO_LONG"):
        assert f"<code>{code}</code>" in errors
    assert "trùng với dòng 2" in errors and "<td>24</td><td>Số điện thoại</td>" in errors
    assert "Chao Nguyễn Văn An, don hang DH202600001 ngay 01/12/2026 tri gia 120000 VND da duoc xac nhan." in html
    response = page.client.post("/campaigns/new/error-rows", data=page.mapped(upload_id=upload_id, **SAMPLE_MAPPING))
    assert response.status_code == 200 and response.headers["content-disposition"].endswith('"error-rows.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-3:] == ("Dòng gốc", "Mã lỗi", "Lý do") and len(rows) == 1 + len(flow.invalid)


def page_template(page: Page):  # type: ignore[no-untyped-def]
    """The full template as the page's cache holds it (GetTemplate + GetZnsTemplateInfo)."""
    import asyncio

    cache = page.client.app.state.cache  # type: ignore[attr-defined]
    return asyncio.run(cache.template(None, OA, "210001", "normal"))


def test_fallback_preview_and_unfit_rows(page: Page) -> None:
    upload_id = _sample(page)
    html = page.refresh_mapped(upload_id=upload_id, **SAMPLE_MAPPING, **FALLBACK)
    assert "Chao {P1,30}, don hang {P2,20} tri gia {P3,12} VND da duoc xac nhan. Cam on quy khach." in html
    assert ("Chao Nguyen Van An, don hang DH202600001 tri gia 120000 VND da duoc xac nhan. Cam on quy khach."
            "</span> <span class=\"muted\">(95 ký tự, 1 tin)") in html
    assert "SMS dự phòng tối đa" in html
    html = page.refresh_mapped(upload_id=upload_id, **SAMPLE_MAPPING, **{**FALLBACK, "sms:P1": "Ghi chú"})
    unfit = re.search(r'<ul id="sms-unfit">.*?</ul>', html, re.S).group(0)
    assert "SMS_MISSING_PARAM" in unfit


def test_cost_and_quota(page: Page) -> None:
    html = page.refresh_mapped(upload_id=_sample(page), **SAMPLE_MAPPING)
    cost = re.search(r'<ul id="cost">.*?</ul>', html, re.S).group(0)
    assert "100.000</strong> / 100.000" in cost and "6.300 ₫" in cost


def test_grid_rows_are_checked(page: Page) -> None:
    grid = {"source_mode": "grid", "grid:0:phone": "0912345678", "grid:0:customer_name": "An",
            "grid:0:order_code": "DH1", "grid:0:order_date": "01/12/2026", "grid:0:amount": "1000",
            "grid:1:phone": "0987654321", "grid:1:customer_name": "Bình", "grid:1:order_code": "DH2",
            "grid:1:order_date": "", "grid:1:amount": "2000"}
    html = page.refresh(**grid)
    assert 'data-rows="2" data-valid="1" data-invalid="1"' in html and "MISSING_PARAM" in html
    assert 'name="grid:1:order_date"' in html and "Chao An, don hang DH1" in html


def test_send_at_in_the_past_is_refused(page: Page) -> None:
    sends = page.sends()
    form = page.mapped(upload_id=_sample(page), campaign_name="Hẹn giờ", when="at", send_at="2020-01-01T09:00",
                       **SAMPLE_MAPPING)
    response = page.client.post("/campaigns", data=form, headers={"X-CSRF-Token": page.csrf})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "PAST_SEND_AT" and "không gửi tin nào" in error["message"]
    assert error["message"].startswith("Thời điểm ở ô «Gửi lúc» (2020-01-01 09:00, giờ Việt Nam) đã qua")
    assert page.sends() == sends


def test_without_prefect_the_page_says_what_to_do_and_offers_no_send(page: Page,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # nothing listens there
    html = page.client.get("/campaigns/new").text
    blocked = re.search(r'<p class="error" role="alert" id="send-blocked" data-code="([A-Z_]+)">([^\n]*)</p>', html)
    assert blocked and blocked.group(1) == "PREFECT_UNAVAILABLE", html
    assert blocked.group(2).startswith("Máy chủ Prefect không trả lời") and "zns up" in blocked.group(2)
    assert 'id="send"' not in html and 'id="confirm-send"' not in html


def test_without_an_account_the_page_says_what_to_do_and_offers_no_send(page: Page,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESMS_API_KEY")
    html = page.client.get("/campaigns/new").text
    blocked = re.search(r'id="send-blocked" data-code="NO_ACCOUNT">([^\n]*)</p>', html)
    assert blocked and "ESMS_API_KEY" in blocked.group(1) and blocked.group(1).startswith("Chưa dùng được"), html
    assert 'id="send"' not in html
    account = re.search(r'id="account-error" data-code="ACCOUNT_ERROR">([^\n]*)</p>', html)
    assert account and account.group(1).startswith("Chưa cấu hình tài khoản eSMS")  # Vietnamese leads


def test_the_confirmation_repeats_count_and_cost_and_the_header_row_counts_from_one(
        page: Page, prefect_server: LocalPrefect) -> None:
    from zns.web.forms import parse_form

    html = page.refresh_mapped(upload_id=_sample(page), campaign_name="Xác nhận", **SAMPLE_MAPPING)
    confirm = re.search(r'<div id="confirm" class="confirm" hidden>(.*?)</div>', html, re.S)
    assert confirm, html
    assert 'data-valid="21">21 người nhận hợp lệ</span> (9 dòng lỗi không gửi)' in confirm.group(1)
    assert '<span id="confirm-cost">6.300 ₫</span>' in confirm.group(1) and 'id="confirm-send"' in confirm.group(1)
    assert 'name="header_row" id="header_row" value="1"' in html  # row 1 in Excel is the SPEC's header_row 0
    assert parse_form({"header_row": "3"}).header_row == 2 and parse_form({}).header_row == 0


def test_page_wording_leads_with_vietnamese_and_names_page_controls() -> None:
    from datetime import UTC, datetime

    from zns.web.wording import page_text, run_state_vi, vn_time

    assert page_text("no eSMS credentials: set X — Chưa cấu hình tài khoản eSMS") == (
        "Chưa cấu hình tài khoản eSMS — no eSMS credentials: set X")
    assert page_text("Chỉ rõ cột số điện thoại (phone_column).") == (
        "Chỉ rõ cột số điện thoại (dòng «Số điện thoại» trong bảng gán cột).")
    assert run_state_vi("SCHEDULED", "Scheduled") == "Đã hẹn giờ"
    assert run_state_vi("COMPLETED", "Postponed") == "Hoãn, sẽ gửi tiếp"
    assert vn_time(datetime(2026, 12, 4, 23, 30, tzinfo=UTC)) == "05/12/2026 06:30"
    assert vn_time(datetime(2026, 12, 4, 23, 30)) == "05/12/2026 06:30"  # naive: stored UTC


def test_csrf_missing_or_wrong_is_refused(page: Page) -> None:
    before, sends = page.stored(), page.sends()
    data = SAMPLE.read_bytes()
    for headers in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": page.csrf + "0"}):
        response = page.client.post("/api/uploads", files={"file": ("k.xlsx", data)}, headers=headers)
        assert response.status_code == 403 and response.json()["error"]["code"] == "CSRF_FAILED"
    for path in ("/api/refresh", "/campaigns", "/campaigns/new/error-rows", "/campaigns/x/cancel"):
        form = {**page.form(campaign_name="x"), "csrf": "forged"}
        assert page.client.post(path, data=form).status_code == 403
        assert page.client.post(path, data={k: v for k, v in form.items() if k != "csrf"}).status_code == 403
    other = TestClient(page.client.app)  # another browser: its own cookie, so this page's token is not valid
    other.get("/campaigns/new")
    response = other.post("/api/uploads", files={"file": ("k.xlsx", data)}, headers={"X-CSRF-Token": page.csrf})
    assert response.status_code == 403
    assert page.stored() == before and page.sends() == sends


@pytest.fixture
def token_client(web_env: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(WebSettings(token="s3cret-token"))) as client:
        yield client


def test_access_token_enforced(token_client: TestClient, web_env: dict[str, str], simulator: SimulatorServer) -> None:
    assert token_client.get("/health").status_code == 200
    for path in ("/", "/campaigns", "/campaigns/new", "/reports/x/report-x.xlsx"):
        response = token_client.get(path)
        assert response.status_code == 401 and "UNAUTHORIZED" in response.text
    assert token_client.post("/api/uploads").status_code == 401
    assert token_client.get("/campaigns/new", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert token_client.get("/campaigns/new", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    basic = base64.b64encode(b"ops:s3cret-token").decode()
    assert token_client.get("/campaigns", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    response = token_client.get("/campaigns/new?token=s3cret-token", follow_redirects=False)
    assert response.status_code == 303 and "s3cret-token" not in response.headers["location"]
    assert "s3cret-token" not in response.headers["set-cookie"]
    page = make_page(token_client, Path(web_env["ZNS_UPLOADS_URL"]), simulator)  # the cookie now lets it in
    assert page.upload("customers.xlsx", SAMPLE.read_bytes()).status_code == 200


def test_campaign_list_and_detail_from_the_ledger(page: Page, web_env: dict[str, str]) -> None:
    ledger = Ledger.from_url(web_env["ZNS_LEDGER_URL"])
    ledger.upsert_campaign("cli-campaign-1", name="Từ CLI", oa_id=OA, template_id="210001")
    ledger.record_recipients("cli-campaign-1", [RecipientRow(row_no=2, phone="0912345678"),
                                                RecipientRow(row_no=3, phone="0123", valid=False,
                                                             invalid_code="BAD_PHONE", invalid_reason_vi="sai")])
    html = page.client.get("/campaigns").text
    row = re.search(r'<tr data-campaign="cli-campaign-1">.*?</tr>', html, re.S).group(0)
    assert "Từ CLI" in row and "Đang chạy" in row and "<td>2</td><td>1</td>" in row
    detail = page.client.get("/campaigns/cli-campaign-1").text
    assert 'data-key="rows">2<' in detail and 'data-key="invalid">1<' in detail and 'id="postponed"' not in detail
    reasons = re.search(r'<table id="reasons">.*?</table>', detail, re.S).group(0)
    row = '<tr data-code="BAD_PHONE"><td>Không hợp lệ</td><td><code>BAD_PHONE</code></td><td>sai</td><td>1</td>'
    assert row in reasons
    assert 'id="cost-per-channel"' in detail
    line = "Ngoài khung giờ gửi 07:00-21:30 (quiet hours); gửi tiếp lúc 07:00 02/12/2026 giờ Việt Nam (QUIET_HOURS)"
    ledger.set_campaign_status("cli-campaign-1", "postponed", {"postponed": line})
    detail = page.client.get("/campaigns/cli-campaign-1").text
    assert "Hoãn, gửi tiếp sau" in detail and f'<p class="warn" id="postponed">{line}</p>' in detail
    assert page.client.get("/health").json() == {"status": "ok"}


@pytest.mark.prefect
def test_daily_campaign_becomes_a_schedule_of_the_deployment(page: Page, deployed: LocalPrefect) -> None:
    """"Hằng ngày" adds a 09:00 Vietnam-time schedule whose parameters Prefect accepts and the flow
    reads back as the page's campaign (each occurrence its own campaign, only the rows due that day)."""
    from prefect.client.orchestration import get_client
    from prefect.utilities.schema_tools import validate

    form = page.mapped(upload_id=_sample(page), campaign_name="Sinh nhật hằng ngày", when="daily",
                       daily_time="09:00", date_column="Ngày đặt", date_match="day_month", **SAMPLE_MAPPING)
    response = page.client.post("/campaigns", data=form, headers={"X-CSRF-Token": page.csrf})
    assert response.status_code == 200, response.text
    slug = response.json()["redirect"].split("schedule=", 1)[1]
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("zns-campaign/zns-campaign")
        schedule = next(s for s in client.read_deployment_schedules(deployment.id) if s.slug == slug)
        try:
            assert schedule.schedule.cron == "0 9 * * *" and schedule.schedule.timezone == "Asia/Ho_Chi_Minh"
            assert schedule.active
            validate(schedule.parameters, deployment.parameter_openapi_schema, raise_on_error=True)
            spec = CampaignSpec.model_validate(schedule.parameters["spec"])
        finally:
            client.delete_deployment_schedule(deployment.id, schedule.id)
    assert spec.campaign_name == "Sinh nhật hằng ngày" and spec.campaign_id is None
    assert spec.oa_id == OA and spec.columns["customer_name"] == "Tên khách hàng"
    assert spec.date_filter is not None and spec.date_filter.column == "Ngày đặt"
    assert spec.source and Path(spec.source).is_file()  # the stored upload, readable by the worker


def _account_options(html: str) -> list[str]:
    select = re.search(r'<select name="account"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no account dropdown"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


@pytest.mark.prefect
def test_saved_account_blocks_are_a_dropdown(page: Page, prefect_server: LocalPrefect) -> None:
    """The saved EsmsAccount blocks are offered by name; choosing one re-reads the catalog with it."""
    from flows.blocks import EsmsAccount

    EsmsAccount(api_key="DEMO_API_KEY", secret_key="DEMO_SECRET_KEY", base_url=page.sim.base_url).save(
        "web-shop", overwrite=True)
    EsmsAccount(api_key="DEMO_API_KEY", secret_key="DEMO_SECRET_KEY", base_url="http://127.0.0.1:9/").save(
        "web-unreachable", overwrite=True)
    try:
        _choose_saved_accounts(page)
    finally:
        EsmsAccount.delete("web-shop")
        EsmsAccount.delete("web-unreachable")


def _choose_saved_accounts(page: Page) -> None:
    """Both blocks listed by name; the unreachable one gives no catalog, the simulator's one does."""
    html = page.client.get("/campaigns/new").text
    options = _account_options(html)
    assert options[0] == "" and {"web-shop", "web-unreachable"} <= set(options)
    assert "biến môi trường (ESMS_*)" in html and 'id="blocks-problem"' not in html
    html = page.refresh(account="web-unreachable")
    assert _selected(html, "account") == "web-unreachable" and "ACCOUNT_ERROR" in html
    assert 'id="oa_id"' not in html  # no catalog from an account that does not answer
    html = page.refresh(account="web-shop")
    assert _selected(html, "account") == "web-shop" and "Nguồn: block web-shop" in html
    assert "ZNS Demo Shop (4097311281936189049)" in html and "Xac nhan don hang (210001)" in html
    assert ("catalog", "web-shop") in page.client.app.state.cache._items  # type: ignore[attr-defined]
    for secret in ("DEMO_API_KEY", "DEMO_SECRET_KEY"):
        assert secret not in html


def test_without_a_prefect_server_the_page_uses_the_environment(page: Page,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # nothing listens there
    html = page.client.get("/campaigns/new").text
    problem = re.search(r'<p class="warn" role="alert" id="blocks-problem" data-code="BLOCKS_UNAVAILABLE">[^\n]*</p>',
                        html)
    assert problem and "Traceback" not in problem.group(0), html
    assert _account_options(html) == [""] and "1.000.000.000 ₫" in html
    assert "ZNS Demo Shop (4097311281936189049)" in html  # the environment's account still works


def test_run_mapping_file_keeps_the_latest_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from zns.web.runlog import record_run, run_for, runs_file

    monkeypatch.setenv("ZNS_HOME", str(tmp_path / "home"))
    assert run_for("c-1") is None
    record_run("c-1", "run-a")
    record_run("c-2", "run-b")
    with runs_file().open("a") as fh:
        fh.write('{"campaign_id": "c-1", "run_i')  # a line torn by a crash is skipped
    record_run("c-1", "run-c")
    assert runs_file() == tmp_path / "home" / "web" / "runs.jsonl"
    assert (run_for("c-1"), run_for("c-2"), run_for("c-3")) == ("run-c", "run-b", None)


@pytest.mark.prefect
def test_campaign_opened_from_the_list_shows_its_run(page: Page, deployed: LocalPrefect, web_env: dict[str, str],
                                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """"Hẹn giờ" records campaign → flow run; the campaign page without `?run=` finds it, links it and cancels it."""
    from datetime import timedelta

    from zns.timeutil import vn_now
    from zns.web.runlog import runs_file

    monkeypatch.setenv("ZNS_HOME", str(tmp_path / "home"))
    sends = page.sends()
    at = (vn_now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form = page.mapped(upload_id=_sample(page), campaign_name="Hẹn giờ từ trang", when="at", send_at=at,
                       **SAMPLE_MAPPING)
    response = page.client.post("/campaigns", data=form, headers={"X-CSRF-Token": page.csrf})
    assert response.status_code == 200, response.text
    campaign_id, run_id = response.json()["campaign_id"], response.json()["run_id"]
    lines = runs_file().read_text().splitlines()
    assert len(lines) == 1 and f'"campaign_id": "{campaign_id}"' in lines[0] and run_id in lines[0]
    Ledger.from_url(web_env["ZNS_LEDGER_URL"]).upsert_campaign(  # as the run registers it when it starts
        campaign_id, name="Hẹn giờ từ trang", oa_id=OA, template_id="210001")
    listed = page.client.get("/campaigns").text
    assert f'<a href="/campaigns/{campaign_id}">' in listed
    waiting = re.search(r'<table id="scheduled">.*?</table>', listed, re.S).group(0)
    assert f'data-run="{run_id}"' in waiting and "Hẹn giờ từ trang" in waiting and "Huỷ lần gửi này" in waiting
    detail = page.client.get(f"/campaigns/{campaign_id}").text  # no ?run=
    assert f"/runs/flow-run/{run_id}" in detail and 'id="run-link"' in detail and "Đã hẹn giờ" in detail
    assert f'name="run" value="{run_id}"' in detail and 'id="cancel"' in detail
    polled = page.client.get(f"/api/campaigns/{campaign_id}").text
    assert f"/runs/flow-run/{run_id}" in polled
    cancelled = page.client.post(f"/campaigns/{campaign_id}/cancel", data={"csrf": page.csrf, "run": run_id})
    assert cancelled.status_code == 200  # followed the redirect back to the campaign
    detail = page.client.get(f"/campaigns/{campaign_id}").text
    assert 'data-run-state="CANCELLED"' in detail and 'id="cancel"' not in detail
    assert f'data-run="{run_id}"' not in page.client.get("/campaigns").text  # no longer waiting
    assert page.sends() == sends  # nothing was sent: the run was cancelled before its time


def test_the_campaign_controls_of_the_advanced_options_become_the_specs(page: Page) -> None:
    from zns.web.forms import FormError, build_spec, parse_form

    fields = {**page.form(campaign_name="Kiểm soát"), "window_start": "08:00", "window_end": "20:30",
              "continue_next_day": "1", "quota_reserve": "50", "approval_on": "1",
              "approval_recipients": "5.000", "approval_cost": "", "cap_messages": "4", "cap_days": "30",
              "breaker_on": "1"}
    spec = build_spec(parse_form(fields), source="/data/khach.xlsx")
    assert spec.send_window is not None and (spec.send_window.start, spec.send_window.end) == ("08:00", "20:30")
    assert spec.continue_next_day and spec.quota_reserve == 50
    assert spec.approval is not None and spec.approval.above_recipients == 5000 and spec.approval.above_cost is None
    assert spec.frequency_cap is not None and spec.frequency_cap.max_messages == 4
    assert spec.circuit_breaker is not None
    plain = build_spec(parse_form(page.form(campaign_name="Mặc định")), source="/data/khach.xlsx")
    assert (plain.send_window, plain.approval, plain.frequency_cap, plain.circuit_breaker) == (None,) * 4
    with pytest.raises(FormError, match="«Khung giờ gửi ZNS»"):  # the page control, not the SPEC field
        build_spec(parse_form({**fields, "window_end": "25:00"}), source="/data/khach.xlsx")
    html = page.refresh(**{k: v for k, v in fields.items() if k not in ("csrf", "submission")})
    assert 'id="controls"' in html and 'value="08:00"' in html and "Chờ duyệt khi vượt" in html
