"""Helpers shared by the flow-level tests: customer sheets, SPECs, the CLI, simulator counts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
import sqlalchemy as sa
import yaml

from esms_sim.server import SimulatorServer
from zns.campaign.reconcile import (
    DEFAULT_SMS_WAIT,
    RECONCILE_DAYS,
    ClientFactory,
    ReconcileSummary,
    campaigns_to_reconcile,
    reconcile_one,
)
from zns.ledger import Ledger
from zns.ledger.schema import utcnow

OA = "4097311281936189049"
ORDER = "210001"
SEND_ENDPOINTS = ("send_zns_bulk_v4_post_json", "sendzalomessage_v4_post_json", "sendmultiplemessage_v4_post_json")
HEADER = ["Số điện thoại", "Tên khách hàng", "Mã đơn hàng", "Ngày đặt", "Tổng tiền"]


def prefect_api(method: str, url: str, **kwargs: Any) -> Any:
    """One call of a Prefect server's REST API, retried like Prefect's own client retries: its
    SQLite answers a lock race with 503 (more often with two test workers on two cores)."""
    for attempt in range(6):
        reply = httpx.request(method, url, timeout=10, **kwargs)
        if reply.status_code not in (429, 503) or attempt == 5:
            break
        time.sleep(0.5 * (attempt + 1))
    reply.raise_for_status()
    return reply.json()


def make_sheet(path: Path, rows: int, *, invalid_every: int = 20, start: int = 0) -> tuple[Path, int]:
    """A customer sheet; every `invalid_every`-th row is broken in one of three ways."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    invalid = 0
    for i in range(rows):
        phone: Any = 912000000 + start + i  # stored as a number, as Excel users do
        name = f"Nguyễn Văn Khách {i}"
        date = f"{1 + i % 28:02d}/12/2026"
        if invalid_every and i % invalid_every == invalid_every - 1:
            invalid += 1
            kind = (i // invalid_every) % 3
            if kind == 0:
                phone = "12345"
            elif kind == 1:
                name = ""
            else:
                date = "31/02/2026"
        ws.append([phone, name, f"HD{start + i:05d}", date, 100000 + i])
    wb.save(path)
    return path, invalid


def spec_for(source: Path, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "campaign_name": "Kiểm thử đơn hàng",
        "oa_id": OA,
        "template_id": ORDER,
        "source": str(source),
        "phone_column": "Số điện thoại",
        "columns": {"customer_name": "Tên khách hàng", "order_code": "Mã đơn hàng",
                    "order_date": "Ngày đặt", "amount": "Tổng tiền"},
        "fallback": {"brandname": "ZNSDEMO", "sms_template_id": "91011",
                     "columns": {"P1": "customer_name", "P2": "order_code", "P3": "amount"}},
        "fallback_after": 60,
        "campaign_id": "test-campaign",
    }
    spec.update(extra)
    return spec


def send_requests(sim: SimulatorServer) -> int:
    hits = sim.state.counts()["endpoints"]
    return sum(hits.get(e, 0) for e in SEND_ENDPOINTS)


def received(sim: SimulatorServer) -> dict[str, dict[str, int]]:
    phones = sim.state.counts()["phones"]
    return {p: {ch: v["received"] for ch, v in chans.items()} for p, chans in phones.items()}


def run_cli(args: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zns.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300, **kwargs)


def write_spec(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# -- fault matrix: sheets with known phones, killable CLI runs, the one exactness check -------

# ZNS outcomes of the simulator that must end with the SMS fallback (not "quota": -144).
FALLBACK_OUTCOMES = frozenset({"no_zalo", "inactive", "refused", "not_online"})
FINAL_PARTS = ("invalid", "zns_delivered", "sms_delivered", "failed", "unknown")


@dataclass(frozen=True, slots=True)
class Sheet:
    """A sheet from `make_sheet` with what the checks need to know about it independently."""

    path: Path
    rows: int
    invalid: int
    valid: tuple[str, ...]  # normalised phones of the valid rows


def sheet(path: Path, rows: int, *, invalid_every: int = 20, start: int = 0) -> Sheet:
    """`make_sheet`, plus the phones of its valid rows computed from the same rule."""
    _, invalid = make_sheet(path, rows, invalid_every=invalid_every, start=start)
    broken = {i for i in range(rows) if invalid_every and i % invalid_every == invalid_every - 1}
    valid = tuple(f"0{912000000 + start + i}" for i in range(rows) if i not in broken)
    return Sheet(path, rows, invalid, valid)


def delivered(sim: SimulatorServer) -> dict[str, dict[str, int]]:
    """Per phone and channel: how many messages the simulator delivered."""
    phones = sim.state.counts()["phones"]
    return {p: {ch: v["delivered"] for ch, v in chans.items()} for p, chans in phones.items()}


@dataclass(slots=True)
class CliRun:
    """`zns ...` in its own process group (so SIGKILL takes its children too), output in files."""

    proc: subprocess.Popen[bytes]
    out: Path
    err: Path

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def finish(self, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        try:
            self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.kill()
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode,
                                           self.out.read_text(errors="replace"), self.err.read_text(errors="replace"))


def start_cli(args: list[str], env: dict[str, str], logs: Path) -> CliRun:
    """Start `zns ARGS` without waiting; files, not pipes, so a chatty run never blocks."""
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / "stdout.txt", logs / "stderr.txt"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen([sys.executable, "-m", "zns.cli", *args], env={**os.environ, **env},
                                stdout=o, stderr=e, stdin=subprocess.DEVNULL, start_new_session=True)
    return CliRun(proc, out, err)


def wait_during(run: CliRun, ready: Callable[[], bool], *, timeout: float = 120, poll: float = 0.02) -> None:
    """Return as soon as `ready()` holds while the run is still going; fail if it ended first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if run.proc.poll() is not None:
            raise AssertionError(f"the run ended (rc {run.proc.returncode}) before the awaited moment: "
                                 f"{run.err.read_text(errors='replace')[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("the awaited moment never came")
        time.sleep(poll)
    assert run.proc.poll() is None, "the run ended before the awaited moment"


def kill_when(run: CliRun, ready: Callable[[], bool], *, timeout: float = 120, poll: float = 0.02) -> None:
    """SIGKILL the run's process group as soon as `ready()` holds; fail if it ended first."""
    try:
        wait_during(run, ready, timeout=timeout, poll=poll)
    finally:
        run.kill()
    assert run.proc.returncode == -signal.SIGKILL


def summary_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The `--json` line of a run that must have ended with exit code 0."""
    assert result.returncode == 0, f"rc {result.returncode}: {result.stderr[-3000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def ledger_rows(url: str, campaign_id: str) -> list[tuple[int, str, bool, str | None]]:
    """(row_no, phone, valid, final_state) of every recipients row, read with plain SQL."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT row_no, phone, valid, final_state FROM recipients "
                                        "WHERE campaign_id = :c ORDER BY row_no"), {"c": campaign_id})
            return [(int(r[0]), str(r[1]), bool(r[2]), r[3]) for r in rows]
    finally:
        engine.dispose()


