"""The product as a service: one data home, `zns up`/`status`/`down`, the CLI on the home's server.

These start their own Prefect server on a free port in a temporary home (not the session's).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from esms_sim.server import SimulatorServer
from tests.conftest import _free_port
from tests.flows.support import make_sheet, prefect_api, spec_for, write_spec

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
    return list(prefect_api("POST", f"http://127.0.0.1:{port}/api/flow_runs/filter", json={"limit": 50}))


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def run_reconcile(api: str) -> dict[str, object]:
    """Start the stack's zns-reconcile deployment now (as its 15-minute schedule does); wait for it."""
    deployment = prefect_api("GET", f"{api}/deployments/name/zns-reconcile/zns-reconcile")
    run = prefect_api("POST", f"{api}/deployments/{deployment['id']}/create_flow_run", json={})

    def final() -> bool:
        run.update(prefect_api("GET", f"{api}/flow_runs/{run['id']}"))
        return run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")

    wait_for(final, 180, "the zns-reconcile run on the stack's worker")
    return run


@pytest.mark.prefect
def test_the_homes_stack_serves_campaigns_run_from_any_folder(home_env: dict[str, str], tmp_path: Path) -> None:
    """Two `zns run` from a data folder (the first starts the home's server, the second reuses it),
    then `zns up` on that server: its worker settles the campaigns with zns-reconcile and its web
    server hands out their reports; `zns report` from the project folder reads the same ledger."""
    data = tmp_path / "data"
    data.mkdir()
    source, _ = make_sheet(data / "khach.xlsx", 20, invalid_every=0)
    timings, outputs = [], []
    for name, wait in (("first", 5), ("second", 0)):  # the second leaves its outcomes to reconcile
        spec = write_spec(data / f"{name}.yaml", spec_for(source, campaign_id=f"stack-{name}", fallback_after=wait))
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
    assert not (data / ".zns").exists()  # nothing written into the data folder
    home = Path(home_env["ZNS_HOME"])
    assert (home / "ledger.db").is_file() and (home / "reports" / "stack-first").is_dir()
    before = json.loads(zns(["report", "stack-second", "--json"], home_env, cwd=ROOT).stdout.splitlines()[-1])
    assert before["unknown"] > 0  # not waited for: outcomes still open

    up = subprocess.Popen([sys.executable, "-m", "zns.cli", "up"], env=home_env, cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    web = f"http://127.0.0.1:{home_env['ZNS_WEB_PORT']}"
    api = f"http://127.0.0.1:{home_env['ZNS_PREFECT_PORT']}/api"
    try:
        wait_for(lambda: up.poll() is None and answers(web + "/health"), 240, "zns up's web server")
        deployments = prefect_api("POST", f"{api}/deployments/filter", json={})
        assert {d["name"] for d in deployments} >= {"zns-campaign", "zns-reconcile", "birthday-greetings",
                                                    "zns-refresh-form"}
        status = zns(["status"], home_env, cwd=tmp_path).stdout
        assert all(f"{name}" in status for name in ("prefect", "worker", "web")) and "stopped" not in status

        run = run_reconcile(api)
        assert run["state"]["type"] == "COMPLETED", run["state"]
        after = json.loads(zns(["report", "stack-second", "--json"], home_env, cwd=ROOT).stdout.splitlines()[-1])
        assert after["unknown"] == 0, after  # settled by the stack's worker, in the same ledger
        assert after["zns_delivered"] + after["sms_delivered"] + after["failed"] == 20

        reply = httpx.get(f"{web}/reports/stack-first/report-stack-first.xlsx", timeout=5)
        assert reply.status_code == 200 and reply.content.startswith(b"PK")
        assert "spreadsheetml" in reply.headers["content-type"]
        assert httpx.get(f"{web}/reports/stack-first/..%2F..%2Fledger.db", timeout=5).status_code == 404
        down = zns(["down"], home_env, cwd=tmp_path)
        assert all(f"stopped {name}" in down.stdout for name in ("worker", "web", "prefect")), down.stdout
        up.wait(timeout=60)  # the supervising `zns up` ends when the stack is stopped
        assert "stopped" in zns(["status"], home_env, cwd=ROOT).stdout
    finally:
        if up.poll() is None:
            os.killpg(up.pid, 9)


@pytest.mark.prefect
def test_two_runs_at_once_in_a_fresh_home_start_one_server_that_down_stops(home_env: dict[str, str],
                                                                           tmp_path: Path) -> None:
    """Issue 18: both commands used to start a server on the home's port; the loser's pid was
    recorded, so `zns down` left the winner running. Now the start is locked and `zns down` also
    stops a server serving the home whose record was lost."""
    from zns.stack import home_server_pids

    source, _ = make_sheet(tmp_path / "khach.xlsx", 6, invalid_every=0)
    specs = [write_spec(tmp_path / f"{n}.yaml", spec_for(source, campaign_id=f"twice-{n}", fallback_after=2))
             for n in ("a", "b")]
    runs = [subprocess.Popen([sys.executable, "-m", "zns.cli", "run", str(spec), "--json"], env=home_env,
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for spec in specs]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-1500:] for _, err in outputs]
    assert sum("starting the local Prefect server" in out for out, _ in outputs) == 1
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZNS_HOME", home_env["ZNS_HOME"])
        serving = home_server_pids()
        state = json.loads((Path(home_env["ZNS_HOME"]) / "stack.json").read_text())
        assert serving == [state["prefect"]["pid"]]  # one server, and it is the recorded one
        (Path(home_env["ZNS_HOME"]) / "stack.json").unlink()  # the record is lost
        down = zns(["down"], home_env, cwd=tmp_path)
        assert "stopped prefect" in down.stdout, down.stdout + down.stderr
        wait_for(lambda: not home_server_pids(), 30, "the home's server to stop")
    assert not answers(f"http://127.0.0.1:{home_env['ZNS_PREFECT_PORT']}/api/health")
