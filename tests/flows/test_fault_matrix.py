"""The trust issue's fault matrix, end to end: crashes, concurrent runs, outages and gateway faults.

Each case drives `zns run SPEC --json` in a subprocess, as an operator does, against a real
Prefect server and the simulator over loopback HTTP, then checks the same exactness rules
(`check_campaign`): one final state per row, no channel twice, the report equal to what was
delivered, nothing left unknown after the final (re-)run.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from esms_sim.server import SimulatorServer
from esms_sim.state import SimState
from tests.flows.support import (
    FALLBACK_OUTCOMES,
    CliRun,
    Sheet,
    check_campaign,
    fresh_pg_database,
    kill_when,
    run_cli,
    send_requests,
    sheet,
    spec_for,
    start_cli,
    summary_of,
    wait_during,
    write_spec,
)
from zns.orchestration.localprefect import ensure_server

CAMPAIGN = "test-campaign"
BULK = "send_zns_bulk_v4_post_json"
SMS = "sendmultiplemessage_v4_post_json"
WINDOW = "getsmssentdata_v2"
# Every bulk request answers 0.3 s late, after it was processed: sends take long enough to be
# interrupted, and an interrupted request leaves claims that eSMS did take (a re-run must find
# them at eSMS, or resend them under the same RequestId and get 124, never send them again).
SLOW_BULK: dict[str, Any] = {"endpoint": BULK, "kind": "slow", "rate": 1.0, "delay": 0.3, "after_processing": True}


def configure(sim: SimulatorServer, **extra: Any) -> None:
    """~16 % of the ZNS end in a fallback reason, 5 % of the SMS fail; no late outcomes unless
    asked (each one costs the delivery wait another 2 s poll)."""
    settings: dict[str, Any] = {
        "zns_rates": {"no_zalo": 0.08, "inactive": 0.03, "refused": 0.02, "not_online": 0.03},
        "late_outcomes": [], "final_delay": 0.2, "sms_rates": {"failed": 0.05},
    }
    sim.state.configure(**{**settings, **extra})


def totals(sim: SimulatorServer, channel: str, what: str = "received") -> int:
    return int(sim.state.counts()["totals"][channel][what])


def hits(sim: SimulatorServer, endpoint: str) -> int:
    return int(sim.state.counts()["endpoints"].get(endpoint, 0))


def campaign_spec(tmp_path: Path, sh: Sheet, **extra: Any) -> Path:
    return write_spec(tmp_path / "spec.yaml", spec_for(sh.path, **{"fallback_after": 30, **extra}))


def rerun(spec: Path, env: dict[str, str]) -> dict[str, Any]:
    """The operator's answer to any interruption: run the same SPEC again."""
    return summary_of(run_cli(["run", str(spec), "--json"], env))


def completed_or_rerun(result: subprocess.CompletedProcess[str], spec: Path, env: dict[str, str],
                       what: str) -> dict[str, Any]:
    """A run that survived the fault gives its summary; a failed one is followed by a re-run."""
    if result.returncode == 0:
        print(f"{what}: the run itself completed")
        return summary_of(result)
    print(f"{what}: the run failed (rc {result.returncode}: "
          f"{(result.stderr.strip().splitlines() or [''])[-1]}); re-running")
    return rerun(spec, env)


