"""The approval gate's rule and texts (zns/campaign/approval.py), and its web route's CSRF check.

No server: plain values in, the rule and the Vietnamese summary out. The flow-level behaviour
(pause, resume, reject, timeout against Prefect) is in tests/flows/test_approval.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from esms.models import ZnsParam, ZnsTemplate
from zns.campaign.approval import (
    ABOVE_COST,
    ABOVE_RECIPIENTS,
    approval_lines,
    approval_markdown,
    approved_text,
    needs_approval,
    rejected_text,
    summary_items,
    timeout_text,
    total_cost,
)
from zns.campaign.preflight import Preflight
from zns.campaign.prepare import PreflightInput
from zns.recipients import Recipient, ValidationResult
from zns.recipients.models import InvalidRow
from zns.spec import ApprovalSpec, CampaignSpec

TEMPLATE = ZnsTemplate(template_id="210001", oa_id="1", content="Chao {{customer_name}}, don {{order_code}}",
                       params=(ZnsParam(name="customer_name", order=1), ZnsParam(name="order_code", order=2)))


def _check(recipients: int, zns: float = 300.0, sms: float = 850.0) -> Preflight:
    return Preflight(recipients=recipients, quota_daily=5000, quota_remaining=4000, balance=9_000_000.0,
                     zns_unit_price=zns, estimated_zns_cost=zns * recipients, estimated_sms_cost_max=sms * recipients,
                     ok=True)


def test_none_disables_the_gate() -> None:
    assert needs_approval(None, 1_000_000, _check(1_000_000)) is None


def test_recipients_threshold_is_strictly_above() -> None:
    rule = ApprovalSpec(above_recipients=5, above_cost=None)
    assert needs_approval(rule, 5, _check(5)) is None
    reason = needs_approval(rule, 6, _check(6))
    assert reason is not None and reason.codes == (ABOVE_RECIPIENTS,)
    assert "6 người nhận vượt ngưỡng 5 (ABOVE_RECIPIENTS)" in reason.text


def test_cost_includes_the_sms_fallback_maximum() -> None:
    check = _check(1000)  # ZNS 300,000 + SMS at most 850,000 VND
    assert total_cost(check) == 1_150_000
    rule = ApprovalSpec(above_recipients=None, above_cost=1_000_000)
    reason = needs_approval(rule, 1000, check)
    assert reason is not None and reason.codes == (ABOVE_COST,)  # the ZNS alone (300,000) would not need it
    assert "1,150,000 VND" in reason.text
    assert needs_approval(ApprovalSpec(above_recipients=None, above_cost=1_150_000), 1000, check) is None


def test_defaults_and_both_thresholds() -> None:
    assert needs_approval(ApprovalSpec(), 10_000, _check(10_000, sms=0)) is None  # 3,000,000 VND, 10,000 people
    reason = needs_approval(ApprovalSpec(), 10_001, _check(10_001))
    assert reason is not None and reason.codes == (ABOVE_RECIPIENTS, ABOVE_COST)
    assert CampaignSpec.model_fields["approval"].default is None  # no gate unless the SPEC asks


def test_summary_lines_say_everything_an_approver_needs() -> None:
    valid = [Recipient(i + 2, f"091200000{i}", [f"Khach {i}", f"HD{i}"], {}, (), ()) for i in range(3)]
    invalid = [InvalidRow(9, "12345", [], (), ())]
    validation = ValidationResult(valid=valid, invalid=invalid, rows_read=4, columns=[])
    pre = PreflightInput(("0912000000", ["Khach 0", "HD0"]), "Chao Khach 0, don HD0", 3)
    check = _check(3)
    reason = needs_approval(ApprovalSpec(above_recipients=2), 3, check)
    assert reason is not None
    lines = approval_lines(reason, validation, check, TEMPLATE, pre, 24)
    text = "\n".join(lines)
    assert lines[0].startswith("Lý do chờ duyệt (APPROVAL_REQUIRED): 3 người nhận vượt ngưỡng 2")
    assert "Số dòng (rows): 4; hợp lệ (valid): 3; lỗi (invalid): 1; sẽ gửi ZNS (to send): 3" in text
    assert "quota ZNS còn lại hôm nay (quota left): 4,000 / 5,000" in text
    assert "số dư (balance): 9,000,000 VND" in text
    assert "ZNS 900 VND; SMS dự phòng tối đa (SMS fallback at most) 2,550 VND" in text
    assert "Chi phí tối đa (cost at most): 3,450 VND" in text
    assert "ZNS mẫu (ZNS preview, 0912000000): Chao Khach 0, don HD0" in text
    assert "SMS mẫu (SMS preview): Chao Khach 0, don HD0" in text
    assert "24 giờ" in lines[-1] and "APPROVAL_TIMEOUT" in lines[-1]
    assert "chạy thử" not in text  # the dry run's header is not reused
    markdown = approval_markdown("Tết", "tet-1", lines)
    assert markdown.startswith("## Chờ duyệt (APPROVAL_REQUIRED): Tết")
    assert summary_items(markdown) == lines


def test_decision_texts_carry_their_codes() -> None:
    assert rejected_text("sai danh sách").startswith("Bị từ chối (REJECTED): sai danh sách")
    assert rejected_text("  ").startswith("Bị từ chối (REJECTED): không có ghi chú")
    assert timeout_text(0.5).startswith("Hết hạn duyệt (APPROVAL_TIMEOUT): không ai duyệt trong 0.5 giờ")
    at = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    assert approved_text("Lan", at) == "Đã duyệt (APPROVED) lúc 2026-12-01 09:30:00 (giờ Việt Nam): Lan"
    assert approved_text("", None) == "Đã duyệt (APPROVED): không có ghi chú"


@pytest.mark.parametrize("csrf", [None, "forged"])
def test_approval_post_needs_the_csrf_token(csrf: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    from zns.orchestration import runs
    from zns.web.app import create_app

    resumed: list[str] = []
    monkeypatch.setattr(runs, "resume_approval", lambda run_id, *a: resumed.append(run_id))
    client = TestClient(create_app())
    client.get("/campaigns")  # sets the CSRF cookie
    data = {"run": "00000000-0000-0000-0000-000000000000", "decision": "approve", "note": ""}
    if csrf:
        data["csrf"] = csrf
    response = client.post("/campaigns/x/approval", data=data, follow_redirects=False)
    assert response.status_code == 403 and response.json()["error"]["code"] == "CSRF_FAILED"
    assert resumed == []


def test_approval_post_resumes_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from zns.orchestration import runs
    from zns.web.app import create_app

    resumed: list[tuple[str, bool, str]] = []
    monkeypatch.setattr(runs, "resume_approval", lambda run_id, approve, note: resumed.append((run_id, approve, note)))
    client = TestClient(create_app())
    token = re.search(r'<meta name="csrf" content="([0-9a-f]+)">', client.get("/campaigns").text)
    assert token is not None
    data = {"csrf": token.group(1), "run": "r1", "decision": "reject", "note": "sai giá"}
    response = client.post("/campaigns/c%201/approval", data=data, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/campaigns/c%201?run=r1"
    assert resumed == [("r1", False, "sai giá")]
