"""`zns demo`: the whole product on embedded defaults, in one command.

Starts the eSMS simulator on loopback, starts (or reuses) a local Prefect server on SQLite
under `.zns/prefect`, runs the sample campaign of `data/samples/` through the `zns-campaign`
flow against a SQLite ledger, and prints the summary, the run's URL and the workbook path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from zns.localprefect import ensure_server
from zns.timeutil import vn_now

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
DEMO_KEYS = {"ESMS_API_KEY": "DEMO_API_KEY", "ESMS_SECRET_KEY": "DEMO_SECRET_KEY"}


def run_demo(spec_path: Path | None = None, *, state_dir: Path | None = None) -> dict[str, Any]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from esms_sim.server import SimulatorServer
    from zns.spec import load_spec, slugify

    state_dir = (state_dir or Path.cwd() / ".zns").resolve()
    spec = load_spec(spec_path or SAMPLES / "campaign.yaml")
    spec = spec.model_copy(
        update={"campaign_id": f"{slugify(spec.campaign_name, 30)}-{vn_now():%Y%m%d-%H%M%S}"}
    )
    typer.echo("starting the eSMS simulator and the local Prefect server ...")
    server = ensure_server(state_dir / "prefect")
    try:
        with SimulatorServer() as sim:
            os.environ.update(DEMO_KEYS)
            os.environ["ESMS_BASE_URL"] = sim.base_url
            os.environ.setdefault("ZNS_LEDGER_URL", f"sqlite:///{state_dir / 'ledger.db'}")
            os.environ.setdefault("ZNS_REPORT_DIR", str(state_dir / "reports"))
            typer.echo(f"simulator: {sim.base_url}")
            typer.echo(f"Prefect UI: {server.ui_url}")
            with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
                from flows.campaign import zns_campaign
                from zns.cli import _quiet_console

                _quiet_console()
                state = zns_campaign(spec, return_state=True)
                run_id = state.state_details.flow_run_id
            if not state.is_completed():
                exc = state.result(raise_on_failure=False)
                raise exc if isinstance(exc, BaseException) else RuntimeError(str(state.message))
            summary: dict[str, Any] = state.result()
    except BaseException:
        server.stop()
        raise
    typer.echo(f"campaign: {spec.campaign_id}")
    typer.echo(f"flow run: {server.ui_url}/runs/flow-run/{run_id}")
    if server.process is not None:
        typer.echo(
            f"the Prefect server keeps running for the UI (pid {server.process.pid}); "
            f"stop it with: kill {server.process.pid}"
        )
    return summary
