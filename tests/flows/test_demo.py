"""`zns demo` on a clean home: the stack, the simulator and the sample; the summary adds up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import _free_port


@pytest.mark.prefect
def test_demo_runs_the_sample_campaign_through_the_deployment(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESMS_", "ZNS_", "PREFECT_API_URL"))}
    home = tmp_path / "home"
    env.update(ZNS_HOME=str(home), ZNS_PREFECT_PORT=str(_free_port()), ZNS_WEB_PORT=str(_free_port()),
               ZNS_SIMULATOR_PORT=str(_free_port()))
    result = subprocess.run([sys.executable, "-m", "zns.cli", "demo", "--json", "--no-keep-server"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["rows"] == 30 and summary["invalid"] == 9
    assert summary["rows"] == (summary["invalid"] + summary["zns_delivered"] + summary["sms_delivered"]
                               + summary["failed"] + summary["unknown"])
    assert summary["sms_delivered"] >= 1  # the demo shows the fallback at work
    assert "/runs/flow-run/" in result.stdout
    report = Path(summary["report"])
    assert report.is_relative_to(home / "reports") and len(openpyxl.load_workbook(report).sheetnames) == 3
    assert (home / "ledger.db").exists() and not (tmp_path / ".zns").exists()  # the home, not the folder
    assert not (home / "stack.json").exists()  # --no-keep-server: everything it started is stopped