def message_kinds(url: str, channel: str) -> dict[tuple[str, bool, int], int]:
    """How a channel's messages ended up accepted: (code, got 124, attempts) -> count."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT code, duplicate, attempts, count(*) FROM messages WHERE "
                                        "campaign_id = :c AND channel = :ch GROUP BY code, duplicate, attempts"),
                                {"c": CAMPAIGN, "ch": channel})
            return {(str(code), bool(dup), int(att)): int(n) for code, dup, att, n in rows}
    finally:
        engine.dispose()


def claimers(url: str) -> dict[str, int]:
    """Messages per (channel, last claiming flow run): did both concurrent runs take part?"""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT channel, claimed_by, count(*) FROM messages WHERE campaign_id = :c "
                                        "GROUP BY channel, claimed_by"), {"c": CAMPAIGN})
            return {f"{ch}:{str(by)[:8]}": int(n) for ch, by, n in rows}
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sqlite_path(url: str) -> Path:
    return Path(sa.make_url(url).database or "")


# -- 1-4: SIGKILL at each stage, then a re-run ---------------------------------------------------


@pytest.mark.prefect
def test_sigkill_during_zns_sends_then_rerun(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                             tmp_path: Path) -> None:
    """Claims of the killed run (some processed by eSMS, unanswered) must not reach a phone twice."""
    configure(flow_sim, faults=[SLOW_BULK])
    sh = sheet(tmp_path / "khach.xlsx", 200)
    spec = campaign_spec(tmp_path, sh, batch_size=20, concurrency=1)
    run = start_cli(["run", str(spec), "--json"], campaign_env, tmp_path / "run-1")
    kill_when(run, lambda: totals(flow_sim, "zns") >= 60)
    killed_at = totals(flow_sim, "zns")
    assert killed_at < len(sh.valid) and totals(flow_sim, "sms") == 0

    flow_sim.state.configure(faults=[])
    check_campaign(rerun(spec, campaign_env), sh, flow_sim, campaign_env["ZNS_LEDGER_URL"])


@pytest.mark.prefect
def test_sigkill_during_delivery_wait_then_rerun(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                                 tmp_path: Path) -> None:
    """Killed after every ZNS was accepted, before the fallback: the re-run waits and falls back."""
    configure(flow_sim, late_outcomes=["not_online"], late_delay=4.0)  # the wait stays open ~4 s
    sh = sheet(tmp_path / "khach.xlsx", 200)
    spec = campaign_spec(tmp_path, sh, batch_size=50)
    run = start_cli(["run", str(spec), "--json"], campaign_env, tmp_path / "run-1")
    kill_when(run, lambda: hits(flow_sim, WINDOW) >= 1)  # the first delivery sweep has begun
    assert totals(flow_sim, "zns") == len(sh.valid) and totals(flow_sim, "sms") == 0

    check_campaign(rerun(spec, campaign_env), sh, flow_sim, campaign_env["ZNS_LEDGER_URL"])


@pytest.mark.prefect
def test_sigkill_during_sms_fallback_then_rerun(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                                tmp_path: Path) -> None:
    """SMS taken by eSMS but unanswered when killed: the re-run settles them (lookup or 124 on the
    same RequestId) and sends the never-sent ones, none twice."""
    slow_sms = {"endpoint": SMS, "kind": "slow", "rate": 1.0, "delay": 1.5, "after_processing": True}
    configure(flow_sim, faults=[slow_sms])
    sh = sheet(tmp_path / "khach.xlsx", 200)
    spec = campaign_spec(tmp_path, sh, batch_size=50)
    run = start_cli(["run", str(spec), "--json"], campaign_env, tmp_path / "run-1")
    kill_when(run, lambda: totals(flow_sim, "sms") >= 1)
    fallbacks = sum(1 for p in sh.valid if flow_sim.state.config.zns_outcome(p) in FALLBACK_OUTCOMES)
    assert totals(flow_sim, "sms") < fallbacks, "every SMS went out before the kill: no window tested"

    flow_sim.state.configure(faults=[])
    summary = rerun(spec, campaign_env)
    check_campaign(summary, sh, flow_sim, campaign_env["ZNS_LEDGER_URL"])
    assert summary["sms_sent"] == fallbacks
    print("SMS rows after the re-run (code, 124 duplicate, attempts):",
          message_kinds(campaign_env["ZNS_LEDGER_URL"], "sms"))


@pytest.mark.prefect
def test_sigkill_during_report_then_rerun(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                          tmp_path: Path) -> None:
    """Killed once the report stage wrote the final states but not the campaign status: the
    re-run only rebuilds the report and sends nothing."""
    configure(flow_sim)
    sh = sheet(tmp_path / "khach.xlsx", 300)
    spec = campaign_spec(tmp_path, sh, batch_size=100)
    db = sqlite_path(campaign_env["ZNS_LEDGER_URL"])

    def in_report() -> bool:
        """build_report's finalize committed (final states set), set_campaign_status not yet."""
        if not db.exists():
            return False
        try:
            with closing(sqlite3.connect(db, timeout=5)) as conn:
                final = conn.execute("SELECT count(*) FROM recipients WHERE campaign_id = ? "
                                     "AND final_state IS NOT NULL", (CAMPAIGN,)).fetchone()[0]
                status = conn.execute("SELECT status FROM campaigns WHERE campaign_id = ?", (CAMPAIGN,)).fetchone()
        except sqlite3.OperationalError:  # not migrated yet
            return False
        return bool(final) and status == ("running",)

    run = start_cli(["run", str(spec), "--json"], campaign_env, tmp_path / "run-1")
    kill_when(run, in_report, poll=0.01)
    with closing(sqlite3.connect(db, timeout=5)) as conn:
        status = conn.execute("SELECT status FROM campaigns WHERE campaign_id = ?", (CAMPAIGN,)).fetchone()
    assert status == ("running",), f"killed too late: the campaign is already {status}"
    assert totals(flow_sim, "sms", "received") > 0 and totals(flow_sim, "zns") == len(sh.valid)
    before = send_requests(flow_sim)

    check_campaign(rerun(spec, campaign_env), sh, flow_sim, campaign_env["ZNS_LEDGER_URL"])
    assert send_requests(flow_sim) == before, "the re-run sent again"


