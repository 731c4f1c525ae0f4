"""`zns demo`: `zns up` plus the eSMS simulator and the sample campaign, in one command.

Brings up the local stack in the data home (Prefect server, deployments, `campaigns` worker,
web server), starts the simulator as one more stack process, runs the sample campaign of
`data/samples/` through the `zns-campaign` deployment, waits, and prints the summary, the
run's URL and the workbook. The stack stays up with its deployments Ready (`zns down` stops
it), or with `--no-keep-server` everything is stopped again.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
import typer

from zns.home import data_home, ledger_url
from zns.orchestration.deployments import CAMPAIGN_DEPLOYMENT, ROOT, deployment_parameters
from zns.ports import ports
from zns.spec import CampaignSpec
from zns.timeutil import vn_now

SAMPLES = ROOT / "data" / "samples"
DEMO_ENV = {"ESMS_API_KEY": "DEMO_API_KEY", "ESMS_SECRET_KEY": "DEMO_SECRET_KEY"}
# A little more than the simulator's default failure rates, so the demo shows the SMS fallback.
DEMO_RATES = {"no_zalo": 0.15, "inactive": 0.05, "not_online": 0.05}


class DemoError(RuntimeError):
    """The demo could not complete; the message says where to look."""


def start_simulator() -> str:
    """The simulator as a stack process (it must outlive this command for the worker's runs)."""
    from zns import stack

    port = ports().simulator_port
    root = f"http://127.0.0.1:{port}"
    base = f"{root}/MainService.svc/json/"
    with stack.home_lock():
        if not _answers(root):
            log = data_home() / "logs" / "simulator.log"
            process = stack._start("simulator", [sys.executable, "-m", "zns.cli", "simulator", "--port", str(port),
                                                 "--seed", "2026"], {}, log)
            if not stack._wait_http(f"{root}/_sim/config", timeout=30):
                raise DemoError(f"the eSMS simulator did not start (see {log})")
            stack._record("simulator", process.pid, base, log)
    httpx.post(f"{root}/_sim/config", json={"zns_rates": DEMO_RATES}, timeout=5).raise_for_status()
    return base


def _answers(root: str) -> bool:
    try:
        return httpx.get(f"{root}/_sim/config", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def run_demo(spec_path: Path | None = None, *, wait_seconds: float = 600, keep_server: bool = True) -> dict[str, Any]:
    from zns import stack
    from zns.spec import load_spec, slugify

    spec = load_spec(spec_path or SAMPLES / "campaign.yaml")
    spec = spec.model_copy(update={"campaign_id": f"{slugify(spec.campaign_name, 30)}-{vn_now():%Y%m%d-%H%M%S}"})
    try:
        base = start_simulator()
        typer.echo(f"eSMS simulator: {base}")
        running = stack.up(typer.echo, env={**DEMO_ENV, "ESMS_BASE_URL": base})
        typer.echo(f"running the sample campaign {spec.campaign_id} through the deployment ...")
        flow_run = _run(running.api_url, spec, wait_seconds)
    except BaseException:
        stack.down(typer.echo)
        raise
    summary = _summary(spec.campaign_id)
    typer.echo(f"flow run: {running.ui_url}/runs/flow-run/{flow_run.id}")
    if keep_server:
        typer.echo(f"Prefect UI: {running.ui_url} — campaign page: {running.web_url}/campaigns/new — reports: "
                   f"{running.web_url} — the stack stays up "
                   "(deployments Ready); stop it with `zns down`")
    else:
        stack.down(typer.echo)
    return summary


def _run(api_url: str, spec: CampaignSpec, wait_seconds: float) -> Any:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        parameters = deployment_parameters(spec, CAMPAIGN_DEPLOYMENT)
        flow_run = run_deployment(CAMPAIGN_DEPLOYMENT, parameters=parameters, timeout=wait_seconds,
                                  poll_interval=2, as_subflow=False)
    state = flow_run.state
    if state is None or not state.is_completed():
        name = state.name if state else "unknown"
        log = data_home() / "logs" / "worker.log"
        raise DemoError(f"the demo run ended {name}: {state.message if state else ''} (see {log})")
    return flow_run


def _summary(campaign_id: str) -> dict[str, Any]:
    from zns.campaign.lifecycle import CampaignStats
    from zns.ledger import Ledger

    ledger = Ledger.from_url(ledger_url())
    campaign = ledger.campaign(campaign_id)
    ledger.close()
    stats = CampaignStats.from_json(campaign.stats if campaign is not None else None)
    return {**stats.summary, **({"postponed": stats.postponed} if stats.postponed else {})}