def check_campaign(summary: dict[str, Any], sh: Sheet, sim: SimulatorServer, ledger_url: str,
                   campaign_id: str = "test-campaign") -> None:
    """Every row in exactly one final state, each channel at most once per phone, and the report's
    numbers equal to what the simulator delivered (the trust issue's exactness, end to end)."""
    seen = {k: summary.get(k) for k in (*FINAL_PARTS, "rows", "zns_accepted", "sms_sent")}
    assert summary["rows"] == sh.rows, seen
    assert sum(summary[k] for k in FINAL_PARTS) == summary["rows"], f"the report does not add up: {seen}"
    assert summary["invalid"] == sh.invalid, seen
    assert summary["unknown"] == 0, f"rows left unknown: {seen}"
    assert summary["zns_accepted"] == len(sh.valid), f"zns_accepted != {len(sh.valid)} valid rows: {seen}"

    rows = ledger_rows(ledger_url, campaign_id)
    assert len(rows) == sh.rows, f"{len(rows)} recipients rows for {sh.rows} input rows"
    assert [r[0] for r in rows] == sorted({r[0] for r in rows}), "an input row has two recipients rows"
    assert all(r[3] for r in rows), f"{sum(1 for r in rows if not r[3])} rows without a final_state"
    by_state: dict[str, set[str]] = {}  # final state -> phones of the valid rows
    ledger_counts = dict.fromkeys(FINAL_PARTS, 0)
    for _, phone, valid, state in rows:
        key = str(state) if valid else "invalid"
        ledger_counts[key] = ledger_counts.get(key, 0) + 1
        if valid:
            by_state.setdefault(key, set()).add(phone)
    assert ledger_counts == {k: summary[k] for k in FINAL_PARTS}, f"ledger {ledger_counts} vs report {seen}"

    got, done = received(sim), delivered(sim)
    twice = {p: c for p, c in got.items() if c.get("zns", 0) > 1 or c.get("sms", 0) > 1}
    assert not twice, f"{len(twice)} phones got a channel twice, e.g. {sorted(twice.items())[:5]}"
    zns_to = {p for p, c in got.items() if c.get("zns")}
    sms_to = {p for p, c in got.items() if c.get("sms")}
    assert zns_to == set(sh.valid), f"ZNS to {len(zns_to)} phones, {len(sh.valid)} valid rows"
    zns_ok = {p for p, c in done.items() if c.get("zns")}
    sms_ok = {p for p, c in done.items() if c.get("sms")}
    outcome = sim.state.config.zns_outcome
    fallback = {p for p in sh.valid if outcome(p) in FALLBACK_OUTCOMES}
    assert not sms_to & zns_ok, f"{len(sms_to & zns_ok)} ZNS-delivered phones also got an SMS"
    assert sms_to == fallback, (f"SMS to {len(sms_to)} phones, {len(fallback)} fallback phones; missing "
                                f"{sorted(fallback - sms_to)[:5]}, extra {sorted(sms_to - fallback)[:5]}")
    assert summary["zns_delivered"] == len(zns_ok), f"simulator delivered {len(zns_ok)} ZNS: {seen}"
    assert summary["sms_delivered"] == len(sms_ok), f"simulator delivered {len(sms_ok)} SMS: {seen}"
    assert by_state.get("zns_delivered", set()) == zns_ok, "ledger zns_delivered phones != simulator's"
    assert by_state.get("sms_delivered", set()) == sms_ok, "ledger sms_delivered phones != simulator's"
    evidence = (sms_to - sms_ok) | (zns_to - zns_ok - fallback)  # the gateway's last message failed
    assert by_state.get("failed", set()) == evidence, (
        f"failed without evidence: {sorted(by_state.get('failed', set()) - evidence)[:5]}, "
        f"failed at the gateway but not reported failed: {sorted(evidence - by_state.get('failed', set()))[:5]}")

    workbook = openpyxl.load_workbook(summary["report"], read_only=True)
    try:
        listed = sum(1 for _ in workbook[workbook.sheetnames[1]].iter_rows(values_only=True))
    finally:
        workbook.close()
    assert listed == sh.rows + 1, f"the workbook lists {listed - 1} recipients for {sh.rows} rows"


PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def fresh_pg_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database (its psycopg URL), dropped afterwards; the test is skipped, with
    the reason printed, when PostgreSQL is not reachable."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL at 127.0.0.1:5432 is not reachable: {str(exc).splitlines()[0]}"
        print(reason)
        pytest.skip(reason)
    try:
        yield sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


async def reconcile(
    ledger: Ledger,
    client_factory: ClientFactory,
    *,
    claimed_by: str,
    days: int = RECONCILE_DAYS,
    default_account: str | None = None,
    now: datetime | None = None,
    sms_wait: float = DEFAULT_SMS_WAIT,
    campaign_ids: Iterable[str] | None = None,
) -> list[ReconcileSummary]:
    """Every campaign with work in the last `days` days, one after the other: the steps the
    `zns-reconcile` flow runs as one task per campaign, without Prefect (for the tests)."""
    moment = now or utcnow()
    ids = list(campaign_ids) if campaign_ids is not None else list(
        campaigns_to_reconcile(ledger, moment - timedelta(days=days))
    )
    return [
        await reconcile_one(ledger, client_factory, campaign_id, claimed_by=claimed_by,
                            default_account=default_account, now=moment, sms_wait=sms_wait)
        for campaign_id in ids
    ]
