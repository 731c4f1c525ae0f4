"""Scale-out: the `zns-campaign-shard` flow and the parent side that runs a campaign's shards.

A campaign above its shard size (zns/campaign/shards.py) sends through child flow runs of the
`zns-campaign-shard` deployment, which any worker of the `campaigns` pool picks up (on this host
or another one sharing the Prefect server, the ledger on PostgreSQL and the recipients file).
A shard that fails or crashes (a lost worker is marked Crashed by the `zns-crashed-runs`
automation, see zns/deploy.py) is started again; its claims keep the resend to what eSMS lacks.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from flows.fanout import send_all
from flows.tasks.campaign import ingest_task, load_template_task, recover_interrupted_task
from zns.campaign.errors import CampaignStopped
from zns.campaign.prepare import run_context, zns_batches_of
from zns.campaign.shards import shard_part
from zns.orchestration.deployments import deployment_parameters
from zns.outcomes import Channel
from zns.spec import CampaignSpec

SHARD_DEPLOYMENT = "zns-campaign-shard/zns-campaign-shard"
SHARD_ATTEMPTS = 3  # a shard is started at most this often before the campaign stops (resumable)
POLL_SECONDS = 2.0
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


@flow(
    name="zns-campaign-shard",
    description="Một phần của chiến dịch ZNS lớn, gửi trên một worker (one shard of a big ZNS campaign)",
    task_runner=ThreadPoolTaskRunner(max_workers=32),
    validate_parameters=True,
)
def zns_campaign_shard(spec: CampaignSpec, campaign_id: str, shard: int, shards: int, expected_valid: int,
                       sandbox: bool, since: datetime, run_date: date, price: float | None = None) -> dict[str, int]:
    """Send this shard's part of the campaign's valid rows (the parent has recorded them all)."""
    template, sms_template = load_template_task(spec)
    validation, _ = ingest_task(spec, template, sms_template, None, run_date, campaign_id)
    mine = shard_part(validation.valid, shard, shards, expected_valid)
    ctx = run_context(spec, campaign_id, sandbox=sandbox, claimed_by=flow_run.get_id() or "local")
    recover_interrupted_task(spec.account, ctx, Channel.ZNS, since)
    results, _ = send_all(spec, ctx, zns_batches_of(mine, spec.batch_size), price, label=f"shard {shard + 1}/{shards}")
    get_run_logger().info("shard %d/%d: %d recipients sent", shard + 1, shards, len(mine))
    return {"shard": shard, "recipients": len(mine), "accepted": sum(r.accepted for r in results),
            "rejected": sum(r.rejected for r in results), "skipped": sum(r.skipped for r in results)}


def _start(parameters: dict[str, Any], key: str) -> str:
    from prefect.deployments import run_deployment

    child = run_deployment(SHARD_DEPLOYMENT, parameters=parameters, timeout=0, as_subflow=True,
                           idempotency_key=key, tags=["zns", "shard"])
    return str(child.id)


def _states(run_ids: dict[int, str]) -> dict[int, tuple[str, str]]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        runs = {i: client.read_flow_run(UUID(rid)) for i, rid in run_ids.items()}
    return {i: (r.state.type.value if r.state else "PENDING", (r.state.message or "") if r.state else "")
            for i, r in runs.items()}


def run_shards(spec: CampaignSpec, campaign_id: str, shards: int, *, expected_valid: int, sandbox: bool,
               since: datetime, run_date: date, price: float | None) -> None:
    """Start every shard, wait for all, start a failed or crashed one again (at most SHARD_ATTEMPTS)."""
    logger = get_run_logger()
    base = deployment_parameters(spec, SHARD_DEPLOYMENT)
    parent = flow_run.get_id() or "local"
    attempts = dict.fromkeys(range(shards), 1)

    def start(shard: int) -> str:
        params = {**base, "campaign_id": campaign_id, "shard": shard, "shards": shards,
                  "expected_valid": expected_valid, "sandbox": sandbox, "since": since.isoformat(),
                  "run_date": run_date.isoformat(), "price": price}
        return _start(params, f"{campaign_id}:{parent}:shard-{shard}:attempt-{attempts[shard]}")

    running = {i: start(i) for i in range(shards)}
    logger.info("campaign split into %d shards of about %d recipients", shards, expected_valid // shards)
    while running:
        time.sleep(POLL_SECONDS)
        for shard, (state, message) in _states(running).items():
            if state not in FINAL:
                continue
            run_id = running.pop(shard)
            if state == "COMPLETED":
                logger.info("shard %d/%d completed (flow run %s)", shard + 1, shards, run_id)
                continue
            if attempts[shard] >= SHARD_ATTEMPTS:
                raise CampaignStopped(
                    f"shard {shard + 1}/{shards} ended {state} {attempts[shard]} times ({message[:200]}); "
                    "run the campaign again to finish it — Một phần chiến dịch lỗi nhiều lần; chạy lại chiến dịch"
                )
            attempts[shard] += 1
            logger.warning("shard %d/%d ended %s (%s); starting it again (attempt %d)",
                           shard + 1, shards, state, message[:200], attempts[shard])
            running[shard] = start(shard)
