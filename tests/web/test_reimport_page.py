""""Nhập lại các dòng đã sửa" on the campaign page: the corrected error-rows workbook becomes one run
of the `zns-campaign` deployment in the same campaign (as `zns reimport`); refusals are one line."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import openpyxl
import pytest
from fastapi.testclient import TestClient

from esms_sim.server import SimulatorServer
from tests.flows.support import make_sheet, received, run_cli, send_requests, sheet, spec_for, write_spec
from zns.ledger import Ledger, RecipientRow
from zns.orchestration.deployments import start_worker
from zns.orchestration.localprefect import LocalPrefect
from zns.spec import CampaignSpec
from zns.web.app import create_app
from zns.web.runlog import runs_file
from zns.web.settings import WebSettings


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TestClient]:
    """The app with its own uploads folder and data home (so `runs.jsonl` is this test's)."""
    monkeypatch.setenv("ZNS_UPLOADS_URL", str(tmp_path / "uploads"))
    monkeypatch.setenv("ZNS_HOME", str(tmp_path / "home"))
    with TestClient(create_app(WebSettings())) as web:
        yield web


def _csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf" content="([^"]+)">', html)
    assert found, html[:500]
    return found.group(1)


def _form(html: str) -> dict[str, str]:
    """The reimport form's hidden fields as the page rendered them."""
    form = re.search(r'<form method="post" enctype="multipart/form-data" action="[^"]+/reimport" '
                     r'id="reimport-form">(.*?)</form>', html, re.S)
    assert form, "no reimport form on the page"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def _refusal(response: Any) -> tuple[str, str]:
    """(code, line) of the page's one-line refusal."""
    assert response.status_code == 400, response.text[:500]
    line = re.search(r'<p class="error" id="reimport-error" data-code="([A-Z_]+)">([^\n]*)</p>', response.text)
    assert line and "Traceback" not in response.text, response.text[:2000]
    return line.group(1), line.group(2)


def _fixed(workbook: bytes, fixes: dict[int, tuple[str, str]]) -> bytes:
    """The error-rows workbook with the operator's corrections ({Dòng gốc: (column, value)})."""
    wb = openpyxl.load_workbook(io.BytesIO(workbook))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    for r in range(2, ws.max_row + 1):
        column, value = fixes[int(ws.cell(r, header.index("Dòng gốc") + 1).value)]
        ws.cell(r, header.index(column) + 1).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _campaign_runs(campaign_id: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    with get_client(sync_client=True) as prefect:
        found = prefect.read_flow_runs(deployment_filter=DeploymentFilter(name=DeploymentFilterName(
            any_=["zns-campaign"])), limit=200)
    return [r for r in found if (r.parameters.get("spec") or {}).get("campaign_id") == campaign_id]


def _wait_final(run_id: str, timeout: float = 180) -> Any:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as prefect:
        run = prefect.read_flow_run(UUID(run_id))
        while not run.state.is_final() and time.monotonic() < deadline:
            time.sleep(1)
            run = prefect.read_flow_run(UUID(run_id))
    return run


@pytest.mark.prefect
def test_corrected_rows_are_sent_by_one_run_of_the_deployment(
    deployed: LocalPrefect, campaign_env: dict[str, str], flow_sim: SimulatorServer, client: TestClient,
    tmp_path: Path,
) -> None:
    flow_sim.state.configure(zns_rates={}, late_outcomes=[], final_delay=0.1)
    sh = sheet(tmp_path / "khach.xlsx", 6, invalid_every=3)  # rows 4 (phone) and 7 (name) are invalid
    spec = write_spec(tmp_path / "spec.yaml", spec_for(sh.path, campaign_id="web-reimport-1", fallback_after=15))
    first = run_cli(["run", str(spec), "--json"], campaign_env)
    assert first.returncode == 0, first.stderr

    html = client.get("/campaigns/web-reimport-1").text
    hidden = _form(html)
    assert hidden["csrf"] == _csrf(html) and hidden["after_run"] == ""  # a CLI campaign: no run recorded
    errors = client.get("/reports/web-reimport-1/error-rows.xlsx")
    assert errors.status_code == 200
    fixed = _fixed(errors.content, {4: ("Số điện thoại", "0987000004"), 7: ("Tên khách hàng", "Trần Thị Sửa")})

    posts = [client.post("/campaigns/web-reimport-1/reimport", data=hidden,
                         files={"file": ("da-sua.xlsx", fixed)}, follow_redirects=False) for _ in range(2)]
    assert [p.status_code for p in posts] == [303, 303], posts[0].text[:2000]
    target = posts[0].headers["location"]
    assert posts[1].headers["location"] == target  # the double click finds the same run
    run_id = re.fullmatch(r"/campaigns/web-reimport-1\?run=([0-9a-f-]{36})&reimported=1", target).group(1)
    assert [r.id for r in _campaign_runs("web-reimport-1")] == [UUID(run_id)]  # exactly one flow run
    assert runs_file().read_text().count(run_id) == 2  # recorded; the page finds it without ?run=
    sent = CampaignSpec.model_validate(_campaign_runs("web-reimport-1")[0].parameters["spec"])
    assert sent.reimport and sent.campaign_id == "web-reimport-1" and Path(sent.source).is_file()
    page = client.get(target).text
    assert f"/runs/flow-run/{run_id}" in page and 'id="reimport-started"' in page

    worker = start_worker(deployed.api_url, tmp_path / "worker.log", campaign_env)
    try:
        run = _wait_final(run_id)
    finally:
        worker.stop()
    assert run.state.is_completed(), f"{run.state.name}: {run.state.message} (see {worker.log_path})"

    page = client.get("/campaigns/web-reimport-1").text  # no ?run=: the recorded run
    assert f"/runs/flow-run/{run_id}" in page and 'data-run-state="COMPLETED"' in page
    assert 'data-key="rows">6<' in page and 'data-key="invalid">0<' in page
    outcomes = {o.row: o for o in Ledger.from_url(campaign_env["ZNS_LEDGER_URL"]).outcomes("web-reimport-1")}
    assert sorted(outcomes) == [2, 3, 4, 5, 6, 7]  # one row per input row, under the original numbers
    assert outcomes[4].phone == "0987000004" and outcomes[4].state == "zns_delivered"
    assert outcomes[7].state == "zns_delivered"
    got = received(flow_sim)
    assert got["0987000004"]["zns"] == 1
    assert all(got[p]["zns"] == 1 for p in sh.valid)  # the first run's phones were not sent again
    assert len({o.phone for o in outcomes.values()}) == 6  # no phone twice


@pytest.fixture
def stored_campaign(web_env: dict[str, str], tmp_path: Path) -> str:
    """A campaign as the flow registers it (its SPEC in the ledger), for refusals that start nothing."""
    source, _ = make_sheet(tmp_path / "goc.xlsx", 4, invalid_every=2)
    spec = CampaignSpec.model_validate(spec_for(source, campaign_id="web-reimport-2"))
    ledger = Ledger.from_url(web_env["ZNS_LEDGER_URL"])
    ledger.upsert_campaign("web-reimport-2", name=spec.campaign_name, oa_id=spec.oa_id,
                           template_id=spec.template_id, params=spec.model_dump(mode="json"))
    ledger.record_recipients("web-reimport-2", [RecipientRow(row_no=2, phone="0912000000"), RecipientRow(
        row_no=3, phone="12345", valid=False, invalid_code="BAD_PHONE", invalid_reason_vi="sai số")])
    ledger.set_campaign_status("web-reimport-2", "completed", {})  # the form is offered once the run is over
    return "web-reimport-2"


def test_refusals_are_one_line_on_the_page(stored_campaign: str, client: TestClient,
                                           simulator: SimulatorServer, tmp_path: Path) -> None:
    sends = send_requests(simulator)
    html = client.get(f"/campaigns/{stored_campaign}").text
    hidden = _form(html)
    url = f"/campaigns/{stored_campaign}/reimport"
    original = (tmp_path / "goc.xlsx").read_bytes()  # the campaign's own file: no "Dòng gốc"
    code, line = _refusal(client.post(url, data=hidden, files={"file": ("goc.xlsx", original)}))
    assert code == "NO_ORIGINAL_ROW_COLUMN" and "Dòng gốc" in line
    code, line = _refusal(client.post(url, data=hidden, files={"file": ("sua.xlsx", b"not a workbook")}))
    assert code == "NOT_SPREADSHEET"
    code, _ = _refusal(client.post(url, data=hidden))
    assert code == "BAD_SOURCE"
    response = client.post("/campaigns/khong-co/reimport", data=hidden, files={"file": ("goc.xlsx", original)})
    code, line = _refusal(response)
    assert code == "UNKNOWN_CAMPAIGN" and "khong-co" in line
    assert 'id="reimport-form"' not in response.text  # nothing to re-import into
    assert 'id="reimport-form"' in client.post(url, data=hidden).text  # a known campaign keeps the form

    uploads = sorted(p.name for p in (tmp_path / "uploads").iterdir())
    for fields in ({**hidden, "csrf": "forged"}, {k: v for k, v in hidden.items() if k != "csrf"}):
        refused = client.post(url, data=fields, files={"file": ("goc.xlsx", original)})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "CSRF_FAILED"
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == uploads  # nothing stored without CSRF
    assert send_requests(simulator) == sends and not runs_file().exists()  # no run was started
