"""The product as a service: one data home, `zns up`/`status`/`down`, the CLI on the home's server.

These start their own Prefect server on a free port in a temporary home (not the session's).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from esms_sim.server import SimulatorServer
from tests.conftest import _free_port
from tests.flows.support import make_sheet, spec_for, write_spec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def home_env(tmp_path: Path, flow_sim: SimulatorServer) -> Iterator[dict[str, str]]:
    """A fresh data home and ports, the simulator's account, and no PREFECT_API_URL."""
    flow_sim.state.reset(seed=7)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESMS_", "ZNS_", "PREFECT_API_URL"))}
    env.update(ZNS_HOME=str(tmp_path / "home"), ZNS_PREFECT_PORT=str(_free_port()), ZNS_WEB_PORT=str(_free_port()),
               ESMS_API_KEY="DEMO_API_KEY", ESMS_SECRET_KEY="DEMO_SECRET_KEY", ESMS_BASE_URL=flow_sim.base_url)
    yield env
    subprocess.run([sys.executable, "-m", "zns.cli", "down"], env=env, capture_output=True, timeout=120)


def zns(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zns.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def flow_runs(port: str) -> list[dict[str, object]]:
    reply = httpx.post(f"http://127.0.0.1:{port}/api/flow_runs/filter", json={"limit": 50}, timeout=10)
    reply.raise_for_status()
    return list(reply.json())


@pytest.mark.prefect
def test_two_runs_from_any_folder_share_the_homes_server_and_ledger(home_env: dict[str, str],
                                                                      tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    source, _ = make_sheet(data / "khach.xlsx", 20, invalid_every=0)
    timings, outputs = [], []
    for name in ("first", "second"):
        spec = write_spec(data / f"{name}.yaml", spec_for(source, campaign_id=f"stack-{name}", fallback_after=5))
        started = time.monotonic()
        result = zns(["run", str(spec), "--json"], home_env, cwd=data)
        timings.append(time.monotonic() - started)
        assert result.returncode == 0, result.stderr[-2000:]
        outputs.append(result.stdout)
    assert "starting the local Prefect server in the background" in outputs[0]
    assert "starting the local Prefect server" not in outputs[1]  # reused, not thrown away
    assert timings[1] < timings[0]
    names = {str(run["parameters"]["spec"]["campaign_id"]) for run in flow_runs(home_env["ZNS_PREFECT_PORT"])}
    assert {"stack-first", "stack-second"} <= names  # both runs are in the UI's server
    report = zns(["report", "stack-first", "--json"], home_env, cwd=ROOT)  # from the project folder
    assert report.returncode == 0, report.stderr
    assert not (data / ".zns").exists()  # nothing written into the data folder
    home = Path(home_env["ZNS_HOME"])
    assert (home / "ledger.db").is_file() and (home / "reports" / "stack-first").is_dir()
    status = zns(["status"], home_env, cwd=ROOT)
    assert "prefect" in status.stdout and "running" in status.stdout
    down = zns(["down"], home_env, cwd=ROOT)
    assert "stopped prefect" in down.stdout
    assert "stopped" in zns(["status"], home_env, cwd=ROOT).stdout


@pytest.mark.prefect
def test_zns_up_serves_deployments_worker_and_report_downloads(home_env: dict[str, str], tmp_path: Path) -> None:
    up = subprocess.Popen([sys.executable, "-m", "zns.cli", "up"], env=home_env, cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    web = f"http://127.0.0.1:{home_env['ZNS_WEB_PORT']}"
    api = f"http://127.0.0.1:{home_env['ZNS_PREFECT_PORT']}/api"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert up.poll() is None, up.stdout.read() if up.stdout else ""
            try:
                if httpx.get(web + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        deployments = httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()
        assert {d["name"] for d in deployments} >= {"zns-campaign", "zns-reconcile", "birthday-greetings"}
        status = zns(["status"], home_env, cwd=tmp_path).stdout
        assert all(f"{name}" in status for name in ("prefect", "worker", "web"))
        assert "stopped" not in status
        folder = Path(home_env["ZNS_HOME"]) / "reports" / "c-1"
        folder.mkdir(parents=True)
        (folder / "report-c-1.xlsx").write_bytes(b"PK-workbook")
        reply = httpx.get(f"{web}/reports/c-1/report-c-1.xlsx", timeout=5)
        assert reply.status_code == 200 and reply.content == b"PK-workbook"
        assert "spreadsheetml" in reply.headers["content-type"]
        assert httpx.get(f"{web}/reports/c-1/..%2F..%2Fledger.db", timeout=5).status_code == 404
        down = zns(["down"], home_env, cwd=tmp_path)
        assert "stopped worker" in down.stdout and "stopped web" in down.stdout
        up.wait(timeout=60)  # the supervising `zns up` ends when the stack is stopped
    finally:
        if up.poll() is None:
            os.killpg(up.pid, 9)
