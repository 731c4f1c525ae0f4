"""Deployments, workers and scheduled runs on a Prefect server (what `zns deploy`, `zns schedule`
and `zns demo` do), kept apart from the flows so the CLI can use them without running a flow."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zns.orchestration.localprefect import stop_process_group
from zns.spec import CampaignSpec

ROOT = Path(__file__).resolve().parents[2]  # the project (prefect.yaml, data/samples)
POOL = "campaigns"
CAMPAIGN_DEPLOYMENT = "zns-campaign/zns-campaign"
CRASH_AUTOMATION = "zns-crashed-runs"
DEFAULT_CRASH_AFTER = 120  # the product's workers beat every HEARTBEAT_SECONDS
HEARTBEAT_SECONDS = 30  # Prefect's minimum


class DeployError(RuntimeError):
    """Deploying or scheduling failed; the message is one line for the operator."""


def _prefect(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise DeployError(f"`prefect {' '.join(args)}` failed: {' | '.join(tail)}")
    return result.stdout


def deploy_all(api_url: str, project_dir: Path = ROOT, names: list[str] | None = None,
               account_env: Mapping[str, str] | None = None) -> list[str]:
    """Create the process work pool, register the blocks, deploy `prefect.yaml` and fill the run
    form's choices from the account (ESMS_* of `account_env`); returns what to tell the operator."""
    env = {**os.environ, "PREFECT_API_URL": api_url, "ZNS_PROJECT_DIR": str(project_dir)}
    pools = _prefect(["work-pool", "ls"], env, project_dir)
    if f" {POOL} " not in pools and f"│ {POOL}" not in pools:
        _prefect(["work-pool", "create", POOL, "--type", "process"], env, project_dir)
    _prefect(["block", "register", "-m", "flows.blocks"], env, project_dir)
    selection = [arg for name in names for arg in ("-n", name)] if names else ["--all"]
    _prefect(["deploy", *selection], env, project_dir)
    ensure_crash_automation(api_url)
    return refresh_form(api_url, {**os.environ, **(account_env or {})})


def crash_after() -> int:
    """Seconds without a heartbeat before a run of ours counts as crashed ($ZNS_CRASH_AFTER)."""
    raw = os.environ.get("ZNS_CRASH_AFTER", "").strip()
    return int(raw) if raw.isdigit() and int(raw) >= 40 else DEFAULT_CRASH_AFTER


def ensure_crash_automation(api_url: str) -> None:
    """A run whose worker died stays Running for ever; this automation (Prefect's zombie-run
    recipe, limited to the product's `zns` tag) marks it Crashed, so a campaign starts its
    shard again and the UI tells the truth."""
    from datetime import timedelta

    from prefect.automations import Automation, ChangeFlowRunState, EventTrigger, Posture
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        with get_client(sync_client=True) as client:
            for old in client.read_automations_by_name(CRASH_AUTOMATION):
                client.delete_automation(old.id)
        Automation(
            name=CRASH_AUTOMATION,
            description="Đánh dấu Crashed khi worker mất liên lạc (a run without heartbeats is crashed)",
            trigger=EventTrigger(
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related={"prefect.resource.role": "tag", "prefect.resource.id": "prefect.tag.zns"},
                after={"prefect.flow-run.heartbeat"},
                expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed", "prefect.flow-run.Failed",
                        "prefect.flow-run.Cancelled", "prefect.flow-run.Crashed"},
                for_each={"prefect.resource.id"},
                posture=Posture.Proactive,
                threshold=1,
                within=timedelta(seconds=crash_after()),
            ),
            actions=[ChangeFlowRunState(state=StateType.CRASHED,
                                        message=f"no heartbeat for {crash_after()} s: its worker is gone")],
        ).create()


def refresh_form(api_url: str, account_env: Mapping[str, str]) -> list[str]:
    """The run form's dropdowns; without a reachable account the form keeps plain text fields."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from esms import EsmsError
    from zns.accounts import AccountError
    from zns.orchestration.run_form import refresh_run_form

    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            return refresh_run_form(account_env.get("ZNS_ACCOUNT_BLOCK") or None, account_env)
    except (AccountError, EsmsError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [f"run form without OA/template choices ({first}); `zns deploy` again once the account works"]


@dataclass(slots=True)
class Worker:
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        stop_process_group(self.process, grace=30.0)


def start_worker(api_url: str, log_path: Path, env: dict[str, str] | None = None,
                 limit: int | None = None) -> Worker:
    """A process worker on the campaigns pool (at most `limit` flow runs at once); flow runs
    inherit this environment."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        **(env or {}),
        "PREFECT_API_URL": api_url,
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS),
    }
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--type", "process",
             *(["--limit", str(limit)] if limit else [])],
            env=full_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Worker(process, log_path)


def schedule_key(spec: CampaignSpec, at: datetime) -> str:
    """The same SPEC at the same time is one scheduled run, however often it is submitted."""
    raw = f"{spec.fingerprint()}|{at.astimezone(UTC).isoformat()}"
    return "zns-schedule-" + hashlib.sha256(raw.encode()).hexdigest()[:24]


def deployment_parameters(spec: CampaignSpec, deployment: str = CAMPAIGN_DEPLOYMENT) -> dict[str, Any]:
    """The flow run's parameters in the shape the deployment's form (and Prefect's check) takes."""
    from prefect.client.orchestration import get_client

    from zns.form_schema import form_parameters

    with get_client(sync_client=True) as client:
        schema = client.read_deployment_by_name(deployment).parameter_openapi_schema or {}
    return {"spec": form_parameters(spec.model_dump(mode="json", exclude={"send_at"}), schema)}


POSTPONED_STATE = "Postponed"


def _name_postponed(run_id: Any, at: datetime, reason: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run_id, Scheduled(scheduled_time=at.astimezone(UTC), name=POSTPONED_STATE,
                                                    message=reason[:2000]), force=True)


def schedule_campaign(spec: CampaignSpec, at: datetime, deployment: str = CAMPAIGN_DEPLOYMENT,
                      key: str | None = None, postponed: str | None = None) -> Any:
    """Create (or find) the scheduled flow run of the campaign deployment; returns the FlowRun.
    `key` (default: the SPEC and the time) makes asking twice one run. A `postponed` reason names
    its Scheduled state "Postponed" with the reason, so the Prefect UI says why it waits."""
    from prefect.deployments import run_deployment

    try:
        parameters = deployment_parameters(spec, deployment)
        run = run_deployment(
            deployment,
            parameters=parameters,
            scheduled_time=at.astimezone(UTC),
            idempotency_key=key or schedule_key(spec, at),
            timeout=0,
            as_subflow=False,
            tags=["zns", "scheduled", *(["postponed"] if postponed else [])],
        )
        if postponed and run.state is not None and run.state.is_scheduled():
            _name_postponed(run.id, at, postponed)
        return run
    except Exception as exc:  # noqa: BLE001 - the Prefect client raises several kinds here
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DeployError(
            f"cannot schedule on deployment {deployment!r}: {first} — run `zns deploy` first"
        ) from None
