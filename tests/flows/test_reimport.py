"""Re-import of corrected error rows: the operator fixes the campaign's error-rows workbook and
imports it into the same campaign; the fixed rows are sent once, a phone the campaign already has
is refused as DUPLICATE, and the campaign still has one row per input row."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from esms_sim.server import SimulatorServer
from tests.flows.support import received, run_cli, sheet, spec_for, write_spec
from zns.ledger import Ledger


@pytest.mark.prefect
def test_corrected_error_rows_go_out_in_the_same_campaign(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                                          tmp_path: Path) -> None:
    flow_sim.state.configure(zns_rates={}, late_outcomes=[], final_delay=0.1)
    sh = sheet(tmp_path / "khach.xlsx", 20, invalid_every=5)  # rows 6, 11, 16, 21: phone, name, date, phone
    spec = write_spec(tmp_path / "spec.yaml", spec_for(sh.path, campaign_id="reimport-1", fallback_after=15))
    first = run_cli(["run", str(spec), "--json"], campaign_env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout.strip().splitlines()[-1])["invalid"] == 4

    errors = Path(campaign_env["ZNS_REPORT_DIR"]) / "reimport-1" / "error-rows.xlsx"
    wb = openpyxl.load_workbook(errors)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) + 1 for name in ("Dòng gốc", "Số điện thoại", "Tên khách hàng", "Ngày đặt")}
    fixes = {6: ("Số điện thoại", "0987000006"), 11: ("Tên khách hàng", "Trần Thị Sửa"),
             16: ("Ngày đặt", "15/12/2026"), 21: ("Số điện thoại", sh.valid[0])}  # row 21: a phone already sent
    for r in range(2, ws.max_row + 1):
        number = int(ws.cell(r, col["Dòng gốc"]).value)
        column, value = fixes[number]
        ws.cell(r, col[column]).value = value
    fixed = tmp_path / "da-sua.xlsx"
    wb.save(fixed)

    again = run_cli(["reimport", "reimport-1", str(fixed), "--json"], campaign_env)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert summary["rows"] == 20 and summary["invalid"] == 1  # one row per input row; only the duplicate left
    got = received(flow_sim)
    assert got["0987000006"]["zns"] == 1 and got[sh.valid[0]]["zns"] == 1  # the fixed phone once, no second ZNS
    assert all(got[p]["zns"] == 1 for p in sh.valid)
    outcomes = {o.row: o for o in Ledger.from_url(campaign_env["ZNS_LEDGER_URL"]).outcomes("reimport-1")}
    assert outcomes[21].reason_code == "DUPLICATE" and outcomes[11].state == "zns_delivered"
    assert outcomes[16].state == "zns_delivered" and outcomes[6].phone == "0987000006"


def test_a_reimport_names_its_campaign(campaign_env: dict[str, str], tmp_path: Path) -> None:
    missing = run_cli(["reimport", "khong-co", str(tmp_path / "x.xlsx")], campaign_env)
    assert missing.returncode == 2 and "no campaign 'khong-co'" in missing.stderr.strip().splitlines()[-1]
