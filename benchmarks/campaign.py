"""End-to-end campaign cost: the zns-campaign flow against a plain asyncio loop doing the same sends.

Both run against the simulator in its own process, over loopback HTTP, in the same run. The
baseline (a floor, not an alternative: no ledger, no validation, no report) sends the same
recipients through the bulk endpoint (500 per request, `--concurrency` in flight, like the
flow), waits for their outcome through the same GetSmsSentData_V2 window lookup and, with
`--mix`, asks QueryZnsStatus for each failed ZNS (as the flow does, at the client's 100/s) and
sends the SMS fallback to those with the flow's batching (500 per batch, 16 in flight per batch,
up to 32 batches at once) and waits for the SMS outcome. The flow additionally reads and
validates the spreadsheet, claims every recipient in the SQLite ledger before sending, records
every answer, finalizes the ledger and writes the report workbook and artifacts, all under a
real local Prefect server (`zns run SPEC` in a subprocess).

Printed: both wall times and their ratio; the flow process's peak RSS (psutil samples of the
`zns run` process tree, and getrusage(RUSAGE_CHILDREN)); growth of the temp Prefect server's
SQLite database; the ledger's size; the flow's phases from its task runs as the Prefect API
reports them (start/end times), and which targets of issue 11 are met.

    .venv/bin/python benchmarks/campaign.py --recipients 10000
    .venv/bin/python benchmarks/campaign.py --recipients 100000 --latency 0.1
    .venv/bin/python benchmarks/campaign.py --recipients 100000 --mix
    .venv/bin/python benchmarks/campaign.py --recipients 500000 --skip-baseline

`--latency S` delays every simulator answer by S seconds (a `slow` fault on every endpoint,
rate 1). `--mix` sets a realistic outcome mix: 10 % of the ZNS fail to the SMS fallback (5 %
no Zalo, 2 % inactive, 3 % not online, the last ones final only after `late_delay`), the
others final after `final_delay`, 2 % of the SMS fail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import xlsxwriter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from esms import BulkItem, EsmsClient, EsmsError  # noqa: E402
from zns.campaign.lookup import sent_window  # noqa: E402
from zns.orchestration.localprefect import ensure_server  # noqa: E402
from zns.timeutil import vn_now  # noqa: E402

OA, TEMPLATE, BRANDNAME, SMS_TEMPLATE = "4097311281936189049", "210001", "ZNSDEMO", "91011"
BATCH = 500
SMS_PER_BATCH, SMS_BATCHES_AT_ONCE = 16, 32  # send_sms_batch's concurrency, the flow's task runner workers
MIX = {"zns_rates": {"no_zalo": 0.05, "inactive": 0.02, "not_online": 0.03}, "late_outcomes": ["not_online"],
       "final_delay": 0.5, "late_delay": 5.0, "sms_rates": {"failed": 0.02}}
MAX_FLOW_ROWS = 500_000  # zns.recipients.sources.Limits.max_rows: the flow refuses bigger files
TARGETS = {"ratio": 1.5, "ratio_latency": 1.15, "rss_mb": 500, "db_mb_per_100k": 10, "report_share": 0.15}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def name(i: int) -> str:
    return f"Nguyễn Văn Khách {i}"


def make_sheet(path: Path, rows: int) -> None:
    """The order-confirmation sheet: phone as a number, Vietnamese name, code, date text, amount."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["Số điện thoại", "Tên khách hàng", "Mã đơn hàng", "Ngày đặt", "Tổng tiền"])
    for i in range(rows):
        r = i + 1
        ws.write_number(r, 0, 912000000 + i)
        ws.write_string(r, 1, name(i))
        ws.write_string(r, 2, f"HD{i:06d}")
        ws.write_string(r, 3, f"{1 + i % 28:02d}/12/2026")
        ws.write_number(r, 4, 100000 + i)
    wb.close()