# -- 5: two runs of the same campaign at once ------------------------------------------------


@pytest.fixture
def pg_ledger_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards; skipped if unreachable."""
    with fresh_pg_database("zns_fault") as url:
        yield url


def finish_in_order(runs: list[CliRun], timeout: float = 300) -> list[subprocess.CompletedProcess[str]]:
    """Wait for every run; results in the order the runs ended (the last one reports last)."""
    ended: list[subprocess.CompletedProcess[str]] = []
    left = list(runs)
    deadline = time.monotonic() + timeout
    while left:
        for run in [r for r in left if r.proc.poll() is not None]:
            ended.append(run.finish())
            left.remove(run)
        if time.monotonic() > deadline:
            for run in left:
                run.kill()
            raise AssertionError("concurrent runs did not end in time")
        time.sleep(0.05)
    return ended


@pytest.mark.prefect
@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_two_runs_of_the_same_campaign_at_once(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                               tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> None:
    """The ledger, not luck, keeps two simultaneous runs from sending anything twice."""
    url = campaign_env["ZNS_LEDGER_URL"] if engine == "sqlite" else request.getfixturevalue("pg_ledger_url")
    env = {**campaign_env, "ZNS_LEDGER_URL": url}
    configure(flow_sim, faults=[SLOW_BULK])
    sh = sheet(tmp_path / "khach.xlsx", 300)
    spec = campaign_spec(tmp_path, sh, batch_size=25, concurrency=2)
    runs = [start_cli(["run", str(spec), "--json"], env, tmp_path / f"run-{i}") for i in (1, 2)]
    first, last = finish_in_order(runs)
    summaries = [summary_of(first), summary_of(last)]
    for s in summaries:
        assert s["rows"] == sum(s[k] for k in ("invalid", "zns_delivered", "sms_delivered", "failed", "unknown"))
    print(f"{engine}: first run to end reported {summaries[0]}; last claimer of each message:",
          claimers(url))
    check_campaign(summaries[1], sh, flow_sim, url)


# -- 6-8: the gateway, the Prefect server and the ledger unavailable for a while -------------


@pytest.mark.prefect
def test_simulator_restarted_mid_campaign(campaign_env: dict[str, str], tmp_path: Path) -> None:
    """eSMS unreachable for 3 s during the sends; it keeps its messages and RequestIds."""
    with SimulatorServer(SimState(seed=7)) as sim:
        configure(sim, faults=[SLOW_BULK])
        env = {**campaign_env, "ESMS_BASE_URL": sim.base_url}
        sh = sheet(tmp_path / "khach.xlsx", 200)
        spec = campaign_spec(tmp_path, sh, batch_size=20, concurrency=1)
        run = start_cli(["run", str(spec), "--json"], env, tmp_path / "run-1")
        wait_during(run, lambda: totals(sim, "zns") >= 40)
        sim.restart(down_seconds=3.0)
        assert totals(sim, "zns") < len(sh.valid), "the sends ended before the outage"
        summary = completed_or_rerun(run.finish(), spec, env, "simulator restart")
        check_campaign(summary, sh, sim, env["ZNS_LEDGER_URL"])


@pytest.mark.prefect
def test_prefect_server_restarted_mid_run(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                          tmp_path: Path) -> None:
    """SLOW (own Prefect server, started twice): the orchestrator going away must not cost a
    message; the run finishes, or a re-run finishes the campaign exactly."""
    home, port = tmp_path / "prefect-own", free_port()
    server = ensure_server(home, port=port, startup_timeout=120)
    try:
        env = {**campaign_env, "PREFECT_API_URL": server.api_url}
        configure(flow_sim, faults=[SLOW_BULK])
        sh = sheet(tmp_path / "khach.xlsx", 300)
        spec = campaign_spec(tmp_path, sh, batch_size=25, concurrency=1)
        run = start_cli(["run", str(spec), "--json"], env, tmp_path / "run-1")
        wait_during(run, lambda: totals(flow_sim, "zns") >= 50)
        server.stop()
        stopped_at = totals(flow_sim, "zns")
        server = ensure_server(home, port=port, startup_timeout=120)
        print(f"Prefect server down from {stopped_at} ZNS to {totals(flow_sim, 'zns')} ZNS received")
        flow_sim.state.configure(faults=[])
        summary = completed_or_rerun(run.finish(), spec, env, "Prefect server restart")
        check_campaign(summary, sh, flow_sim, env["ZNS_LEDGER_URL"])
    finally:
        server.stop()


@pytest.mark.prefect
def test_sqlite_ledger_locked_for_ten_seconds(campaign_env: dict[str, str], flow_sim: SimulatorServer,
                                              tmp_path: Path) -> None:
    """Another writer holds the ledger 10 s: the run waits (busy timeout) instead of failing."""
    configure(flow_sim, faults=[SLOW_BULK])
    sh = sheet(tmp_path / "khach.xlsx", 200)
    spec = campaign_spec(tmp_path, sh, batch_size=20, concurrency=1)
    run = start_cli(["run", str(spec), "--json"], campaign_env, tmp_path / "run-1")
    wait_during(run, lambda: totals(flow_sim, "zns") >= 40)
    with closing(sqlite3.connect(sqlite_path(campaign_env["ZNS_LEDGER_URL"]), timeout=30,
                                 isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        locked_at = totals(flow_sim, "zns")
        time.sleep(10)
        during = totals(flow_sim, "zns") - locked_at
        conn.execute("COMMIT")
    assert run.proc.poll() is None, "the run ended while the ledger was locked"
    assert during <= 20, f"{during} ZNS went out while the ledger was locked (more than the batch in flight)"
    check_campaign(summary_of(run.finish()), sh, flow_sim, campaign_env["ZNS_LEDGER_URL"])


# -- 9-12: gateway faults within one run -----------------------------------------------------


@pytest.mark.prefect
@pytest.mark.parametrize(
    ("rows", "faults"),
    [
        (200, [{"endpoint": BULK, "kind": "partial", "rate": 0.3, "omit": 0.1, "processed": 0.5}]),
        (200, [{"endpoint": "*", "kind": "http503", "rate": 0.2}]),
        (200, [{"endpoint": "*", "kind": "code160", "rate": 0.3}]),
        (100, [{"endpoint": "*", "kind": "slow", "rate": 0.1, "delay": 2.0}]),
    ],
    ids=["partial-bulk-answers", "http503-20pct", "code160-storm", "latency-spikes-2s"],
)
def test_gateway_faults_in_one_run(campaign_env: dict[str, str], flow_sim: SimulatorServer, tmp_path: Path,
                                   rows: int, faults: list[dict[str, Any]]) -> None:
    """No recipient ends failed without evidence, and every fallback recipient gets its SMS."""
    configure(flow_sim, faults=faults)
    sh = sheet(tmp_path / "khach.xlsx", rows)
    spec = campaign_spec(tmp_path, sh, batch_size=25)
    summary = summary_of(run_cli(["run", str(spec), "--json"], campaign_env))
    check_campaign(summary, sh, flow_sim, campaign_env["ZNS_LEDGER_URL"])
