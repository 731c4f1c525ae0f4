"""prefect.yaml deployed to a real local server; a process worker runs a run scheduled ahead."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from esms_sim.server import SimulatorServer
from tests.flows.support import make_sheet, run_cli, spec_for, write_spec
from zns.ledger import Ledger
from zns.orchestration.deployments import refresh_form, start_worker
from zns.orchestration.localprefect import LocalPrefect
from zns.spec import slugify
from zns.timeutil import VN


def _flow_run(run_id: str) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(run_id))


def _artifact_keys(run_id: str) -> set[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(run_id)]))
        )
    return {a.key for a in artifacts if a.key}


def _deployments() -> set[str]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return {d.name for d in client.read_deployments()}


@pytest.mark.prefect
def test_prefect_yaml_deploys_every_deployment(deployed: LocalPrefect) -> None:
    assert {"zns-campaign", "birthday-greetings", "zns-reconcile", "zns-refresh-form"} <= _deployments()


@pytest.mark.prefect
def test_scheduled_run_executes_on_a_process_worker(deployed: LocalPrefect, campaign_env: dict[str, str],
                                                   flow_sim: SimulatorServer, tmp_path: Path) -> None:
    # The form's choices in place (as after `zns deploy`): a SPEC's bare ids still pass Prefect's check.
    assert refresh_form(deployed.api_url, campaign_env)[0].startswith("zns-campaign/zns-campaign: form lists")
    source, invalid = make_sheet(tmp_path / "khach.xlsx", 40, invalid_every=10)
    data = spec_for(source)
    data.pop("campaign_id")  # a scheduled run is its own campaign
    spec = write_spec(tmp_path / "spec.yaml", data)
    at = (datetime.now(VN) + timedelta(seconds=8)).strftime("%Y-%m-%d %H:%M:%S")
    first = run_cli(["schedule", str(spec), "--at", at, "--json"], campaign_env)
    again = run_cli(["schedule", str(spec), "--at", at, "--json"], campaign_env)
    assert first.returncode == 0, first.stderr
    run_id = json.loads(first.stdout.strip().splitlines()[-1])["flow_run_id"]
    assert json.loads(again.stdout.strip().splitlines()[-1])["flow_run_id"] == run_id  # one run, not two
    assert _flow_run(run_id).state.is_scheduled()

    worker = start_worker(deployed.api_url, tmp_path / "worker.log", campaign_env)
    try:
        deadline = time.monotonic() + 180
        run = _flow_run(run_id)
        while time.monotonic() < deadline and not run.state.is_final():
            time.sleep(1)
            run = _flow_run(run_id)
    finally:
        worker.stop()
    assert run.state.is_completed(), f"{run.state.name}: {run.state.message} (see {worker.log_path})"
    assert run.deployment_id is not None

    campaign_id = f"{slugify(data['campaign_name'], 40)}-{run_id.replace('-', '')[:12]}"
    summary = Ledger.from_url(campaign_env["ZNS_LEDGER_URL"]).summary(campaign_id)
    assert summary["rows"] == 40 and summary["invalid"] == invalid == 4
    assert summary["zns_accepted"] == 36
    keys = _artifact_keys(run_id)
    assert {f"{slugify(campaign_id, 50)}-report", f"{slugify(campaign_id, 50)}-workbook"} <= keys


@pytest.mark.prefect
def test_scheduled_run_can_be_cancelled(deployed: LocalPrefect, campaign_env: dict[str, str],
                                        flow_sim: SimulatorServer, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled

    source, _ = make_sheet(tmp_path / "khach.xlsx", 5, invalid_every=0)
    data = spec_for(source, send_at=(datetime.now(VN) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:00"))
    spec = write_spec(tmp_path / "spec.yaml", data)
    result = run_cli(["run", str(spec), "--json"], campaign_env)  # send_at in the future: scheduled, not run
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert _flow_run(line["flow_run_id"]).state.is_scheduled()
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(UUID(line["flow_run_id"]), Cancelled())
    assert _flow_run(line["flow_run_id"]).state.is_cancelled()
    assert flow_sim.state.counts()["endpoints"].get("send_zns_bulk_v4_post_json", 0) == 0