def start_simulator(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "esms_sim", "--port", str(port), "--seed", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/_sim/counts", timeout=0.5)
            return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("simulator did not start")


def configure(port: int, rows: int, latency: float, mix: bool) -> None:
    """Fresh simulator state: outcome mix (or every ZNS delivered at once), latency, room for `rows`."""
    base = f"http://127.0.0.1:{port}/_sim"
    httpx.post(f"{base}/reset", json={}).raise_for_status()
    config: dict[str, Any] = dict(MIX) if mix else {"zns_rates": {}, "final_delay": 0.0, "sms_rates": {}}
    config["faults"] = [{"endpoint": "*", "kind": "slow", "rate": 1.0, "delay": latency}] if latency > 0 else []
    config["quota"] = max(100_000, 2 * rows)
    config["balance"] = 1e12
    httpx.post(f"{base}/config", json=config).raise_for_status()


def sms_text(i: int) -> str:
    """What the flow renders from template 91011 for row i (ASCII name, order code, amount)."""
    return (f"Chao Nguyen Van Khach {i}, don hang HD{i:06d} tri gia {100000 + i} VND da duoc xac nhan. "
            "Cam on quy khach.")


async def _wait_final(client: EsmsClient, sms_type: str, since: datetime, tag: str, expected: int) -> dict[str, Any]:
    """Poll the window until `expected` messages of campaign `tag` are final; phone -> row."""
    while True:
        window = await sent_window(client, sms_type, since, vn_now() + timedelta(minutes=1))
        final = {r.phone: r for r in window if r.campaign == tag and r.send_result in (0, 1)}
        if len(final) >= expected:
            return final


async def baseline(base_url: str, rows: int, concurrency: int, tag: str, mix: bool) -> dict[str, float]:
    """The same sends and lookups as the flow, nothing else: the floor for the flow."""
    start = time.perf_counter()
    since = vn_now() - timedelta(minutes=1)
    phases: dict[str, float] = {}
    async with EsmsClient("DEMO_API_KEY", "DEMO_SECRET_KEY", base_url=base_url,
                          max_connections=SMS_PER_BATCH * SMS_BATCHES_AT_ONCE) as client:
        gate = asyncio.Semaphore(concurrency)
        items = [BulkItem(f"0{912000000 + i}", [f"Nguyen Van Khach {i}", f"HD{i:06d}",
                                                 f"{1 + i % 28:02d}/12/2026", str(100000 + i)],
                          f"{tag}-{i}") for i in range(rows)]

        async def batch(chunk: list[BulkItem]) -> int:
            async with gate:
                result = await client.send_zns_bulk(chunk, oa_id=OA, template_id=TEMPLATE, campaign=tag)
                return sum(r.code == "100" for r in result.items)

        accepted = sum(await asyncio.gather(*(batch(items[i:i + BATCH]) for i in range(0, rows, BATCH))))
        phases["zns sends"] = time.perf_counter() - start
        final = await _wait_final(client, "25", since, tag, accepted)
        phases["zns delivery"] = time.perf_counter() - start - sum(phases.values())
        failed = [r for r in final.values() if r.send_result == 0]
        if mix and failed:
            lookups = asyncio.Semaphore(50)  # DeliveryWatcher's concurrency; the client keeps 100/s

            async def status(sms_id: str) -> str | None:
                async with lookups:
                    try:
                        await client.query_zns_status(sms_id)
                    except EsmsError:  # 160 past the retries: asked again, as the flow's next sweep does
                        return sms_id
                    return None

            ask = [r.sms_id for r in failed]
            while ask:
                ask = [s for s in await asyncio.gather(*(status(i) for i in ask)) if s is not None]
            phases["zns status lookups"] = time.perf_counter() - start - sum(phases.values())
            phones = [r.phone for r in failed]
            batches = asyncio.Semaphore(SMS_BATCHES_AT_ONCE)

            async def sms_batch(chunk: list[str]) -> None:
                async with batches:
                    inner = asyncio.Semaphore(SMS_PER_BATCH)

                    async def one(phone: str) -> None:
                        async with inner:
                            i = int(phone) - 912000000
                            await client.send_sms(phone, sms_text(i), brandname=BRANDNAME,
                                                  request_id=f"{tag}-sms-{i}", campaign=tag)

                    await asyncio.gather(*(one(p) for p in chunk))

            await asyncio.gather(*(sms_batch(phones[i:i + BATCH]) for i in range(0, len(phones), BATCH)))
            phases["sms sends"] = time.perf_counter() - start - sum(phases.values())
            await _wait_final(client, "2", since, tag, len(phones))
            phases["sms delivery"] = time.perf_counter() - start - sum(phases.values())
    phases["total"] = time.perf_counter() - start
    return phases


class RssSampler(threading.Thread):
    """Peak RSS of a process and its descendants, sampled every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.proc, self.interval, self.peak, self.stop = psutil.Process(pid), interval, 0, threading.Event()
        self.samples: list[tuple[float, int]] = []  # (epoch seconds, RSS bytes): to find which phase peaks

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in procs if p.is_running())
                self.samples.append((time.time(), rss))
                self.peak = max(self.peak, rss)
            except psutil.Error:
                pass
            self.stop.wait(self.interval)


def db_size(path: Path) -> int:
    """A SQLite database with its WAL and shared-memory files."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
               if p.exists())


