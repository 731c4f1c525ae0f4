"""`zns demo`: the whole product on embedded defaults, in one command.

Starts the eSMS simulator on loopback and (or reuses) a local Prefect server on SQLite under
`.zns/prefect`, registers the blocks, deploys `prefect.yaml`, starts a process worker, runs the
sample campaign of `data/samples/` through the `zns-campaign` deployment, waits, and prints
the summary, the run's URL and the workbook path. Ctrl-C stops what it started.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from zns.deploy import CAMPAIGN_DEPLOYMENT, ROOT, deploy_all, start_worker
from zns.localprefect import ensure_server
from zns.timeutil import vn_now

SAMPLES = ROOT / "data" / "samples"
DEMO_ENV = {"ESMS_API_KEY": "DEMO_API_KEY", "ESMS_SECRET_KEY": "DEMO_SECRET_KEY"}
# A little more than the simulator's default failure rates, so the demo shows the SMS fallback.
DEMO_RATES = {"no_zalo": 0.15, "inactive": 0.05, "not_online": 0.05}


class DemoError(RuntimeError):
    """The demo could not complete; the message says where to look."""


def run_demo(spec_path: Path | None = None, *, state_dir: Path | None = None,
             wait_seconds: float = 600, keep_server: bool = True) -> dict[str, Any]:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from esms_sim.server import SimulatorServer
    from esms_sim.state import SimState
    from zns.ledger import Ledger
    from zns.spec import load_spec, slugify

    state_dir = (state_dir or Path.cwd() / ".zns").resolve()
    spec = load_spec(spec_path or SAMPLES / "campaign.yaml")
    spec = spec.model_copy(update={"campaign_id": f"{slugify(spec.campaign_name, 30)}-{vn_now():%Y%m%d-%H%M%S}"})
    ledger_url = f"sqlite:///{state_dir / 'ledger.db'}"
    typer.echo("starting the local Prefect server (first start takes ~15 s) ...")
    server = ensure_server(state_dir / "prefect", port=int(os.environ.get("ZNS_PREFECT_PORT", "4200")))
    worker = None
    try:
        with SimulatorServer(SimState(seed=2026, zns_rates=DEMO_RATES)) as sim:
            typer.echo(f"eSMS simulator: {sim.base_url}")
            typer.echo("deploying prefect.yaml to the work pool 'campaigns' ...")
            deploy_all(server.api_url)
            env = {**DEMO_ENV, "ESMS_BASE_URL": sim.base_url, "ZNS_LEDGER_URL": ledger_url,
                   "ZNS_REPORT_DIR": str(state_dir / "reports")}
            worker = start_worker(server.api_url, state_dir / "worker.log", env)
            typer.echo(f"running the sample campaign {spec.campaign_id} through the deployment ...")
            with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
                flow_run = run_deployment(
                    CAMPAIGN_DEPLOYMENT,
                    parameters={"spec": spec.model_dump(mode="json")},
                    timeout=wait_seconds,
                    poll_interval=2,
                    as_subflow=False,
                )
            state = flow_run.state
            if state is None or not state.is_completed():
                name = state.name if state else "unknown"
                raise DemoError(f"the demo run ended {name}: {state.message if state else ''} (see {worker.log_path})")
    except BaseException:
        if worker is not None:
            worker.stop()
        server.stop()
        raise
    worker.stop()
    if not keep_server:
        server.stop()
    campaign = Ledger.from_url(ledger_url).campaign(spec.campaign_id)
    stats = (campaign.stats if campaign is not None else None) or {}
    summary = {k: v for k, v in stats.items() if k not in ("started_at", "finished_at")}
    typer.echo(f"flow run: {server.ui_url}/runs/flow-run/{flow_run.id}")
    if server.process is not None and keep_server:
        pid = server.process.pid
        typer.echo(f"the Prefect UI stays up at {server.ui_url} (stop it with: kill {pid})")
    return summary
