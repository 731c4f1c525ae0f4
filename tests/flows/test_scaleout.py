"""Scale-out on one machine as it would run on several: the Prefect server and the ledger on
PostgreSQL, two process workers on the `campaigns` pool, a campaign split into shards (child runs
of `zns-campaign-shard`). One worker is SIGKILLed while it sends a shard: the `zns-crashed-runs`
automation marks that run Crashed when its heartbeats stop, the campaign starts the shard again
on the other worker, and every recipient still gets each channel once."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import sqlalchemy as sa

from esms_sim.server import SimulatorServer
from tests.conftest import TEST_SERVER_SETTINGS, _free_port
from tests.flows.support import (
    check_campaign,
    fresh_pg_database,
    prefect_api,
    sheet,
    spec_for,
    start_cli,
    summary_of,
    write_spec,
)
from zns.orchestration.deployments import Worker, deploy_all, start_worker
from zns.orchestration.localprefect import LocalPrefect, ensure_server

CRASH_AFTER = 40  # the automation's window; the workers beat every 30 s (Prefect's minimum)
SLOW_BULK = {"endpoint": "send_zns_bulk_v4_post_json", "kind": "slow", "rate": 1.0, "delay": 0.8,
             "after_processing": True}  # a shard sends for ~4 s: time enough to lose its worker mid-send


@pytest.fixture(scope="module")
def pg_prefect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrefect]:
    """A Prefect server of its own on PostgreSQL, with the shard deployment and the crash automation."""
    with fresh_pg_database("zns_prefect") as url:
        async_url = url.replace("postgresql+psycopg://", "postgresql+asyncpg://")
        settings = {**TEST_SERVER_SETTINGS, "PREFECT_SERVER_DATABASE_CONNECTION_URL": async_url}
        server = ensure_server(tmp_path_factory.mktemp("pg-prefect"), port=_free_port(), startup_timeout=180,
                               settings=settings)
        try:
            os.environ["ZNS_CRASH_AFTER"] = str(CRASH_AFTER)
            deploy_all(server.api_url, names=["zns-campaign-shard"])
            yield server
        finally:
            os.environ.pop("ZNS_CRASH_AFTER", None)
            server.stop()


def _shard_runs(api: str) -> list[dict[str, Any]]:
    return list(prefect_api("POST", f"{api}/flow_runs/filter",
                            json={"flow_runs": {"tags": {"all_": ["shard"]}}, "limit": 50}))


def _runs_under(worker: Worker, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs whose process is a child of this worker (infrastructure_pid is "host:pid")."""
    mine = []
    for run in runs:
        pid = str(run.get("infrastructure_pid") or "").rpartition(":")[2]
        try:
            parents = {p.pid for p in psutil.Process(int(pid)).parents()} if pid.isdigit() else set()
        except psutil.NoSuchProcess:
            continue
        if worker.process.pid in parents:
            mine.append(run)
    return mine


def _claims_of(ledger_url: str, run_id: str) -> int:
    engine = sa.create_engine(ledger_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM messages WHERE claimed_by = :r"), {"r": run_id})
                       .scalar_one())
    finally:
        engine.dispose()


def _kill_when_sending(worker: Worker, api: str, ledger_url: str, killed: list[str], stop: threading.Event) -> None:
    """Once a shard of this worker has claimed recipients (it is sending), SIGKILL the shard's process
    and the worker: a host lost at once, so nothing reports the run's end (only its missing heartbeats)."""
    while not stop.is_set():
        running = [r for r in _shard_runs(api) if r["state_type"] == "RUNNING"]
        for run in _runs_under(worker, running):
            if _claims_of(ledger_url, run["id"]):
                killed.append(run["id"])
                os.kill(int(str(run["infrastructure_pid"]).rpartition(":")[2]), signal.SIGKILL)
                os.killpg(worker.process.pid, signal.SIGKILL)
                return
        time.sleep(0.1)


@pytest.mark.prefect
@pytest.mark.postgres
def test_two_workers_share_a_campaigns_shards_and_a_lost_worker_is_made_good(
    pg_prefect: LocalPrefect, flow_sim: SimulatorServer, tmp_path: Path,
) -> None:
    flow_sim.state.reset(seed=7)
    flow_sim.state.configure(zns_rates={"no_zalo": 0.08, "refused": 0.02}, late_outcomes=[], final_delay=0.2,
                             faults=[SLOW_BULK])
    with fresh_pg_database("zns_ledger") as ledger_url:
        env = {"ESMS_API_KEY": "DEMO_API_KEY", "ESMS_SECRET_KEY": "DEMO_SECRET_KEY", "ESMS_BASE_URL": flow_sim.base_url,
               "ZNS_LEDGER_URL": ledger_url, "ZNS_REPORT_DIR": str(tmp_path / "reports"),
               "PREFECT_API_URL": pg_prefect.api_url, "ZNS_HOME": str(tmp_path / "home")}
        sh = sheet(tmp_path / "khach.xlsx", 2000)
        spec = write_spec(tmp_path / "spec.yaml", spec_for(sh.path, shard_size=500, batch_size=100, concurrency=1,
                                                           fallback_after=30))
        # Two runs at most per worker: the four shards are shared, as on hosts sized for their load.
        first = start_worker(pg_prefect.api_url, tmp_path / "worker-1.log", env, limit=2)
        second = start_worker(pg_prefect.api_url, tmp_path / "worker-2.log", env, limit=2)
        killed: list[str] = []
        stop = threading.Event()
        killer = threading.Thread(target=_kill_when_sending,
                                  args=(first, pg_prefect.api_url, ledger_url, killed, stop), daemon=True)
        killer.start()
        try:
            result = start_cli(["run", str(spec), "--json"], env, tmp_path / "cli").finish(timeout=420)
        finally:
            stop.set()
            first.stop()
            second.stop()
        summary = summary_of(result)
        check_campaign(summary, sh, flow_sim, ledger_url)

    runs = _shard_runs(pg_prefect.api_url)
    assert killed, "the first worker never ran a shard"
    by_shard: dict[int, list[dict[str, Any]]] = {}
    for run in runs:
        by_shard.setdefault(int(run["parameters"]["shard"]), []).append(run)
    assert sorted(by_shard) == [0, 1, 2, 3]  # 1,900 valid rows in shards of about 500
    assert all(any(r["state_type"] == "COMPLETED" for r in rs) for rs in by_shard.values())
    lost = next(r for r in runs if r["id"] == killed[0])
    assert lost["state_type"] == "CRASHED", lost["state"]
    assert "heartbeat" in (lost["state"]["message"] or "")
    again = by_shard[int(lost["parameters"]["shard"])]
    assert len(again) == 2 and any(r["state_type"] == "COMPLETED" for r in again)  # started again, finished