@dataclass
class FlowResult:
    wall: float
    started: float  # epoch seconds at Popen
    peak_rss: int
    maxrss_children: int
    summary: dict[str, Any] = field(default_factory=dict)
    samples: list[tuple[float, int]] = field(default_factory=list)

    def peak_between(self, start: float, end: float) -> int:
        """Highest RSS sample in [start, end] (epoch seconds); 0 when none fell there."""
        return max((rss for t, rss in self.samples if start <= t <= end), default=0)


def write_spec(path: Path, sheet: Path, rows: int, concurrency: int, mix: bool) -> None:
    spec = (f"campaign_name: bench\noa_id: '{OA}'\ntemplate_id: '{TEMPLATE}'\nsource: {sheet}\n"
            f"phone_column: Số điện thoại\ncolumns: {{customer_name: Tên khách hàng, order_code: Mã đơn hàng, "
            f"order_date: Ngày đặt, amount: Tổng tiền}}\nconcurrency: {concurrency}\nfallback_after: 600\n"
            f"campaign_id: bench-{rows}-{int(time.time())}\n")
    if mix:
        spec += (f"fallback:\n  brandname: {BRANDNAME}\n  sms_template_id: '{SMS_TEMPLATE}'\n"
                 "  columns: {P1: customer_name, P2: order_code, P3: amount}\n")
    path.write_text(spec, encoding="utf-8")


def run_flow(spec: Path, env: dict[str, str]) -> FlowResult:
    started = time.time()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "zns.cli", "run", str(spec), "--json"],
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = RssSampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    if proc.returncode != 0:
        raise RuntimeError(f"zns run exited {proc.returncode}: " + (err.strip().splitlines() or ["?"])[-1])
    summary = json.loads(out.strip().splitlines()[-1])
    return FlowResult(wall, started, sampler.peak, maxrss, summary, sampler.samples)


def _ts(value: str | None) -> float | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None


def _filter(api_url: str, what: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        page = httpx.post(f"{api_url}/{what}/filter", json={"limit": 200, "offset": len(rows)}, timeout=30).json()
        rows += page
        if len(page) < 200:
            return rows


_RUN_SUFFIX = re.compile(r"-(\d+|[0-9a-f]{3})$")  # batch index, or Prefect's random run-name suffix


def phases(api_url: str, started: float, wall: float) -> list[tuple[str, int, float, float, float]]:
    """(phase, task runs, start offset s, wall span s, summed run time s) from the Prefect API.

    Task runs named `send-zns-batch-17` group as `send-zns-batch` (`sms-fallback` is the
    subflow's own run, spanning its tasks); the first line is the
    process start up to the flow run's start (interpreter, imports, flow run creation)."""
    flows = _filter(api_url, "flow_runs")
    tasks = _filter(api_url, "task_runs")
    groups: dict[str, list[tuple[float, float]]] = {}
    for t in tasks:
        s, e = _ts(t.get("start_time")), _ts(t.get("end_time"))
        if s is not None and e is not None:
            groups.setdefault(_RUN_SUFFIX.sub("", t["name"]), []).append((s, e))
    flow_starts = [s for f in flows if (s := _ts(f.get("start_time"))) is not None]
    flow_ends = [e for f in flows if (e := _ts(f.get("end_time"))) is not None]
    out = [("process start -> flow run start", 0, 0.0, min(flow_starts) - started, 0.0)] if flow_starts else []
    for key, spans in sorted(groups.items(), key=lambda kv: min(s for s, _ in kv[1])):
        first, last = min(s for s, _ in spans), max(e for _, e in spans)
        out.append((key, len(spans), first - started, last - first, sum(e - s for s, e in spans)))
    if flow_ends:
        out.append(("flow run end -> process exit", 0, max(flow_ends) - started, started + wall - max(flow_ends), 0.0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.0, help="simulator delay per request, seconds")
    parser.add_argument("--mix", action="store_true", help="10 %% of ZNS fall back to SMS, 3 %% late")
    parser.add_argument("--skip-baseline", action="store_true", help="flow only (for the biggest sizes)")
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it: ledger, report, sheet")
    args = parser.parse_args()
    n = args.recipients
    if n > MAX_FLOW_ROWS:
        sys.exit(f"the flow refuses files over {MAX_FLOW_ROWS:,} rows (TOO_MANY_ROWS, zns/recipients/sources.py "
                 f"Limits.max_rows); use --recipients {MAX_FLOW_ROWS}")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="zns-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=False)
            tmp = args.keep.resolve()
        sheet = tmp / "recipients.xlsx"
        t = time.perf_counter()
        make_sheet(sheet, n)
        print(f"sheet: {n:,} rows, {sheet.stat().st_size / 1e6:.1f} MB, made in {time.perf_counter() - t:.1f} s")
        port = free_port()
        sim = start_simulator(port)
        server = ensure_server(tmp / "prefect", port=free_port())
        prefect_db = tmp / "prefect" / "prefect.db"
        try:
            base_url = f"http://127.0.0.1:{port}/MainService.svc/json/"
            plain: dict[str, float] | None = None
            if not args.skip_baseline:
                configure(port, n, args.latency, args.mix)
                plain = asyncio.run(baseline(base_url, n, args.concurrency, "plain", args.mix))
            configure(port, n, args.latency, args.mix)
            env = {"ESMS_API_KEY": "DEMO_API_KEY", "ESMS_SECRET_KEY": "DEMO_SECRET_KEY",
                   "ESMS_BASE_URL": base_url, "ZNS_HOME": str(tmp / "home"),
                   "ZNS_LEDGER_URL": f"sqlite:///{tmp / 'ledger.db'}",
                   "ZNS_REPORT_DIR": str(tmp / "reports"), "PREFECT_API_URL": server.api_url}
            spec = tmp / "spec.yaml"
            write_spec(spec, sheet, n, args.concurrency, args.mix)
            db_before = db_size(prefect_db)
            flow = run_flow(spec, env)
            time.sleep(1.0)  # let the server write what it queued
            db_after = db_size(prefect_db)
            timeline = phases(server.api_url, flow.started, flow.wall)
            ledger = db_size(tmp / "ledger.db")
            reports = sorted((tmp / "reports").rglob("report-*.xlsx"))
            report_size = reports[0].stat().st_size if reports else 0
        finally:
            server.stop()
            sim.terminate()
    load_after = os.getloadavg()

    mix = (f"mix: ZNS rates {MIX['zns_rates']} (late: not_online after {MIX['late_delay']} s), others final after "
           f"{MIX['final_delay']} s, SMS failed 2 %" if args.mix else "every ZNS delivered at once")
    print(f"recipients: {n:,}, batches of {BATCH}, {args.concurrency} in flight, latency {args.latency} s, {mix}")
    print(f"load average (1/5/15 min): before {'/'.join(f'{x:.2f}' for x in load_before)}, "
          f"after {'/'.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} CPUs")
    print("flow phases (Prefect task runs; offset from process start, wall span, summed task time):")
    for key, count, offset, span, summed in timeline:
        runs = f"x{count}" if count else ""
        peak = flow.peak_between(flow.started + offset, flow.started + offset + span) / 1e6
        print(f"  {key:34s} {runs:>6s}  at {offset:7.2f} s  {span:7.2f} s  (sum {summed:7.2f} s)  "
              f"peak RSS {peak:4.0f} MB")
    report = next((span for key, _, _, span, _ in timeline if key == "publish-report"), 0.0)
    if plain is not None:
        print("plain loop phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in plain.items() if k != "total"))
        total = plain["total"]
        print(f"plain asyncio loop (same sends + lookups):   {total:7.2f} s  ({n / total:8.0f} recipients/s)")
    print(f"zns-campaign flow (end to end, CLI process):  {flow.wall:7.2f} s  ({n / flow.wall:8.0f} recipients/s)")
    print(f"flow summary: {flow.summary}")
    growth = (db_after - db_before) / 1e6
    print(f"flow peak RSS: {flow.peak_rss / 1e6:.0f} MB (psutil, process tree), "
          f"{flow.maxrss_children / 1e6:.0f} MB (ru_maxrss of the largest child)")
    print(f"Prefect database: {db_before / 1e6:.1f} MB -> {db_after / 1e6:.1f} MB (+{growth:.1f} MB, "
          f"{growth * 100_000 / n:.1f} MB per 100,000 recipients)")
    print(f"ledger: {ledger / 1e6:.1f} MB; report workbook {report_size / 1e6:.1f} MB")
    print(f"report (publish-report task): {report:.2f} s = {100 * report / flow.wall:.1f} % of the flow")
    checks = [("peak RSS <= 500 MB", flow.peak_rss / 1e6 <= TARGETS["rss_mb"]),
              ("Prefect db <= 10 MB per 100k", growth * 100_000 / n <= TARGETS["db_mb_per_100k"]),
              ("report <= 15 % of the run", report / flow.wall <= TARGETS["report_share"])]
    if plain is not None:
        ratio = flow.wall / plain["total"]
        limit = TARGETS["ratio_latency"] if args.latency > 0 else TARGETS["ratio"]
        print(f"ratio flow / plain: {ratio:.2f}  (flow overhead {1000 * (flow.wall - plain['total']) / n:.3f} ms "
              "per recipient)")
        checks.insert(0, (f"ratio <= {limit}", ratio <= limit))
    print("targets: " + "; ".join(f"{label}: {'met' if ok else 'MISSED'}" for label, ok in checks))


if __name__ == "__main__":
    main()
